"""A program may end while a daemon thread is inside fastmlp. CPython then ends that thread when it
next asks for the GIL, by unwinding its stack; that unwind through fastmlp's C++ frames used to call
std::terminate, so the whole program died with SIGABRT ("terminate called without an active
exception") instead of exiting normally. A data-parallel program could also die because mpi4py
finalized MPI while the training thread was inside an MPI call. Each program runs in its own
interpreter (or its own mpiexec job) under a time limit."""

import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import textwrap

import pytest

from conftest import TESTS_DIR, run_isolated

SETUP = """
    import threading
    import time
    import numpy as np
    import fastmlp as fm

    fm.utils.set_random_seed(0)
    model = fm.Sequential([fm.layers.Input((64,)), fm.layers.Dense(256, activation="relu"),
                           fm.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x = np.random.default_rng(0).normal(size=(4000, 64)).astype(np.float32)
    y = (x[:, :1] > 0).astype(np.float32)
    inside = threading.Event()
"""

# Each runs in a daemon thread, forever or nearly, until the interpreter ends it.
WORKLOADS = {
    # The thread is ended while taking the GIL back for a batch callback, or after fit.
    "fit": """
        started = fm.callbacks.LambdaCallback(on_train_batch_begin=lambda batch, logs: inside.set())
        model.fit(x, y, epochs=10**6, batch_size=32, verbose=0, callbacks=[started])
    """,
    # The progress bar prints from the callback: Python code that releases the GIL to write and is
    # ended when it takes it back, inside the callback.
    "fit with a progress bar": """
        started = fm.callbacks.LambdaCallback(on_train_batch_begin=lambda batch, logs: inside.set())
        model.fit(x, y, epochs=10**6, batch_size=32, verbose=1, callbacks=[started])
    """,
    # A callback that sleeps, releasing the GIL for the whole time.
    "fit with a sleeping callback": """
        def nap(batch, logs):
            inside.set()
            time.sleep(0.01)
        model.fit(x, y, epochs=10**6, batch_size=32, verbose=0,
                  callbacks=[fm.callbacks.LambdaCallback(on_train_batch_end=nap)])
    """,
    # Data parallel (one rank, MPI's singleton): the core calls the Python communicator from the fit
    # thread once per step, taking the GIL there, and the communicator calls MPI without it.
    "data-parallel fit": """
        fm.distribution.set_distribution(fm.distribution.DataParallel())
        started = fm.callbacks.LambdaCallback(on_train_batch_begin=lambda batch, logs: inside.set())
        model.fit(x, y, epochs=10**6, batch_size=32, verbose=0, callbacks=[started])
    """,
    # Ended when predict, evaluate or save take the GIL back (the first predict also looks NumPy's
    # API up, which releases the GIL inside pybind11).
    "predict": """
        while True:
            inside.set()
            model.predict(x, verbose=0)
    """,
    "evaluate": """
        while True:
            inside.set()
            model.evaluate(x, y, verbose=0)
    """,
    "save": """
        import os, tempfile
        path = os.path.join(tempfile.mkdtemp(), "model.fastmlp")
        while True:
            inside.set()
            model.save(path)
    """,
}


def program(workload):
    """The program that starts ``workload`` in a daemon thread and exits once it is inside it."""
    body = "\n".join("    " + line for line in WORKLOADS[workload].strip("\n").splitlines())
    return SETUP + f"""
    def work():
{body}

    threading.Thread(target=work, daemon=True).start()
    inside.wait(30)
    time.sleep(0.05)
    print("main thread done")
    """


@pytest.mark.parametrize("workload", list(WORKLOADS))
def test_the_program_exits_normally_while_a_daemon_thread_is_inside_fastmlp(workload):
    if workload.startswith("data-parallel"):
        pytest.importorskip("mpi4py")
    status, out, err = run_isolated(program(workload), timeout=60)
    print(status, out[-300:], err[-1500:])
    assert "terminate called" not in err
    assert status == 0 and "main thread done" in out


def mpiexec():
    found = shutil.which("mpiexec") or shutil.which("mpiexec", path=os.path.dirname(sys.executable))
    if found is None:
        pytest.skip("no mpiexec on PATH (the mpich package provides one)")
    return found


def slow_mpi(tmp_path):
    """tests/slow_mpi.c built into a library to preload: MPI made slow, and MPI_Finalize while another
    thread is inside an MPI call made an error (exit status 86) every time it happens."""
    compiler = shutil.which(os.environ.get("CC", "") or sysconfig.get_config_var("CC").split()[0] or "cc")
    if compiler is None:
        pytest.skip("no C compiler to build tests/slow_mpi.c")
    library = tmp_path / "slow_mpi.so"
    subprocess.run([compiler, "-shared", "-fPIC", "-O2", "-o", str(library), os.path.join(TESTS_DIR, "slow_mpi.c"),
                    "-ldl"], check=True, capture_output=True)
    return library


@pytest.mark.parametrize("ranks", [1, 2])
def test_a_data_parallel_program_exits_normally_while_its_fit_thread_is_inside_mpi(tmp_path, ranks):
    # mpi4py finalizes MPI at the very end of interpreter exit, while daemon threads still run; a fit
    # thread inside an MPI call then (ThreadSanitizer's timing made that likely) died with SIGSEGV.
    # Here every MPI_Test takes 0.3 s (longer than the interpreter's exit up to MPI_Finalize), so the
    # thread is nearly always inside one when the program exits, and slow_mpi fails a finalize that
    # overlaps it every time: before the fix, 5 of 5 runs ended with status 86, with 1 rank and with
    # 2 (without the check, with MPI_Test kept 0.2 s inside MPICH, 7 of 15 two-rank runs died).
    pytest.importorskip("mpi4py")
    script = tmp_path / "exits_while_training.py"
    script.write_text(f"import sys\nsys.path.insert(0, {TESTS_DIR!r})\n" + textwrap.dedent(program("data-parallel fit")))
    # After whatever is preloaded already (.ci/tsan.sh preloads ThreadSanitizer's runtime).
    preload = " ".join(filter(None, [os.environ.get("LD_PRELOAD"), str(slow_mpi(tmp_path))]))
    env = dict(os.environ, LD_PRELOAD=preload, SLOW_MPI_US="300000", OMP_NUM_THREADS="1")
    for run in range(2):  # each failed every time before the fix
        job = subprocess.Popen([mpiexec(), "-n", str(ranks), sys.executable, str(script)], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, env=env, start_new_session=True)
        try:
            output, _ = job.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(job.pid, signal.SIGKILL)
            output, _ = job.communicate()
            pytest.fail(f"run {run}: the program did not exit within 60 s:\n{output[-3000:]}")
        print(f"run {run}: status {job.returncode}\n{output[-1500:]}")
        assert "slow_mpi:" not in output and "terminate called" not in output
        assert job.returncode == 0 and output.count("main thread done") == ranks


def test_an_atexit_handler_that_runs_after_the_gate_closed_still_trains_data_parallel():
    # The lock that keeps other threads out of MPI at exit lets the exiting thread itself through:
    # an atexit handler registered before the distribution runs after that lock is taken.
    pytest.importorskip("mpi4py")
    status, out, err = run_isolated(SETUP + """
    import atexit

    def train_at_exit():
        model.fit(x[:256], y[:256], epochs=1, batch_size=32, verbose=0)
        print("trained at exit")

    atexit.register(train_at_exit)
    fm.distribution.set_distribution(fm.distribution.DataParallel())
    model.fit(x[:256], y[:256], epochs=1, batch_size=32, verbose=0)
    """, timeout=60)
    print(status, out[-300:], err[-1500:])
    assert status == 0 and "trained at exit" in out
