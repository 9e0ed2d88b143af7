"""Every activation against a float64 NumPy transcription of Keras 3's formula, forward (through
fastmlp.activations) and backward (the gradient a Dense layer leaves, against the reference
derivative and against finite differences of evaluate())."""

import functools
from functools import partial

import numpy as np
import pytest
from scipy.special import erf

import fastmlp as fm
from conftest import assert_close, layer_gradients, sparsemax_reference
from conftest import numeric_gradients

SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def keras_relu(z, negative_slope=0.0, max_value=None, threshold=0.0):
    # Keras 3: x * (x > threshold) (plain relu when threshold is 0), clipped to [0, max_value] when capped,
    # minus negative_slope * relu(threshold - x).
    out = z * (z > threshold) if threshold != 0 else np.maximum(z, 0)
    if max_value is not None:
        out = np.clip(out, 0, max_value)
    return out - negative_slope * np.maximum(threshold - z, 0)


def keras_relu_derivative(z, negative_slope=0.0, max_value=None, threshold=0.0):
    above = z > threshold
    inside = np.ones_like(z) if max_value is None else ((z > 0) & (z < max_value)).astype(float)
    return np.where(above, inside, negative_slope)


def gelu_tanh(z):
    # Keras 3's gelu(x, approximate=True).
    return 0.5 * z * (1 + np.tanh(np.sqrt(2 / np.pi) * (z + 0.044715 * z ** 3)))


def gelu_tanh_derivative(z):
    t = np.tanh(np.sqrt(2 / np.pi) * (z + 0.044715 * z ** 3))
    return 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * np.sqrt(2 / np.pi) * (1 + 3 * 0.044715 * z * z)


# name -> (fastmlp activation argument, f(z), f'(z)); None as f' marks the row-wise ones (a Jacobian).
CASES = {
    "linear": ("linear", lambda z: z, lambda z: np.ones_like(z)),
    "sigmoid": ("sigmoid", sigmoid, lambda z: sigmoid(z) * (1 - sigmoid(z))),
    "tanh": ("tanh", np.tanh, lambda z: 1 - np.tanh(z) ** 2),
    "relu": ("relu", keras_relu, keras_relu_derivative),
    "relu_negative_slope": (partial(fm.activations.relu, negative_slope=0.1), lambda z: keras_relu(z, 0.1),
                            lambda z: keras_relu_derivative(z, 0.1)),
    "relu_max_value": (partial(fm.activations.relu, max_value=0.5), lambda z: keras_relu(z, max_value=0.5),
                       lambda z: keras_relu_derivative(z, max_value=0.5)),
    "relu_threshold": (partial(fm.activations.relu, threshold=0.3),
                       lambda z: keras_relu(z, threshold=0.3), lambda z: keras_relu_derivative(z, threshold=0.3)),
    "relu_negative_threshold": (partial(fm.activations.relu, negative_slope=0.2, threshold=-0.4),
                                lambda z: keras_relu(z, 0.2, threshold=-0.4),
                                lambda z: keras_relu_derivative(z, 0.2, threshold=-0.4)),
    "relu_all": (partial(fm.activations.relu, negative_slope=0.3, max_value=0.6, threshold=0.1),
                 lambda z: keras_relu(z, 0.3, 0.6, 0.1),
                 lambda z: keras_relu_derivative(z, 0.3, 0.6, 0.1)),
    "leaky_relu": ("leaky_relu", lambda z: np.where(z > 0, z, 0.2 * z), lambda z: np.where(z > 0, 1.0, 0.2)),
    "elu": ("elu", lambda z: np.where(z > 0, z, np.expm1(np.minimum(z, 0))),
            lambda z: np.where(z > 0, 1.0, np.exp(np.minimum(z, 0)))),
    "selu": ("selu", lambda z: SELU_SCALE * np.where(z > 0, z, SELU_ALPHA * np.expm1(np.minimum(z, 0))),
             lambda z: SELU_SCALE * np.where(z > 0, 1.0, SELU_ALPHA * np.exp(np.minimum(z, 0)))),
    "softplus": ("softplus", lambda z: np.log(np.exp(z) + 1), sigmoid),
    "softsign": ("softsign", lambda z: z / (1 + np.abs(z)), lambda z: 1 / (1 + np.abs(z)) ** 2),
    "softmax": ("softmax", lambda z: np.exp(z) / np.exp(z).sum(axis=1, keepdims=True), None),
    "silu": ("silu", lambda z: z * sigmoid(z), lambda z: sigmoid(z) * (1 + z * (1 - sigmoid(z)))),
    "swish": ("swish", lambda z: z * sigmoid(z), lambda z: sigmoid(z) * (1 + z * (1 - sigmoid(z)))),
    "gelu": ("gelu", lambda z: 0.5 * z * (1 + erf(z / np.sqrt(2))),
             lambda z: 0.5 * (1 + erf(z / np.sqrt(2))) + z * np.exp(-z * z / 2) / np.sqrt(2 * np.pi)),
    "gelu_approximate": (partial(fm.activations.gelu, approximate=True), gelu_tanh, gelu_tanh_derivative),
    "hard_sigmoid": ("hard_sigmoid", lambda z: np.clip(z + 3, 0, 6) / 6,
                     lambda z: ((z > -3) & (z < 3)) / 6.0),
    "exponential": ("exponential", np.exp, np.exp),
    # Keras 3's mish: z tanh(softplus(z)); d/dz = tanh(sp) + z (1 - tanh(sp)^2) sigmoid(z).
    "mish": ("mish", lambda z: z * np.tanh(np.logaddexp(0, z)),
             lambda z: np.tanh(np.logaddexp(0, z)) + z * (1 - np.tanh(np.logaddexp(0, z)) ** 2) * sigmoid(z)),
    # The rest of Keras 3's activations, added so that every Keras activation loads (but sparsemax and glu).
    "relu6": ("relu6", lambda z: np.clip(z, 0, 6), lambda z: ((z > 0) & (z < 6)).astype(float)),
    "celu": ("celu", lambda z: np.maximum(z, 0) + np.expm1(np.minimum(z, 0)),
             lambda z: np.where(z > 0, 1.0, np.exp(np.minimum(z, 0)))),
    "celu_alpha": (partial(fm.activations.celu, alpha=2.0),
                   lambda z: np.maximum(z, 0) + 2 * np.expm1(np.minimum(z, 0) / 2),
                   lambda z: np.where(z > 0, 1.0, np.exp(np.minimum(z, 0) / 2))),
    "hard_tanh": ("hard_tanh", lambda z: np.clip(z, -1, 1), lambda z: ((z > -1) & (z < 1)).astype(float)),
    "hard_silu": ("hard_silu", lambda z: z * np.clip(z + 3, 0, 6) / 6,
                  lambda z: np.where(z <= -3, 0.0, np.where(z >= 3, 1.0, z / 3 + 0.5))),
    "log_sigmoid": ("log_sigmoid", lambda z: -np.logaddexp(0, -z), lambda z: sigmoid(-z)),
    "sparse_sigmoid": ("sparse_sigmoid", lambda z: np.clip((z + 1) / 2, 0, 1),
                       lambda z: np.where((z > -1) & (z < 1), 0.5, 0.0)),
    "tanh_shrink": ("tanh_shrink", lambda z: z - np.tanh(z), lambda z: np.tanh(z) ** 2),
    "sparse_plus": ("sparse_plus", lambda z: np.where(z <= -1, 0.0, np.where(z >= 1, z, (z + 1) ** 2 / 4)),
                    lambda z: np.where(z <= -1, 0.0, np.where(z >= 1, 1.0, (z + 1) / 2))),
    "squareplus": ("squareplus", lambda z: (z + np.sqrt(z * z + 4)) / 2, lambda z: (1 + z / np.sqrt(z * z + 4)) / 2),
    "squareplus_b": (partial(fm.activations.squareplus, b=0.5), lambda z: (z + np.sqrt(z * z + 0.5)) / 2,
                     lambda z: (1 + z / np.sqrt(z * z + 0.5)) / 2),
    "soft_shrink": ("soft_shrink", lambda z: np.where(z > 0.5, z - 0.5, np.where(z < -0.5, z + 0.5, 0.0)),
                    lambda z: (np.abs(z) > 0.5).astype(float)),
    "hard_shrink": (partial(fm.activations.hard_shrink, threshold=0.3), lambda z: np.where(np.abs(z) > 0.3, z, 0.0),
                    lambda z: (np.abs(z) > 0.3).astype(float)),
    "log_softmax": ("log_softmax", lambda z: z - z.max(axis=1, keepdims=True) - np.log(
        np.exp(z - z.max(axis=1, keepdims=True)).sum(axis=1, keepdims=True)), None),
    "sparsemax": ("sparsemax", sparsemax_reference, None),
}
# Where each activation's derivative jumps: finite differences must stay clear of these.
KINKS = {"relu": [0], "relu_negative_slope": [0], "relu_max_value": [0, 0.5], "relu_threshold": [0.3],
         "relu_negative_threshold": [-0.4], "relu_all": [0.1, 0.6], "leaky_relu": [0], "elu": [0], "selu": [0],
         "hard_sigmoid": [-3, 3], "relu6": [0, 6], "celu": [0], "celu_alpha": [0], "hard_tanh": [-1, 1],
         "hard_silu": [-3, 3], "sparse_sigmoid": [-1, 1], "sparse_plus": [-1, 1], "soft_shrink": [-0.5, 0.5],
         "hard_shrink": [-0.3, 0.3]}


def test_parameters_survive_a_model_file(tmp_path):
    """relu's, leaky_relu's, elu's and gelu's parameters are part of the saved architecture."""
    z = grid()
    for case in ("relu_all", "gelu_approximate"):
        model = fm.Sequential([fm.layers.Input((4,)), fm.layers.Activation(argument(case))])
        model.save(tmp_path / f"{case}.fmlp")
        loaded = fm.models.load_model(tmp_path / f"{case}.fmlp")
        np.testing.assert_array_equal(loaded.predict(z, verbose=0), model.predict(z, verbose=0))
        assert_close(case, loaded.predict(z, verbose=0), CASES[case][1](z.astype(np.float64)), rtol=2e-6, atol=2e-6)


def test_partial_functions_set_parameters_in_layers():
    """functools.partial(fastmlp.activations.relu, max_value=...) is how a layer gets a parameterized
    activation (a Python lambda cannot run inside the C++ loop)."""
    z = grid()
    zd = z.astype(np.float64)
    cases = [(functools.partial(fm.activations.relu, max_value=0.5), keras_relu(zd, max_value=0.5)),
             (functools.partial(fm.activations.gelu, approximate=True), gelu_tanh(zd)),
             (functools.partial(fm.activations.elu, alpha=2.0), np.where(zd > 0, zd, 2 * np.expm1(zd)))]
    for function, reference in cases:
        dense = fm.layers.Dense(4, activation=function, kernel_initializer="identity")
        model = fm.Sequential([fm.layers.Input((4,)), dense])
        assert_close(repr(function), model.predict(z, verbose=0), reference, rtol=2e-6, atol=2e-6)
    with pytest.raises(TypeError, match="max_valu"):
        fm.layers.Dense(4, activation=functools.partial(fm.activations.relu, max_valu=6.0))
    with pytest.raises(TypeError, match="alpha"):
        fm.layers.Dense(4, activation=functools.partial(fm.activations.tanh, alpha=1.0))


def argument(case):
    return CASES[case][0]


def grid():
    """Points on both sides of every kink, and large ones where clipping and saturation matter."""
    values = np.concatenate([np.linspace(-4, 4, 41) + 0.013, [-0.35, -0.45, 0.05, 0.55, 0.65, 0.25, 0.35]])
    return values.reshape(-1, 4).astype(np.float32)


@pytest.mark.parametrize("case", CASES)
def test_forward_matches_keras_formula(case):
    z = grid()
    reference = CASES[case][1](z.astype(np.float64))
    if isinstance(argument(case), str):  # the public function, by name
        actual = getattr(fm.activations, case)(z)
        assert_close(f"{case} via fastmlp.activations", actual, reference, rtol=2e-6, atol=2e-6)
    model = fm.Sequential([fm.layers.Input((4,)), fm.layers.Activation(argument(case))])
    assert_close(f"{case} in a model", model.predict(z, verbose=0), reference, rtol=2e-6, atol=2e-6)


def test_keyword_arguments_of_the_functions():
    z = grid()
    zd = z.astype(np.float64)
    assert_close("relu(...)", fm.activations.relu(z, negative_slope=0.1, max_value=0.5, threshold=-0.2),
                 keras_relu(zd, 0.1, 0.5, -0.2), rtol=1e-6, atol=1e-6)
    assert_close("leaky_relu(0.3)", fm.activations.leaky_relu(z, negative_slope=0.3),
                 np.where(zd > 0, zd, 0.3 * zd), rtol=1e-6, atol=1e-6)
    assert_close("elu(alpha=2)", fm.activations.elu(z, alpha=2.0), np.where(zd > 0, zd, 2 * np.expm1(zd)),
                 rtol=1e-6, atol=1e-6)
    assert_close("gelu(approximate=True)", fm.activations.gelu(z, approximate=True), gelu_tanh(zd),
                 rtol=2e-6, atol=2e-6)
    # Softmax normalises over the last axis of any shape.
    cube = np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 10
    np.testing.assert_allclose(fm.activations.softmax(cube).sum(axis=-1), 1, rtol=1e-6)
    assert fm.activations.get(None).__name__ == "linear" and fm.activations.serialize("swish") == "swish"
    assert fm.activations.get("swish")(z).tobytes() == fm.activations.silu(z).tobytes()


def dense_model(activation, units=4):
    fm.utils.set_random_seed(3)
    model = fm.Sequential([fm.layers.Input((3,)), fm.layers.Dense(units, activation=activation)])
    model.compile(optimizer=fm.optimizers.SGD(learning_rate=0.0), loss="mse")
    return model


def safe_inputs(model, case, rng, rows=6):
    """Rows whose pre-activations stay 0.05 away from the activation's kinks."""
    # Near the caps at 0.5 and 0.6, and where exp() stays of order one.
    scale = 0.3 if case in ("relu_max_value", "relu_all", "exponential") else 2.0
    x = rng.uniform(-scale, scale, (400, 3)).astype(np.float32)
    kernel, bias = model.get_weights()
    z = x.astype(np.float64) @ kernel + bias
    keep = np.ones(len(x), bool)
    for kink in KINKS.get(case, []):
        keep &= np.abs(z - kink).min(axis=1) > 0.05
    assert keep.sum() >= rows
    return x[keep][:rows]


@pytest.mark.parametrize("case", CASES)
def test_backward_matches_derivative_and_finite_differences(case, rng):
    model = dense_model(argument(case))
    # Weights large enough that the pre-activations reach every region (kinks, caps, saturation).
    model.set_weights([rng.normal(0, 1.5, (3, 4)).astype(np.float32), rng.normal(0, 0.5, 4).astype(np.float32)])
    x = safe_inputs(model, case, rng)
    y = rng.uniform(-1, 1, (len(x), 4)).astype(np.float32)
    model.train_on_batch(x, y)
    analytic = layer_gradients(model)

    kernel, bias = (w.astype(np.float64) for w in model.get_weights())
    z = x.astype(np.float64) @ kernel + bias
    _, f, derivative = CASES[case]
    a = f(z)
    grad_a = 2 * (a - y) / a.size
    if case == "log_softmax":  # the Jacobian applied row by row: dA - softmax(Z) rowsum(dA)
        grad_z = grad_a - np.exp(a) * grad_a.sum(axis=1, keepdims=True)
    elif case == "sparsemax":  # diag(s) - s s^T / |s| over the support s, where A > 0
        inside = (a > 0).astype(np.float64)
        grad_z = inside * (grad_a - (grad_a * inside).sum(axis=1, keepdims=True) / inside.sum(axis=1, keepdims=True))
    elif derivative is None:  # softmax: the Jacobian applied row by row
        grad_z = a * (grad_a - (grad_a * a).sum(axis=1, keepdims=True))
    else:
        grad_z = grad_a * derivative(z)
    reference = [x.T.astype(np.float64) @ grad_z, grad_z.sum(axis=0)]
    assert_close(f"{case} gradient vs Keras derivative", analytic, reference, rtol=1e-4, atol=1e-6)
    numeric = numeric_gradients(model, x, y)
    assert_close(f"{case} gradient vs finite differences", analytic, numeric, rtol=1e-2, atol=3e-4)
    if case != "linear":  # a check that could not fail on all-zero gradients would prove nothing
        assert max(np.abs(g).max() for g in analytic) > 1e-3
