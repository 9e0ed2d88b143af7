"""Ctrl-C during fit: KeyboardInterrupt within about a batch, and a model whose weights are those after
the last completed step (finite, identical to a model trained for that many steps) that can predict,
be saved and be trained again."""

import os
import signal
import threading
import time

import numpy as np
import pytest

import fastmlp as fm

ROWS, FEATURES, BATCH = 256, 16, 32
STEPS_PER_EPOCH = ROWS // BATCH
# Ctrl-C must end fit within this long; the batch hook checks for signals every 0.1 s.
PROMPT_SECONDS = 1.0


def data():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(ROWS, FEATURES)).astype(np.float32)
    y = fm.utils.to_categorical(rng.integers(0, 4, ROWS), 4)
    return x, y


def model(seed=11):
    fm.utils.set_random_seed(seed)
    net = fm.Sequential([fm.layers.Input((FEATURES,)), fm.layers.Dense(32, activation="relu"),
                         fm.layers.Dense(4, activation="softmax")])
    net.compile(optimizer=fm.optimizers.Adam(learning_rate=1e-3), loss="categorical_crossentropy",
                metrics=["accuracy"])
    return net


def epochs_lasting(seconds, x, y):
    """Enough epochs for fit to run about ``seconds`` on this machine, so that a missed Ctrl-C fails
    the test after a while instead of hanging it."""
    probe = model()
    start = time.perf_counter()
    probe.fit(x, y, batch_size=BATCH, epochs=20, shuffle=False, verbose=0)
    per_epoch = (time.perf_counter() - start) / 20
    return max(100, int(seconds / max(per_epoch, 1e-6)))


def replay(steps, x, y):
    """A fresh model (same seed) trained for exactly ``steps`` steps over the same unshuffled batches."""
    net = model()
    epochs, rest = divmod(steps, STEPS_PER_EPOCH)
    if epochs:
        net.fit(x, y, batch_size=BATCH, epochs=epochs, shuffle=False, verbose=0)
    for b in range(rest):
        net.train_on_batch(x[b * BATCH:(b + 1) * BATCH], y[b * BATCH:(b + 1) * BATCH])
    return net


def send_sigint_after(seconds):
    sent = {}

    def fire():
        sent["at"] = time.perf_counter()
        os.kill(os.getpid(), signal.SIGINT)

    timer = threading.Timer(seconds, fire)
    timer.start()
    return timer, sent


@pytest.fixture(autouse=True)
def default_sigint_handler():
    """pytest keeps Python's default handler, which raises KeyboardInterrupt; make sure of it."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def assert_usable(net, x, y, tmp_path):
    for weight in net.get_weights():
        assert np.all(np.isfinite(weight))
    predictions = net.predict(x, verbose=0)
    assert np.all(np.isfinite(predictions))
    net.save(tmp_path / "interrupted.fmlp")
    loaded = fm.models.load_model(tmp_path / "interrupted.fmlp")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), predictions)
    history = net.fit(x, y, batch_size=BATCH, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2 and np.all(np.isfinite(history.history["loss"]))


@pytest.mark.parametrize("with_callbacks", [False, True], ids=["silent fit", "fit with callbacks"])
def test_sigint_from_another_thread_stops_fit_promptly_with_consistent_weights(with_callbacks, tmp_path):
    x, y = data()
    net = model()
    # Callbacks that want every batch make the hook run on every batch; without them it is throttled.
    callbacks = [fm.callbacks.LambdaCallback(on_batch_end=lambda batch, logs: None)] if with_callbacks else []
    timer, sent = send_sigint_after(0.5)
    try:
        with pytest.raises(KeyboardInterrupt):
            net.fit(x, y, batch_size=BATCH, epochs=epochs_lasting(30, x, y), shuffle=False, verbose=0,
                    callbacks=callbacks)
        delay = time.perf_counter() - sent["at"]
    finally:
        timer.cancel()
    print(f"KeyboardInterrupt {delay * 1000:.1f} ms after SIGINT")
    assert delay < PROMPT_SECONDS

    steps = int(net.optimizer.iterations)
    assert steps > 0
    expected = replay(steps, x, y)
    for got, want in zip(net.get_weights(), expected.get_weights()):
        np.testing.assert_array_equal(got, want)
    assert_usable(net, x, y, tmp_path)


def test_sigint_raised_inside_a_callback_stops_fit(tmp_path):
    x, y = data()
    net = model()
    seen = []

    def on_batch_end(batch, logs):
        seen.append(batch)
        if len(seen) == 13:
            signal.raise_signal(signal.SIGINT)

    with pytest.raises(KeyboardInterrupt):
        net.fit(x, y, batch_size=BATCH, epochs=1000, shuffle=False, verbose=0,
                callbacks=[fm.callbacks.LambdaCallback(on_batch_end=on_batch_end)])
    # The signal arrives in the callback itself (Python checks for it there) or at the next batch.
    assert len(seen) in (13, 14)
    assert int(net.optimizer.iterations) == len(seen)
    for got, want in zip(net.get_weights(), replay(len(seen), x, y).get_weights()):
        np.testing.assert_array_equal(got, want)
    assert_usable(net, x, y, tmp_path)


def test_keyboard_interrupt_from_a_callback_at_epoch_end_keeps_the_epochs_done(tmp_path):
    x, y = data()
    net = model()

    def on_epoch_end(epoch, logs):
        if epoch == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        net.fit(x, y, batch_size=BATCH, epochs=10, shuffle=False, verbose=0,
                callbacks=[fm.callbacks.LambdaCallback(on_epoch_end=on_epoch_end)])
    assert int(net.optimizer.iterations) == 3 * STEPS_PER_EPOCH
    for got, want in zip(net.get_weights(), replay(3 * STEPS_PER_EPOCH, x, y).get_weights()):
        np.testing.assert_array_equal(got, want)
    assert_usable(net, x, y, tmp_path)


def test_interrupted_model_is_not_left_marked_as_training():
    x, y = data()
    net = model()

    def stop(batch, logs):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        net.fit(x, y, batch_size=BATCH, epochs=5, verbose=0,
                callbacks=[fm.callbacks.LambdaCallback(on_batch_begin=stop)])
    assert int(net.optimizer.iterations) == 0  # stopped before the first step
    # compile, add and a second fit are refused while a model trains; after the interrupt they work.
    net.compile(optimizer="sgd", loss="categorical_crossentropy")
    net.fit(x, y, epochs=1, verbose=0)


def test_sigint_in_the_middle_of_a_long_epoch_is_noticed_between_batches(tmp_path):
    """One epoch of many batches: the check runs on the throttled mid-epoch hook, not at epoch ends."""
    rng = np.random.default_rng(4)
    x = rng.normal(size=(400_000, FEATURES)).astype(np.float32)
    y = fm.utils.to_categorical(rng.integers(0, 4, len(x)), 4)
    fm.utils.set_random_seed(0)
    net = fm.Sequential([fm.layers.Input((FEATURES,)), fm.layers.Dense(256, activation="relu"),
                         fm.layers.Dense(4, activation="softmax")])
    net.compile(optimizer="adam", loss="categorical_crossentropy")
    timers = []

    def arm(epoch, logs):  # an epoch-begin hook leaves the batch hook throttled
        timers.append(send_sigint_after(0.1))

    try:
        start = time.perf_counter()
        with pytest.raises(KeyboardInterrupt):
            net.fit(x, y, batch_size=1, epochs=1, verbose=0,
                    callbacks=[fm.callbacks.LambdaCallback(on_epoch_begin=arm)])
        delay = time.perf_counter() - timers[0][1]["at"]
    finally:
        timers[0][0].cancel()
    steps = int(net.optimizer.iterations)
    print(f"KeyboardInterrupt {delay * 1000:.1f} ms after SIGINT, mid-epoch at step {steps} of {len(x)}")
    assert 0 < steps < len(x), f"the epoch finished ({time.perf_counter() - start:.1f} s) before the signal"
    assert delay < PROMPT_SECONDS
    assert_usable(net, x[:ROWS], y[:ROWS], tmp_path)


# ---- issue 26: every loop over batches notices Ctrl-C, not only fit's training ---------------------------
def _wide_model(dtype="float32"):
    """Slow enough per row that predicting 400 000 rows takes seconds: a missed Ctrl-C shows as a delay."""
    fm.utils.set_random_seed(0)
    net = fm.Sequential([fm.layers.Input((FEATURES,), dtype=dtype),
                         fm.layers.Dense(512, activation="relu", dtype=dtype),
                         fm.layers.Dense(512, activation="relu", dtype=dtype), fm.layers.Dense(4, dtype=dtype)])
    net.compile(optimizer="sgd", loss="mse")
    return net


@pytest.mark.parametrize("call", ["predict", "evaluate", "fit's validation"])
def test_sigint_during_inference_is_noticed_between_batches(call):
    # It arrived only when a 2M-row predict or evaluate, or fit's validation pass, ended (1.8-5.8 s).
    rng = np.random.default_rng(5)
    x = rng.normal(size=(400_000, FEATURES)).astype(np.float32)
    y = np.zeros((len(x), 4), np.float32)
    net = _wide_model()
    if call == "predict":
        run = lambda: net.predict(x, verbose=0)  # noqa: E731
    elif call == "evaluate":
        run = lambda: net.evaluate(x, y, verbose=0)  # noqa: E731
    else:
        run = lambda: net.fit(x[:32], y[:32], validation_data=(x, y), epochs=1, verbose=0)  # noqa: E731
    timer, sent = send_sigint_after(0.2)
    try:
        start = time.perf_counter()
        with pytest.raises(KeyboardInterrupt):
            run()
        ended = time.perf_counter()
    finally:
        timer.cancel()
    assert "at" in sent, f"{call} finished in {ended - start:.2f} s, before the signal"
    delay = ended - sent["at"]
    print(f"{call}: KeyboardInterrupt {delay * 1000:.1f} ms after SIGINT")
    assert delay < PROMPT_SECONDS
    assert net.predict(x[:5], verbose=0).shape == (5, 4)  # the model is usable after
