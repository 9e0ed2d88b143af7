"""Repeated fit / predict / save / load cycles, including ones that fail in C++ or are interrupted from
a callback, keep resident memory flat: whatever a cycle allocates is given back.

A leak of one model per cycle (weights, Adam's slots, batch buffers: about 0.3 MB here) would add
tens of megabytes over the measured cycles; the bound leaves room for allocator noise only. Freed
heap memory is returned to the system (malloc_trim) before each reading, so that fragmentation in
glibc's arenas does not read as growth.
"""

import ctypes
import gc
import os
import resource

import numpy as np
import pytest

import fastmlp as fm

WARM_UP, CYCLES = 30, 200
ALLOWED_GROWTH_MB = 6.0


def _libc_trim():
    try:
        trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return lambda: None
    return lambda: trim(0)


_trim = _libc_trim()


def resident_mb():
    """Current resident set size; the peak where /proc is missing (it also grows with a leak)."""
    gc.collect()
    _trim()
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 32)).astype(np.float32)
    return x, fm.utils.to_categorical(rng.integers(0, 10, 256), 10)


def one_cycle(path, x, y):
    model = fm.Sequential([fm.layers.Input((32,)), fm.layers.Dense(128, activation="relu"),
                           fm.layers.Dropout(0.1), fm.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=32, epochs=1, validation_split=0.25, verbose=0)
    model.predict(x, verbose=0)
    model.save(path)
    loaded = fm.models.load_model(path)
    loaded.fit(x, y, batch_size=64, epochs=1, verbose=0)
    loaded.evaluate(x, y, verbose=0)
    # Errors thrown in C++ and a training stopped by an exception must free what they allocated too.
    with pytest.raises(ValueError):
        loaded.fit(x, np.full_like(y, np.nan), verbose=0)  # targets the core refuses
    with pytest.raises(ZeroDivisionError):
        loaded.fit(x, y, verbose=0, callbacks=[fm.callbacks.LambdaCallback(on_batch_end=lambda b, logs: 1 / 0)])
    with pytest.raises(ValueError):
        fm.models.load_model(os.fspath(path) + ".damaged")


@pytest.mark.skipif(bool(os.environ.get("FASTMLP_UNDER_SANITIZERS")),
                    reason="ASan's quarantine keeps freed memory resident on purpose")
def test_repeated_cycles_keep_memory_flat(tmp_path):
    x, y = data()
    path = tmp_path / "cycle.fmlp"
    fm.utils.set_random_seed(0)
    fm.Sequential([fm.layers.Input((32,)), fm.layers.Dense(10)]).save(path)
    damaged = bytearray(path.read_bytes())
    damaged[-10] ^= 0xFF
    (tmp_path / "cycle.fmlp.damaged").write_bytes(bytes(damaged))

    for _ in range(WARM_UP):
        one_cycle(path, x, y)
    readings = [resident_mb()]
    for cycle in range(1, CYCLES + 1):
        one_cycle(path, x, y)
        if cycle % 50 == 0:
            readings.append(resident_mb())
    growth = readings[-1] - readings[0]
    print(f"resident memory over {CYCLES} cycles after {WARM_UP} warm-up cycles: "
          + " -> ".join(f"{r:.1f}" for r in readings) + f" MB (growth {growth:+.2f} MB)")
    assert growth < ALLOWED_GROWTH_MB


@pytest.mark.skipif(bool(os.environ.get("FASTMLP_UNDER_SANITIZERS")),
                    reason="ASan's quarantine keeps freed memory resident on purpose")
def test_repeated_predictions_from_one_model_keep_memory_flat():
    x, y = data()
    fm.utils.set_random_seed(0)
    model = fm.Sequential([fm.layers.Input((32,)), fm.layers.Dense(256, activation="relu"),
                           fm.layers.Dense(10, activation="softmax")])
    for _ in range(50):
        model.predict(x, verbose=0)
    before = resident_mb()
    for _ in range(1000):
        model.predict(x, batch_size=64, verbose=0)
    growth = resident_mb() - before
    print(f"resident memory growth over 1000 predictions: {growth:+.2f} MB")
    assert growth < 2.0
