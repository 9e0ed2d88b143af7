"""Training that diverges (loss NaN or infinite) never crashes: TerminateOnNaN stops it, the History
records it, and the model can still be inspected, reset and trained."""

import math

import numpy as np
import pytest

import fastmlp as fm


def exploding_model(learning_rate=1e6):
    fm.utils.set_random_seed(0)
    model = fm.Sequential([fm.layers.Input((4,)), fm.layers.Dense(16, activation="relu"), fm.layers.Dense(1)])
    model.compile(optimizer=fm.optimizers.SGD(learning_rate=learning_rate), loss="mse", metrics=["mae"])
    return model


def data(rows=256):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(rows, 4)).astype(np.float32) * 100
    return x, (x.sum(axis=1, keepdims=True) * 100).astype(np.float32)


def test_a_diverging_fit_finishes_and_records_non_finite_losses():
    model = exploding_model()
    history = model.fit(*data(), epochs=5, batch_size=16, verbose=0)
    losses = history.history["loss"]
    assert len(losses) == 5
    assert not all(math.isfinite(v) for v in losses)
    # Reading, evaluating and predicting the broken model gives NaNs, not an error or a crash.
    predictions = model.predict(data()[0], verbose=0)
    assert predictions.shape == (256, 1)
    assert not math.isfinite(model.evaluate(*data(), verbose=0)[0])


def test_terminate_on_nan_stops_in_the_first_bad_epoch(capsys):
    model = exploding_model()
    seen = []
    history = model.fit(*data(), epochs=50, batch_size=16, verbose=0,
                        callbacks=[fm.callbacks.TerminateOnNaN(),
                                   fm.callbacks.LambdaCallback(on_batch_end=lambda b, logs: seen.append(logs["loss"]))])
    losses = history.history["loss"]
    assert len(losses) < 50
    assert not math.isfinite(losses[-1]) and all(math.isfinite(v) for v in losses[:-1])
    assert not math.isfinite(seen[-1]) and all(math.isfinite(v) for v in seen[:-1])
    assert "terminating training" in capsys.readouterr().out
    assert history.epoch == list(range(len(losses)))


def test_terminate_on_nan_can_raise():
    model = exploding_model()
    with pytest.raises(RuntimeError, match="NaN or Inf loss"):
        model.fit(*data(), epochs=50, batch_size=16, verbose=0,
                  callbacks=[fm.callbacks.TerminateOnNaN(raise_error=True)])


def test_a_diverged_model_can_be_reset_and_trained_again():
    model = exploding_model()
    initial = model.get_weights()
    model.fit(*data(), epochs=3, batch_size=16, verbose=0, callbacks=[fm.callbacks.TerminateOnNaN()])
    model.set_weights(initial)
    model.optimizer.learning_rate = 1e-10  # small enough for these wide-ranging data
    history = model.fit(*data(), epochs=2, batch_size=16, verbose=0)
    assert all(math.isfinite(v) for v in history.history["loss"])


def test_overflowing_logits_in_cross_entropy_stay_finite():
    # Huge logits overflow a naive softmax; the fused, clipped loss keeps it finite.
    fm.utils.set_random_seed(0)
    model = fm.Sequential([fm.layers.Input((2,)), fm.layers.Dense(3, activation="softmax",
                                                                   kernel_initializer=fm.initializers.Constant(1e4))])
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    x = np.array([[1.0, -1.0], [3.0, 2.0]], np.float32)
    y = fm.utils.to_categorical([0, 2], 3)
    assert math.isfinite(model.evaluate(x, y, verbose=0))
    assert np.all(np.isfinite(model.predict(x, verbose=0)))


def test_early_stopping_and_checkpoint_tolerate_nan(tmp_path):
    model = exploding_model()
    history = model.fit(*data(), epochs=6, batch_size=16, validation_split=0.25, verbose=0,
                        callbacks=[fm.callbacks.EarlyStopping(patience=1),
                                   fm.callbacks.ModelCheckpoint(tmp_path / "best.fmlp", save_best_only=True),
                                   fm.callbacks.ReduceLROnPlateau(patience=1)])
    assert len(history.history["loss"]) <= 6
