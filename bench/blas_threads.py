"""NumPy's BLAS thread count, which the NumPy and scikit-learn peers train with.

threadpoolctl changes it at any time. Without threadpoolctl, only environment variables read when
the BLAS library loads can set it, so `preset_environment` must run before NumPy is imported, and
later changes (the thread-scaling table) are impossible and reported as such.
"""

import importlib.util
import os

BLAS_ENV_VARS = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS", "OMP_NUM_THREADS")

_current = None  # the threadpool_limits object in force


def have_threadpoolctl():
    return importlib.util.find_spec("threadpoolctl") is not None


def preset_environment(threads):
    """Before NumPy is imported: when threadpoolctl is missing, fix BLAS at `threads` through the
    environment (variables the user set are left alone). Returns a note, or None."""
    if not threads or have_threadpoolctl():
        return None
    for name in BLAS_ENV_VARS:
        os.environ.setdefault(name, str(threads))
    return (f"threadpoolctl is not installed: NumPy's BLAS threads were fixed at start-up through "
            f"{'/'.join(BLAS_ENV_VARS[:3])} and cannot be changed during the run")


def limit(n):
    """Limits NumPy's BLAS to `n` threads; returns what was controlled, in words."""
    global _current
    if not have_threadpoolctl():
        return "NumPy's BLAS threads: NOT controlled (threadpoolctl missing); fixed by the environment at start-up"
    from threadpoolctl import threadpool_limits

    if _current is not None:
        _current.restore_original_limits()
    _current = threadpool_limits(limits=n, user_api="blas")
    return f"threadpoolctl: NumPy's BLAS limited to {n} thread(s); ufuncs are single-threaded anyway"
