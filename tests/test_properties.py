"""Property-based tests (hypothesis).

1. For random architectures, batch sizes and losses, the gradients the C++ backward pass leaves in the
   layers equal central finite differences of the loss, and the loss evaluate() reports equals that
   loss. The differences are taken in float64 on a NumPy forward pass (float32 differences of the
   library itself would drown small gradients in rounding; tests/test_gradients.py does those for
   fixed architectures), so they measure the library against the mathematics, not against itself.
2. For random, mostly invalid, inputs and arguments, the public calls either work or raise ValueError
   or TypeError: never another exception type and never a crash.

The example counts are sized to keep this file under about 30 s on two cores; set
FASTMLP_HYPOTHESIS_SCALE (a multiplier, e.g. 20) for a longer hunt.
"""

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import fastmlp as fm
from conftest import layer_gradients, loss_and_gradient, make_targets, reference_forward

# Smooth activations only: finite differences across relu's kink are meaningless.
SMOOTH = ["linear", "tanh", "sigmoid", "elu", "softplus"]
OUTPUT_FOR_LOSS = {
    "mean_squared_error": SMOOTH + ["softmax"],
    "binary_crossentropy": ["sigmoid"],
    "categorical_crossentropy": ["softmax"],
    "sparse_categorical_crossentropy": ["softmax"],
}
SCALE = float(os.environ.get("FASTMLP_HYPOTHESIS_SCALE", "1"))
GRADIENT_EXAMPLES = int(300 * SCALE)
INVALID_EXAMPLES = int(1000 * SCALE)
H = 1e-6  # float64 central differences: truncation ~H**2, rounding ~1e-16 / H


@st.composite
def networks(draw):
    loss = draw(st.sampled_from(sorted(OUTPUT_FOR_LOSS)))
    widths = draw(st.lists(st.integers(1, 6), min_size=1, max_size=3))
    hidden = [draw(st.sampled_from(SMOOTH)) for _ in widths[1:]]
    output = draw(st.sampled_from(OUTPUT_FOR_LOSS[loss]))
    units = draw(st.integers(2 if output == "softmax" else 1, 5))
    rows = draw(st.integers(1, 9))
    seed = draw(st.integers(0, 2**31 - 1))
    return loss, widths, hidden, output, units, rows, seed


def reference_loss(weights, activations, loss, x, y):
    _, outs = reference_forward(weights, activations, x)
    return loss_and_gradient(loss, outs[-1], y)[0]


def finite_differences(weights, activations, loss, x, y):
    weights = [w.astype(np.float64) for w in weights]
    grads = []
    for w in weights:
        grad = np.zeros_like(w)
        for index in np.ndindex(w.shape):
            original = w[index]
            w[index] = original + H
            plus = reference_loss(weights, activations, loss, x, y)
            w[index] = original - H
            minus = reference_loss(weights, activations, loss, x, y)
            w[index] = original
            grad[index] = (plus - minus) / (2 * H)
        grads.append(grad)
    return grads


@settings(max_examples=GRADIENT_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_backward_pass_matches_finite_differences(network):
    loss, widths, hidden, output, units, rows, seed = network
    fm.utils.set_random_seed(seed)
    layers = [fm.layers.Input((widths[0],))]
    layers += [fm.layers.Dense(w, activation=a) for w, a in zip(widths[1:], hidden)]
    layers.append(fm.layers.Dense(units, activation=output))
    model = fm.Sequential(layers)
    model.compile(optimizer=fm.optimizers.SGD(learning_rate=0.0), loss=loss)
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (rows, widths[0])).astype(np.float32)
    y = make_targets(loss, rng, rows, units)
    activations = hidden + [output]
    weights = model.get_weights()

    expected_loss = reference_loss(weights, activations, loss, x, y.astype(np.float64))
    assert model.evaluate(x, y, verbose=0) == pytest.approx(expected_loss, rel=1e-4, abs=1e-5)

    model.train_on_batch(x, y)
    analytic = layer_gradients(model)
    numeric = finite_differences(weights, activations, loss, x, y.astype(np.float64))
    scale = max(1.0, max(float(np.abs(g).max()) for g in numeric))
    for index, (a, n) in enumerate(zip(analytic, numeric)):
        np.testing.assert_allclose(a, n, rtol=2e-3, atol=2e-5 * scale, err_msg=f"gradient {index} of {network}")


# ---- random invalid inputs ----------------------------------------------------------------------
def arrays_of_anything():
    """Arrays of many dtypes and shapes, sometimes with NaN or infinity, plus non-array junk."""
    numeric = hnp.arrays(
        dtype=st.sampled_from([np.float32, np.float64, np.int64, np.int8, np.uint16, np.bool_, np.float16]),
        shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=6),
        elements=None)
    special = hnp.arrays(dtype=np.float64, shape=st.tuples(st.integers(0, 6), st.integers(0, 6)),
                         elements=st.floats(allow_nan=True, allow_infinity=True, width=64))
    odd = st.one_of(
        hnp.arrays(dtype=st.sampled_from([np.complex64, "U3", "S2", object, "M8[s]"]),
                   shape=st.tuples(st.integers(1, 4), st.integers(1, 4)), elements=None),
        st.lists(st.lists(st.one_of(st.floats(), st.integers(-5, 5), st.text(max_size=2)), max_size=5), max_size=5),
        st.none(), st.text(max_size=5), st.integers(), st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
    )
    return st.one_of(numeric, special, odd)


def scalars_of_anything():
    return st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(), st.text(max_size=3),
                     st.lists(st.integers(), max_size=2))


ALLOWED = (ValueError, TypeError)


def small_model(loss):
    fm.utils.set_random_seed(0)
    units = 1 if loss == "binary_crossentropy" else 3
    output = {"binary_crossentropy": "sigmoid", "mse": "linear"}.get(loss, "softmax")
    model = fm.Sequential([fm.layers.Input((4,)), fm.layers.Dense(3, activation="tanh"),
                           fm.layers.Dense(units, activation=output)])
    model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
    return model


MODELS = {loss: small_model(loss) for loss in
          ("mse", "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy")}


def attempt(call):
    """Runs ``call``; only success, ValueError and TypeError are acceptable outcomes."""
    try:
        call()
    except ALLOWED:
        return False
    return True


@settings(max_examples=INVALID_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(loss=st.sampled_from(sorted(MODELS)), x=arrays_of_anything(), y=arrays_of_anything(),
       batch_size=st.one_of(st.none(), st.integers(-3, 40), scalars_of_anything()),
       epochs=st.one_of(st.integers(-2, 2), scalars_of_anything()),
       validation_split=st.one_of(st.just(0.0), st.floats(-1, 2), scalars_of_anything()))
def test_random_inputs_only_raise_value_or_type_errors(loss, x, y, batch_size, epochs, validation_split):
    model = MODELS[loss]
    attempt(lambda: model.fit(x, y, batch_size=batch_size, epochs=epochs, validation_split=validation_split,
                              verbose=0))
    attempt(lambda: model.evaluate(x, y, batch_size=batch_size, verbose=0))
    attempt(lambda: model.predict(x, batch_size=batch_size, verbose=0))
    attempt(lambda: model.train_on_batch(x, y))
    for weight in model.get_weights():
        if not np.all(np.isfinite(weight)):  # a valid but wild input can diverge; start over
            MODELS[loss] = small_model(loss)
            break


@settings(max_examples=INVALID_EXAMPLES, deadline=None)
@given(units=scalars_of_anything(), rate=scalars_of_anything(), activation=st.one_of(st.text(max_size=8),
       scalars_of_anything()), initializer=st.one_of(st.text(max_size=8), scalars_of_anything()),
       optimizer=st.one_of(st.text(max_size=8), scalars_of_anything()),
       metric=st.one_of(st.text(max_size=8), scalars_of_anything()), seed=scalars_of_anything())
def test_random_layer_and_compile_arguments_only_raise_value_or_type_errors(units, rate, activation, initializer,
                                                                              optimizer, metric, seed):
    built = []
    attempt(lambda: built.append(fm.layers.Dense(units, activation=activation, kernel_initializer=initializer)))
    attempt(lambda: fm.layers.Dropout(rate, seed=seed))
    attempt(lambda: fm.layers.GaussianNoise(rate, seed=seed))
    attempt(lambda: fm.layers.Input(units))
    attempt(lambda: fm.initializers.get(initializer))
    attempt(lambda: fm.utils.set_random_seed(seed))
    model = fm.Sequential([fm.layers.Input((2,))] + built)
    attempt(lambda: model.compile(optimizer=optimizer, loss="mse", metrics=[metric]))
    if built and model.optimizer is not None:
        attempt(lambda: model.fit(np.zeros((4, 2)), np.zeros((4, built[0].units)), verbose=0))


@settings(max_examples=INVALID_EXAMPLES // 2, deadline=None)
@given(weights=st.lists(arrays_of_anything(), max_size=5))
def test_random_weights_only_raise_value_or_type_errors(weights):
    model = MODELS["mse"]
    before = model.get_weights()
    if not attempt(lambda: model.set_weights(weights)):
        for old, new in zip(before, model.get_weights()):
            np.testing.assert_array_equal(old, new)
    model.set_weights(before)

