"""Optimizer steps against a plain NumPy implementation of forward, loss, backward and Keras 3's update
formulas (conftest.sgd/adam/rmsprop), over three steps so that momentum, second moments and Adam's bias
correction all matter."""

import numpy as np
import pytest

import fastmlp as fm
from conftest import (adam, assert_close, make_model, make_targets, reference_step, rmsprop, sgd,
                      start_at_known_weights)

SIZES = (4, 6, 3)
ACTIVATIONS = ["tanh", "softmax"]
LOSS = "categorical_crossentropy"
STEPS = 3


CASES = {
    "sgd": (lambda: fm.optimizers.SGD(learning_rate=0.1), sgd(0.1)),
    "sgd_momentum": (lambda: fm.optimizers.SGD(learning_rate=0.1, momentum=0.9), sgd(0.1, 0.9)),
    "sgd_nesterov": (lambda: fm.optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True),
                     sgd(0.1, 0.9, nesterov=True)),
    "adam": (lambda: fm.optimizers.Adam(learning_rate=0.01), adam(0.01)),
    "adam_betas": (lambda: fm.optimizers.Adam(learning_rate=0.02, beta_1=0.5, beta_2=0.9, epsilon=1e-3),
                   adam(0.02, 0.5, 0.9, 1e-3)),
    "rmsprop": (lambda: fm.optimizers.RMSprop(learning_rate=0.01), rmsprop(0.01)),
    "rmsprop_momentum": (lambda: fm.optimizers.RMSprop(learning_rate=0.01, momentum=0.5), rmsprop(0.01, momentum=0.5)),
    "rmsprop_centered": (lambda: fm.optimizers.RMSprop(learning_rate=0.01, centered=True),
                         rmsprop(0.01, centered=True)),
}


@pytest.mark.parametrize("case", CASES)
def test_train_on_batch_steps_match_numpy(case, rng):
    make_optimizer, update = CASES[case]
    model, weights, x, y = start_at_known_weights(make_optimizer(), rng)
    slots = [{} for _ in weights]
    initial = [w.copy() for w in weights]
    for t in range(1, STEPS + 1):
        expected_loss = reference_step(weights, slots, update, ACTIVATIONS, LOSS, x, y, t)
        assert_close(f"{case} step {t} loss", model.train_on_batch(x, y), expected_loss, rtol=1e-5, atol=1e-6)
        assert_close(f"{case} step {t} weights", model.get_weights(), weights, rtol=1e-5, atol=1e-6)
    assert model.optimizer.iterations == STEPS
    # The optimizer state itself, for the first kernel.
    assert_close(f"{case} slots", list(model.optimizer._core.slots(0)), list(slots[0].values()),
                 rtol=1e-4, atol=1e-7)
    # The steps must have moved every weight array: otherwise comparing them proves little.
    assert all(np.abs(w - w0).max() > 1e-3 for w, w0 in zip(weights, initial))


@pytest.mark.parametrize("case", ["sgd_momentum", "adam", "rmsprop"])
def test_fit_takes_one_step_per_batch(case, rng):
    """fit(shuffle=False) over two batches per epoch takes the same steps as the NumPy loop over row
    blocks: one shared step count per batch (Adam's bias correction), not per tensor or per epoch."""
    make_optimizer, update = CASES[case]
    model, weights, x, y = start_at_known_weights(make_optimizer(), rng, rows=10)
    slots = [{} for _ in weights]
    epochs, batch = 2, 6  # batches of 6 and 4 rows
    losses, t = [], 0
    for _ in range(epochs):
        total = 0.0
        for first in range(0, len(x), batch):
            t += 1
            rows = slice(first, first + batch)
            loss = reference_step(weights, slots, update, ACTIVATIONS, LOSS, x[rows], y[rows], t)
            total += loss * len(x[rows])
        losses.append(total / len(x))
    history = model.fit(x, y, batch_size=batch, epochs=epochs, shuffle=False, verbose=0)
    assert model.optimizer.iterations == 4
    assert_close(f"{case} fit weights", model.get_weights(), weights, rtol=1e-5, atol=1e-6)
    assert_close(f"{case} fit epoch losses", history.history["loss"], losses, rtol=1e-5, atol=1e-6)


def test_learning_rate_can_be_changed_between_steps(rng):
    model, weights, x, y = start_at_known_weights(fm.optimizers.SGD(learning_rate=0.1), rng)
    model.optimizer.learning_rate = 0.5
    assert model.optimizer.learning_rate == 0.5
    reference_step(weights, [{} for _ in weights], sgd(0.5), ACTIVATIONS, LOSS, x, y, 1)
    model.train_on_batch(x, y)
    assert_close("SGD after learning_rate = 0.5", model.get_weights(), weights, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("make", [
    lambda: fm.optimizers.SGD(learning_rate=-1.0),
    lambda: fm.optimizers.SGD(momentum=1.5),
    lambda: fm.optimizers.Adam(beta_1=1.0),
    lambda: fm.optimizers.RMSprop(rho=-0.1),
])
def test_invalid_hyperparameters_raise_value_error(make):
    with pytest.raises(ValueError):
        make()


@pytest.mark.parametrize("case", ["sgd_nesterov", "adam", "rmsprop_centered"])
def test_large_parameters_update_on_two_threads(case, threads_restored, rng):
    """A 128 x 100 kernel is large enough for the update to be split across threads."""
    fm.set_num_threads(2)
    make_optimizer, update = CASES[case]
    sizes, activations, loss = (16, 128, 100), ["relu", "softmax"], "categorical_crossentropy"
    model = make_model(*activations, loss=loss, optimizer=make_optimizer(), sizes=sizes)
    weights = [w.astype(np.float64) for w in model.get_weights()]
    slots = [{} for _ in weights]
    x = rng.uniform(-1, 1, (64, sizes[0])).astype(np.float32)
    y = make_targets(loss, rng, 64, sizes[-1])
    for t in range(1, STEPS + 1):
        reference_step(weights, slots, update, activations, loss, x, y, t)
        model.train_on_batch(x, y)
    # Some kernel gradients are ~1e-6, where Adam's sqrt(v) ~ epsilon makes the step sensitive to the
    # float32 rounding of g: those elements differ from float64 by up to ~1e-6 (measured 1.0e-6).
    assert_close(f"{case}, 128 x 100 kernel on 2 threads", model.get_weights(), weights, rtol=1e-5, atol=3e-6)
