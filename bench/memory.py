"""Peak memory of training workload 1: how far the resident set grows above the loaded data and model.

tracemalloc cannot see C++ allocations, so this reads the process's resident set instead. Each
measurement runs in a fresh child (`python bench/memory.py PEER ROWS MNIST_DIR THREADS`), so that
earlier work of the benchmark cannot hide a peak. The child loads the data, builds the model, then
resets the kernel's peak-RSS mark (5 > /proc/self/clear_refs) -- loading makes float temporaries
larger than anything fit() should need, which would otherwise hide fit's own peak -- trains one
epoch and reports VmHWM minus the RSS before fit. Where the mark cannot be reset it falls back to
getrusage's ru_maxrss, which then only bounds the increase from above.

A fit() that copies X grows by at least X's size; one that does not grows by its gradients,
optimizer state and batch buffers: a few times the size of the model's parameters.
"""

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
COPY_THRESHOLD = 0.9  # an increase of at least this share of X's bytes is read as "X was copied"


def _status_kib(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def _reset_peak_mark():
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
        return True
    except OSError:
        return False


def _max_rss_kib():
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // (1024 if sys.platform == "darwin" else 1)


def _child(peer_name, rows, mnist_dir, threads):
    import gc

    import peers
    import workloads

    workload = workloads.mnist(rows=rows, mnist_dir=mnist_dir)
    peer_class = peers.BY_NAME[peer_name]
    peer_class.set_threads(threads)
    peer = peer_class(workload)
    gc.collect()
    try:
        before = _status_kib("VmRSS")
        exact = _reset_peak_mark()
    except (OSError, KeyError):  # no /proc: not Linux
        before, exact = _max_rss_kib(), False
    peer.train_epochs(1)
    peak = _status_kib("VmHWM") if exact else _max_rss_kib()
    sizes = workload.sizes
    print(json.dumps({
        "framework": peer_name, "rows": rows,
        "x_bytes": workload.x.nbytes, "data_bytes": workload.x.nbytes + workload.targets.nbytes,
        "model_bytes": 4 * sum(i * o + o for i, o in zip(sizes[:-1], sizes[1:])),
        "rss_before_bytes": before * 1024, "peak_increase_bytes": max(0, peak - before) * 1024,
        "method": "VmHWM after resetting it (clear_refs)" if exact else "ru_maxrss (an upper bound)"}))


def measure(peer_name, rows, mnist_dir, threads, timeout=600):
    """Runs the child for one framework; returns its dict plus "copies_x" and "model_multiples",
    or {"framework": ..., "error": text}."""
    try:
        done = subprocess.run([sys.executable, os.path.join(HERE, "memory.py"), peer_name, str(rows), mnist_dir,
                               str(threads)], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"framework": peer_name, "error": f"timed out after {timeout} s"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"framework": peer_name, "error": f"exit {done.returncode}: {tail}"}
    result = json.loads(lines[-1])
    result["copies_x"] = result["peak_increase_bytes"] >= COPY_THRESHOLD * result["x_bytes"]
    result["model_multiples"] = result["peak_increase_bytes"] / result["model_bytes"]
    return result


if __name__ == "__main__":
    _child(sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]))
