"""The performance targets of issue 3, checked against a run's results. Informational: a miss is
printed, never an error."""


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
    if gemm.get("numpy_flops") and "fastmlp" in gemm.get("training_flops", {}):
        efficiency = gemm["training_flops"]["fastmlp"] / gemm["numpy_flops"]
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
    out = []
    for target, measured, limit, unit, at_most in rows:
        met = None if measured is None else (measured <= limit if at_most else measured >= limit)
        out.append({"target": target, "measured": measured, "limit": limit, "unit": unit, "at_most": at_most,
                    "met": met})
    return out
