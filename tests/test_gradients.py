"""Backward pass: the gradients left by train_on_batch against central finite differences of
evaluate(), for every activation x loss pair, and against an independent NumPy backward pass.

Which pairs are covered, and how. The model is 4 -> Dense(5, activation) -> Dense(3, output).
Every activation is always the hidden activation. It is also the output activation when its range
suits the loss:
- mean_squared_error, mean_absolute_error: any output is a valid prediction, so output = activation
  (all 8 activations are checked as the last layer, including softmax's Jacobian).
- binary_crossentropy needs outputs in (0, 1): output = activation for sigmoid (the fused (p - y)
  gradient) and softmax (BCE through the softmax Jacobian); otherwise output = sigmoid.
- categorical_crossentropy and sparse_categorical_crossentropy need positive outputs (Keras rescales
  them to sum to one): output = activation for softmax (fused), sigmoid and softplus (both through
  the unfused -y/p + 1/sum(p) gradient); otherwise output = softmax. linear, tanh, leaky_relu and elu
  can be negative and relu can make every output 0, so those cannot be probability outputs.
"""

import numpy as np
import pytest

import fastmlp as fm
from conftest import (ACTIVATIONS, KINKED, LOSSES, analytic_gradients, assert_close, layer_gradients, make_model,
                      make_targets, numeric_gradients, one_hot_targets, reference_forward, reference_gradients)

PROBABILITY_OUTPUTS = {
    "binary_crossentropy": ("sigmoid", "softmax"),
    "categorical_crossentropy": ("softmax", "sigmoid", "softplus"),
    "sparse_categorical_crossentropy": ("softmax", "sigmoid", "softplus"),
}
DEFAULT_OUTPUT = {"binary_crossentropy": "sigmoid", "categorical_crossentropy": "softmax",
                  "sparse_categorical_crossentropy": "softmax"}
SIZES = (4, 5, 3)
ROWS = 8
KINK_MARGIN = 0.05  # numeric_gradients' step (3e-3) moves any pre-activation by far less than this


def output_activation(activation, loss):
    if loss not in PROBABILITY_OUTPUTS or activation in PROBABILITY_OUTPUTS[loss]:
        return activation
    return DEFAULT_OUTPUT[loss]


def safe_batch(model, activations, loss, rng):
    """ROWS samples away from the kinks: no relu-type pre-activation and (for MAE) no p - y within
    KINK_MARGIN of 0, where a central difference would straddle the corner."""
    x = rng.uniform(-1, 1, (64, SIZES[0])).astype(np.float32)
    y = make_targets(loss, rng, 64, SIZES[-1])
    zs, outs = reference_forward(model.get_weights(), activations, x)
    keep = np.ones(len(x), bool)
    for z, name in zip(zs, activations):
        if name in KINKED:
            keep &= np.abs(z).min(axis=1) > KINK_MARGIN
    if loss == "mean_absolute_error":
        keep &= np.abs(outs[-1] - y).min(axis=1) > KINK_MARGIN
    assert keep.sum() >= ROWS, "not enough samples away from the kinks; change the seed"
    return x[keep][:ROWS], y[keep][:ROWS]






@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_gradients_match_finite_differences(activation, loss, rng):
    activations = [activation, output_activation(activation, loss)]
    model = make_model(*activations, loss=loss, sizes=SIZES)
    x, y = safe_batch(model, activations, loss, rng)
    analytic = analytic_gradients(model, x, y)
    numeric = numeric_gradients(model, x, y)
    assert_close(f"{activations} + {loss}, analytic vs finite differences", analytic, numeric,
                 rtol=1e-2, atol=2e-4)
    # A check that could not fail on all-zero gradients would prove nothing.
    assert max(np.abs(g).max() for g in analytic) > 1e-3


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_gradients_and_loss_match_numpy_reference(activation, loss, rng):
    activations = [activation, output_activation(activation, loss)]
    model = make_model(*activations, loss=loss, sizes=SIZES)
    x, y = safe_batch(model, activations, loss, rng)
    expected_loss, expected = reference_gradients(model.get_weights(), activations, loss, x, y)
    loss_value = model.train_on_batch(x, y)
    assert_close(f"{activations} + {loss}, loss vs NumPy", loss_value, expected_loss, rtol=1e-5, atol=1e-6)
    assert_close(f"{activations} + {loss}, gradients vs NumPy", layer_gradients(model), expected,
                 rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("hidden, output, loss", [
    ("relu", "softmax", "categorical_crossentropy"),
    ("tanh", "sigmoid", "binary_crossentropy"),
    ("sigmoid", "tanh", "mean_squared_error"),
])
def test_deeper_network_against_numpy_reference(hidden, output, loss, rng):
    """Three layers, so that a gradient passes through a hidden layer's dX = dZ W^T as well."""
    sizes = (6, 7, 5, 4)
    model = make_model(hidden, output, loss, sizes=sizes)
    x = rng.uniform(-1, 1, (10, sizes[0])).astype(np.float32)
    y = make_targets(loss, rng, 10, sizes[-1])
    expected_loss, expected = reference_gradients(model.get_weights(), [hidden, hidden, output], loss, x, y)
    assert_close(f"{hidden}/{output} + {loss}, loss", model.train_on_batch(x, y), expected_loss,
                 rtol=1e-5, atol=1e-6)
    assert_close(f"{hidden}/{output} + {loss}, gradients", layer_gradients(model), expected, rtol=1e-4, atol=1e-6)


def test_gradient_views_are_read_only():
    model = make_model()
    with pytest.raises(ValueError):
        dict(model.layers[0]._core.gradients)["kernel"][0, 0] = 1.0


@pytest.mark.parametrize("output", ["softmax", "sigmoid", "softplus"])
def test_categorical_crossentropy_with_soft_labels(output, rng):
    """Targets that are not one-hot and do not sum to one: the fused softmax gradient is p * sum(y) - y,
    not p - y; the unfused one is -y/p + sum(y)/sum(p)."""
    model = make_model("tanh", output, "categorical_crossentropy", sizes=SIZES)
    x = rng.uniform(-1, 1, (ROWS, SIZES[0])).astype(np.float32)
    y = rng.uniform(0, 1, (ROWS, SIZES[-1])).astype(np.float32)
    analytic = analytic_gradients(model, x, y)
    assert_close(f"{output} + soft-label CCE, analytic vs finite differences", analytic,
                 numeric_gradients(model, x, y), rtol=1e-2, atol=2e-4)
    expected = reference_gradients(model.get_weights(), ["tanh", output], "categorical_crossentropy", x, y)[1]
    assert_close(f"{output} + soft-label CCE, analytic vs NumPy", analytic, expected, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("output, loss", [("softmax", "categorical_crossentropy"),
                                          ("softmax", "sparse_categorical_crossentropy"),
                                          ("sigmoid", "binary_crossentropy")])
def test_saturated_outputs_give_finite_fused_gradients(output, loss):
    """Logits of +-300 saturate softmax/sigmoid to exact 0 and 1 in float32. Keras clips the
    probabilities, so a wrong saturated prediction costs -log(1e-7) = 16.1, not inf; the fused gradient
    (p - y)/n stays finite and exact where -y/p through the activation's Jacobian would be inf or nan."""
    model = make_model("linear", output, loss, sizes=(2, 3))
    model.layers[0].kernel[...] = [[300.0, -300.0, 0.0], [0.0, 0.0, 0.0]]
    x = np.array([[1.0, 0.0], [-1.0, 0.0]], np.float32)  # rows saturate towards opposite classes
    if loss == "binary_crossentropy":
        y = np.array([[0, 1, 1], [1, 0, 0]], np.float32)  # wrong wherever saturated
    elif loss == "sparse_categorical_crossentropy":
        y = np.array([[1], [0]], np.float32)  # the class each row gives probability 0
    else:
        y = np.eye(3, dtype=np.float32)[[1, 0]]
    with np.errstate(divide="ignore", invalid="ignore"):  # the NumPy reference's -y/p: only its loss is used
        expected_loss = reference_gradients(model.get_weights(), [output], loss, x, y)[0]
    loss_value = model.train_on_batch(x, y)
    grads = layer_gradients(model)
    print(f"{output} + {loss}: loss {loss_value:.4f} (NumPy {expected_loss:.4f})")
    assert all(np.all(np.isfinite(g)) for g in grads)
    # float32 rounds Keras's upper clip 1 - 1e-7 to 1 - 1.19e-7, hence a looser match for BCE.
    assert loss_value == pytest.approx(expected_loss, rel=2e-2)
    assert loss_value > 5  # clipped at -log(1e-7) = 16.1 per wrong saturated output, not inf
    p = model.predict(x, verbose=0).astype(np.float64)
    fused = (p - one_hot_targets(loss, y, 3)) / (len(x) * (3 if loss == "binary_crossentropy" else 1))
    assert_close(f"{output} + {loss}, saturated: bias gradient vs (p - y)/n", grads[1], fused.sum(axis=0),
                 rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_large_batch_gradients_on_two_threads(activation, threads_restored, rng):
    """1024 x 64 activations exceed the size above which elementwise work is split across threads, so
    this exercises the parallel activation and backward code (the tests above are all serial)."""
    sizes, rows = (8, 64, 40), 1024
    model = make_model(activation, "softmax", "categorical_crossentropy", sizes=sizes)
    x = rng.uniform(-1, 1, (rows, sizes[0])).astype(np.float32)
    y = make_targets("categorical_crossentropy", rng, rows, sizes[-1])
    results = {}
    for threads in (1, 2):
        fm.set_num_threads(threads)
        results[threads] = (model.train_on_batch(x, y), layer_gradients(model))
    expected_loss, expected = reference_gradients(model.get_weights(), [activation, "softmax"],
                                                  "categorical_crossentropy", x, y)
    for threads, (loss_value, grads) in results.items():
        assert loss_value == pytest.approx(expected_loss, rel=1e-5)
        assert_close(f"{activation}, batch {rows}, {threads} thread(s), vs NumPy", grads, expected,
                     rtol=1e-3, atol=1e-6)
