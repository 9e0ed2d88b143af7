"""What the benchmark ran on, and whether something else was competing for the CPUs meanwhile."""

import os
import platform
import sys


def cpu_model():
    """The CPU's model name from /proc/cpuinfo (Linux), else what the platform module says."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def simd_flags():
    """The vector extensions GEMM kernels care about, as /proc/cpuinfo lists them."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return [f for f in ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512_bf16", "amx_tile")
                            if f in flags]
    except OSError:
        pass
    return []


def _version(distribution):
    """The installed version, read from package metadata so that no (slow) import is needed."""
    from importlib import metadata

    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


THREAD_ENV_VARS = ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "FASTMLP_SPIN_US", "OPENBLAS_NUM_THREADS",
                   "MKL_NUM_THREADS")


def describe(threads, thread_controls):
    """Lines describing the machine, the library versions and how the thread counts were set
    (`thread_controls`: one line per framework, as its set_threads() reported it)."""
    import numpy as np

    blas = "unknown (threadpoolctl not installed)"
    try:
        from threadpoolctl import threadpool_info

        pools = [f"{p['internal_api']} {p.get('version') or ''} ({p.get('architecture') or p['user_api']}, "
                 f"{p['num_threads']} thread(s) at start)" for p in threadpool_info() if p["user_api"] == "blas"]
        blas = ", ".join(pools) or "none found"
    except ImportError:
        pass
    env = ", ".join(f"{name}={os.environ[name]}" for name in THREAD_ENV_VARS if name in os.environ) or "none set"
    return [
        f"CPU: {cpu_model()}; {os.cpu_count()} logical cores; SIMD: {' '.join(simd_flags()) or 'n/a'}",
        f"OS: {platform.platform()}; Python {sys.version.split()[0]}",
        f"fastmlp {_version('fastmlp')}; numpy {np.__version__} (BLAS: {blas}); "
        f"scikit-learn {_version('scikit-learn')}; torch {_version('torch')}",
        f"threads per framework: {threads}; thread environment variables: {env}",
    ] + [f"threads: {line}" for line in thread_controls]


class CpuContention:
    """Measures how much CPU time *other* processes used between start() and stop().

    Benchmarks on a shared machine are only meaningful when nothing else runs; this turns a silent
    distortion into a printed warning. Linux only (reads /proc/stat and /proc/self/stat).
    """

    def __init__(self):
        self._start = None

    @staticmethod
    def _sample():
        try:
            with open("/proc/stat") as stat:
                fields = [int(v) for v in stat.readline().split()[1:]]
            with open("/proc/self/stat") as own:
                parts = own.read().rsplit(")", 1)[1].split()
        except (OSError, ValueError):
            return None
        busy_all = sum(fields) - fields[3] - (fields[4] if len(fields) > 4 else 0)  # minus idle, iowait
        busy_self = int(parts[11]) + int(parts[12]) + int(parts[13]) + int(parts[14])  # utime stime cutime cstime
        return busy_all, busy_self, sum(fields)

    def start(self):
        self._start = self._sample()
        return self

    def _deltas(self):
        end = self._sample()
        if self._start is None or end is None or end[2] <= self._start[2]:
            return None
        others = (end[0] - self._start[0]) - (end[1] - self._start[1])
        return max(0, others), end[2] - self._start[2]

    def other_share(self):
        """Fraction of the machine's CPU capacity used by other processes since start(), or None."""
        deltas = self._deltas()
        return None if deltas is None else deltas[0] / deltas[1]

    def contended(self, limit):
        """Whether other processes used more than ``limit`` of the CPUs since start(), beyond the
        error of the kernel's tick-based accounting (about one tick per CPU at each end)."""
        deltas = self._deltas()
        if deltas is None:
            return False
        others, total = deltas
        return others > limit * total + 2 * (os.cpu_count() or 1)


def contention_note(share):
    """A one-line verdict for CpuContention.other_share()."""
    if share is None:
        return "CPU contention: not measurable on this OS"
    text = f"other processes used {share:.0%} of the CPUs during this run"
    if share > 0.10:
        text += " -- WARNING: timings are distorted; rerun on an idle machine"
    return text
