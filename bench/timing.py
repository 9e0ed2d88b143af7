"""Timing helpers: medians, per-call latencies with perf_counter_ns, and letting thread pools go idle."""

import statistics
import time


def median(values):
    return statistics.median(values)


def settle(seconds):
    """Sleeps so that worker threads of the framework timed before (OpenBLAS, the OpenMP runtimes of
    fastmlp and PyTorch) stop spinning before the next one is timed: on a machine with few cores a
    pool still spinning steals a core from the framework being measured."""
    time.sleep(seconds)


def latency_ns(fn, repeats, warmup=20):
    """Median wall time of one `fn()` call in nanoseconds, over `repeats` timed calls."""
    for _ in range(warmup):
        fn()
    clock = time.perf_counter_ns
    samples = []
    for _ in range(repeats):
        start = clock()
        fn()
        samples.append(clock() - start)
    return median(samples)


def format_duration(s):
    """A duration in seconds as text, in a unit that keeps 3 significant digits readable."""
    if s >= 1:
        return f"{s:.3f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.2f} ms"
    return f"{s * 1e6:.2f} us"


def format_rate(per_second):
    if per_second >= 1e6:
        return f"{per_second / 1e6:.2f} M"
    if per_second >= 1e3:
        return f"{per_second / 1e3:.1f} k"
    return f"{per_second:.0f}"
