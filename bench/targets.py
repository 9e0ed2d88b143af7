"""The performance targets of issues 3 and 17, checked against a run's results. Informational: a
miss is printed, never an error."""

import statistics


def _training(results, workload, framework, per_epochs=None):
    """Seconds of the row (per `per_epochs` epochs when given: --quick runs fewer XOR epochs)."""
    row = next((row for row in results["training"] if row["workload"] == workload and row["framework"] == framework),
               None)
    if row is None:
        return None
    return row["seconds"] * per_epochs / row["epochs"] if per_epochs else row["seconds"]


def _latency(results, workload, framework, call_contains):
    return next((row["one_row_s"] for row in results["inference"] if row["workload"] == workload
                 and row["framework"] == framework and call_contains in row["call"]), None)


def _ratio(numerator, denominator):
    return numerator / denominator if numerator is not None and denominator else None


def evaluate(results):
    """[{target, measured, limit, unit, at_most, met}]: `measured` is None where a framework or a
    workload was not run; `met` then is None too."""
    fast1, fast2 = _training(results, "mnist", "fastmlp"), _training(results, "digits", "fastmlp")
    gemm = results.get("gemm") or {}
    efficiency = None
    if gemm.get("sgemm", {}).get("NumPy matmul") and "fastmlp" in gemm.get("training_flops", {}):
        efficiency = gemm["training_flops"]["fastmlp"] / gemm["sgemm"]["NumPy matmul"]
    fastmlp_memory = next((m for m in results["memory"] if m["framework"] == "fastmlp" and "error" not in m), None)
    core_latency = _latency(results, "digits", "fastmlp", "C++")
    rows = [
        ("1. fastmlp epoch / PyTorch epoch", _ratio(fast1, _training(results, "mnist", "PyTorch")), 0.4, "x", True),
        ("1. fastmlp epoch / NumPy epoch", _ratio(fast1, _training(results, "mnist", "NumPy")), 0.35, "x", True),
        ("1. fastmlp training FLOP/s / NumPy sgemm FLOP/s", efficiency, 0.60, "", False),
        ("2. PyTorch epoch / fastmlp epoch", _ratio(_training(results, "digits", "PyTorch"), fast2), 20, "x", False),
        ("2. NumPy epoch / fastmlp epoch (> 1: faster)", _ratio(_training(results, "digits", "NumPy"), fast2), 1, "x",
         False),
        ("3. fastmlp 1000 XOR epochs, seconds", _training(results, "xor", "fastmlp", 1000), 0.05, "s", True),
        ("4. digits 1-row predict, fastmlp C++ call, seconds", core_latency, 5e-6, "s", True),
        ("4. digits 1-row: fastmlp C++ call / NumPy's call",
         _ratio(core_latency, _latency(results, "digits", "NumPy", "NumPy")), 1, "x", True),
        # "A few model-sized buffers": gradients, Adam's two slots and batch buffers make about 4;
        # a copy of X would add X's size, tens of model sizes for workload 1.
        ("6. fastmlp fit() peak extra memory / model size",
         None if fastmlp_memory is None else fastmlp_memory["model_multiples"], 5, "x", True),
    ]
    rows += _issue_17(results)
    out = []
    for target, measured, limit, unit, at_most in rows:
        met = None if measured is None else (measured <= limit if at_most else measured >= limit)
        out.append({"target": target, "measured": measured, "limit": limit, "unit": unit, "at_most": at_most,
                    "met": met})
    return out


def _issue_17(results):
    """Issue 17: training at the best sgemm's pace, thread scaling, and shared cores."""
    rows = [(f"17.1 fastmlp training FLOP/s at batch {r['batch']} / best sgemm", r["of_best"], 0.90, "", False)
            for r in (results.get("gemm") or {}).get("by_batch", [])]
    scaling = [r for r in results["threads"] if r["workload"] == "mnist"]
    counts = sorted({r["threads"] for r in scaling})
    by = {(r["threads"], r["framework"]): r["seconds"] for r in scaling}
    if counts and (counts[-1], "PyTorch") in by:
        worst = max(by[n, "fastmlp"] / by[n, "PyTorch"] for n in counts)
        rows.append(("17.2 fastmlp epoch / PyTorch epoch, worst thread count (< 1: faster)", worst, 1, "x", True))
    if counts and counts[-1] > 1:
        top = next(r for r in scaling if r["framework"] == "fastmlp" and r["threads"] == counts[-1])
        rows.append((f"17.2 fastmlp parallel efficiency at {counts[-1]} threads (16 in the issue)", top["efficiency"],
                     0.70, "", False))
    digits = [r for r in results["threads"] if r["workload"] == "digits" and r["framework"] == "fastmlp"]
    if len(digits) > 1:
        one = next(r["seconds"] for r in digits if r["threads"] == 1)
        # "Never slower": within the 5% that separate timings of the same millisecond epoch on a quiet machine.
        rows.append(("17.2 digits epoch, slowest thread count / 1 thread", max(r["seconds"] for r in digits) / one, 1.05,
                     "x", True))
    shared = results.get("shared_cores")
    if shared:
        med = {(c["framework"], c["policy"], c["busy"]): statistics.median(c["runs"]) for c in shared["cases"]}
        ideal = med.get(("fastmlp", "ideal", 0))
        if ideal:
            rows.append(("17.3 fastmlp epoch beside a busy process / ideal", med[("fastmlp", "default", 1)] / ideal,
                         1.5, "x", True))
        spinning = med.get(("fastmlp", "spin:5000", 0))
        if spinning:
            rows.append(("17.3 fastmlp idle epoch / idle epoch with 5 ms spinning", med[("fastmlp", "default", 0)] /
                         spinning, 1.05, "x", True))
    return rows
