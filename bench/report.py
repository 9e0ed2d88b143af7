"""The results of a run as aligned plain-text or Markdown tables."""

import machine
import workloads
from timing import format_duration, format_rate


def format_table(headers, rows, markdown=False, right=()):
    """`rows` of cells under `headers`; columns whose index is in `right` are right-aligned."""
    rows = [[str(cell) for cell in row] for row in rows]
    widths = [max([len(str(h))] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]

    def line(cells):
        padded = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))]
        return ("| " + " | ".join(padded) + " |") if markdown else "  ".join(padded).rstrip()

    out = [line([str(h) for h in headers])]
    if markdown:
        out.append("|" + "|".join("-" * (w + 1) + ":" if i in right else "-" * (w + 2) for i, w in enumerate(widths)) + "|")
    else:
        out.append("  ".join("-" * w for w in widths))
    return "\n".join(out + [line(r) for r in rows])


def section(title, markdown=False):
    return f"\n### {title}\n" if markdown else f"\n== {title} =="


def _times(ratio):
    return "n/a" if ratio is None else f"{ratio:.2f}x"


def _training(results, md):
    rows = [[r["title"], r["framework"], r["measure"], format_duration(r["seconds"]), format_rate(r["samples_per_s"]),
             _times(r["ratio_to_fastmlp"])] for r in results["training"]]
    out = [section("Training", md),
           format_table(["Workload", "Framework", "Measure", "Time", "Samples/s", "Time / fastmlp"], rows, md,
                        right={3, 4, 5}), "",
           f"Same for every framework: the layers, Adam (lr {workloads.LEARNING_RATE}, beta_1 {workloads.BETA_1}, "
           f"beta_2 {workloads.BETA_2}, epsilon {workloads.EPSILON}), the batch size, float32 data reshuffled every "
           "epoch, softmax/sigmoid fused with cross-entropy, the batch loss computed every step."]
    if results["differences"]:
        out.append("What differs:")
        out += [f"- {name}: {text}" for name, texts in results["differences"].items() for text in texts]
    for key, check in results["equivalence"].items():
        out.append(f"- NumPy vs fastmlp, same initial weights, workload {key}: first-step gradients differ by at most "
                   f"{check['gradient']:.1e} (largest gradient {check['gradient_scale']:.1e}), weights after "
                   f"{check['steps']} Adam steps by at most {check['weights']:.1e}")
    return out


def _gemm(results, md):
    g = results["gemm"]
    best, best_rate = g["best"], g["best_flops"]
    sgemm = ", ".join(f"{name} {rate / 1e9:.1f}" for name, rate in g["sgemm"].items())
    rows = [[name, "128", f"{rate / 1e9:.1f}", f"{rate / best_rate:.0%}"] for name, rate in g["training_flops"].items()]
    rows += [[f"{r['framework']} ({r['rows']} rows)", str(r["batch"]), f"{r['flops_per_s'] / 1e9:.1f}",
              f"{r['of_best']:.0%}"] for r in g["by_batch"]]
    n = g["n"]
    return [section("GEMM efficiency, workload 1 training", md),
            format_table(["Framework", "Batch", "Training GFLOP/s", f"of the best sgemm ({best})"], rows, md,
                         right={1, 2, 3}), "",
            f"Training FLOPs per epoch: sum over layers of k*2*N*in*out, k = 2 for the first layer (X W and dW) and "
            f"3 for the others (also dX), = {g['epoch_flops'] / 1e9:.1f} GFLOP; biases, activations and Adam are "
            f"left out, so their time counts against the efficiency. Float32 {n}x{n}x{n} products, best of 5, same "
            f"threads as training, GFLOP/s: {sgemm}; the best of them is the yardstick."]


def _shared_cores(results, md):
    import contention

    shared = results["shared_cores"]
    times = {(c["framework"], c["policy"], c["busy"]): c["runs"] for c in shared["cases"]}
    return [section("Shared cores: workload 1 beside one busy process", md),
            contention.table(times, shared["threads"], md), "",
            f"{shared['rows']} rows of workload 1, {shared['threads']} threads, each case in a fresh process, median of "
            "its rounds; the competitor is one Python process spinning on one core. 'Busy / ideal' compares with the "
            "idle epoch on one thread fewer, as if the competitor simply took its core."]

def _memory(results, md):
    rows, method = [], "n/a"
    for m in results["memory"]:
        if "error" in m:
            rows.append([m["framework"], "n/a", "n/a", "n/a", "n/a", m["error"]])
            continue
        method = m["method"]
        rows.append([m["framework"], f"{m['x_bytes'] / 2**20:.1f}", f"{m['model_bytes'] / 2**20:.2f}",
                     f"{m['peak_increase_bytes'] / 2**20:.1f}", f"{m['model_multiples']:.1f}",
                     "yes" if m["copies_x"] else "no"])
    return [section("Memory, fitting workload 1 for one epoch in a fresh process", md),
            format_table(["Framework", "X MiB", "Model MiB", "Peak extra MiB", "Extra / model", "Copied X?"], rows,
                         md, right={1, 2, 3, 4}), "",
            f"Peak resident set during fit() above the resident set just before it ({method}); data and model are "
            "already loaded then. 'Copied X?' is yes when the extra reaches 90% of X's size."]


def _inference(results, md):
    rows = [[r["title"], r["framework"], r["call"], f"{r['one_row_s'] * 1e6:.2f}", format_rate(r["batch_rows"] / r["batch_s"]),
             _times(r["one_row_ratio"]), _times(r["batch_ratio"])] for r in results["inference"]]
    batch = results["inference"][0]["batch_rows"]
    return [section("Inference", md),
            format_table(["Workload", "Framework", "Call", "1 row, us", f"{batch} rows: rows/s", "1 row / fastmlp C++",
                          "batch / fastmlp C++"], rows, md, right={3, 4, 5, 6}), "",
            "1 row: median latency of one call with one sample; batch: median time of one call on the whole batch. "
            "'C++ via pybind11' is Sequential._core.predict, the compiled call without the Python model's checks."]


def _threads(results, md):
    out = [section("Thread scaling", md)]
    for key in dict.fromkeys(r["workload"] for r in results["threads"]):
        rows_of = [r for r in results["threads"] if r["workload"] == key]
        frameworks = list(dict.fromkeys(r["framework"] for r in rows_of))
        by = {(r["threads"], r["framework"]): r for r in rows_of}
        counts = sorted({r["threads"] for r in rows_of})
        rows = [[str(n)] + [cell for f in frameworks
                            for cell in (format_duration(by[n, f]["seconds"]), f"{by[n, f]['speedup']:.2f}x",
                                         f"{by[n, f]['efficiency']:.0%}")] for n in counts]
        headers = ["Threads"] + [h for f in frameworks for h in (f"{f} s/epoch", f"{f} speed-up", f"{f} efficiency")]
        out += ["", f"{rows_of[0]['title']}, {rows_of[0]['rows']} rows:",
                format_table(headers, rows, md, right=set(range(1, len(headers))))]
    return out + ["", "Speed-up: the framework's own 1-thread epoch over this one; efficiency: speed-up / threads. "
                      "scikit-learn is left out: its only threads are NumPy's BLAS threads."]


def _targets(targets, md):
    def value(t, x):
        if x is None:
            return "n/a"
        return format_duration(x) if t["unit"] == "s" else (f"{x:.0%}" if t["unit"] == "" else f"{x:.2f}x")

    rows = [[t["target"], ("<= " if t["at_most"] else ">= ") + value(t, t["limit"]), value(t, t["measured"]),
             "n/a" if t["measured"] is None else f"{t['measured'] / t['limit']:.2f}",
             {None: "n/a", True: "met", False: "MISSED"}[t["met"]]] for t in targets]
    return [section("Targets (informational)", md),
            format_table(["Target", "Goal", "Measured", "Measured / goal", "Result"], rows, md, right={1, 2, 3})]


def render(results, machine_lines, targets, total_contention, markdown=False):
    """The whole report as one string."""
    md = markdown
    out = [section("Machine", md).lstrip("\n")] + [f"- {line}" if md else line for line in machine_lines]
    if results["training"]:
        out += _training(results, md)
    if results["gemm"]:
        out += _gemm(results, md)
    if results["memory"]:
        out += _memory(results, md)
    if results["inference"]:
        out += _inference(results, md)
    if results["threads"]:
        out += _threads(results, md)
    if results.get("shared_cores"):
        out += _shared_cores(results, md)
    if any(t["measured"] is not None for t in targets):
        out += _targets(targets, md)
    busy = {label: share for label, share in results["contention"].items() if share > 0.10}
    notes = results["notes"] + [machine.contention_note(total_contention)]
    if busy:
        notes.append("largest share of the CPUs used by other processes while timing: "
                     + ", ".join(f"{label} {share:.0%}" for label, share in busy.items()))
    out += [section("Notes", md)] + [f"- {n}" for n in notes]
    return "\n".join(out)
