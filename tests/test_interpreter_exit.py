"""A program may end while a daemon thread is inside fastmlp. CPython then ends that thread when it
next asks for the GIL, by unwinding its stack; that unwind through fastmlp's C++ frames used to call
std::terminate, so the whole program died with SIGABRT ("terminate called without an active
exception") instead of exiting normally. Each program runs in its own interpreter."""

import pytest

from conftest import run_isolated

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


@pytest.mark.parametrize("workload", list(WORKLOADS))
def test_the_program_exits_normally_while_a_daemon_thread_is_inside_fastmlp(workload):
    body = "\n".join("    " + line for line in WORKLOADS[workload].strip("\n").splitlines())
    code = SETUP + f"""
    def work():
{body}

    threading.Thread(target=work, daemon=True).start()
    inside.wait(30)
    time.sleep(0.05)
    print("main thread done")
    """
    status, out, err = run_isolated(code, timeout=60)
    print(status, out[-300:], err[-1500:])
    assert "terminate called" not in err
    assert status == 0 and "main thread done" in out
