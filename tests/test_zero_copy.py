"""No hidden copies: float32 C-contiguous data goes into C++ as it is, and weights are views on C++ memory.

NumPy registers its array allocations with tracemalloc, so the traced peak during a call is the memory
the call allocated through NumPy (and Python); a converted copy of the input would show up in full.
The C++ batch buffers are not traced, and they are small.
"""


import numpy as np
import pytest

import fastmlp as fm
from conftest import make_model, traced_peak

ROWS, FEATURES = 200_000, 64


@pytest.fixture(scope="module")
def big_data():
    rng = np.random.default_rng(0)
    x = rng.random((ROWS, FEATURES), dtype=np.float32)
    y = (x[:, 0] > 0.5).astype(np.float32)  # 1-D: becomes a (ROWS, 1) view, not a copy
    return x, y


@pytest.fixture
def model():
    return make_model("relu", "sigmoid", "binary_crossentropy", optimizer="adam", sizes=(FEATURES, 8, 1))




CALLS = {
    "fit": lambda m, x, y: m.fit(x, y, batch_size=4096, epochs=1, verbose=0),
    "fit_validation_split": lambda m, x, y: m.fit(x, y, batch_size=4096, epochs=1, verbose=0, validation_split=0.2),
    "fit_validation_data": lambda m, x, y: m.fit(x, y, batch_size=4096, epochs=1, verbose=0, validation_data=(x, y)),
    "evaluate": lambda m, x, y: m.evaluate(x, y, verbose=0),
    "predict": lambda m, x, y: m.predict(x, verbose=0),
    "train_on_batch": lambda m, x, y: m.train_on_batch(x, y),
}


@pytest.mark.parametrize("call", CALLS)
def test_float32_input_is_not_copied(call, big_data, model):
    x, y = big_data
    peak = traced_peak(lambda: CALLS[call](model, x, y))
    print(f"{call}, float32 input of {x.nbytes / 1e6:.1f} MB: traced peak {peak / 1e6:.3f} MB")
    # predict's result (ROWS, 1) float32 is 0.8 MB and is allocated by NumPy; a copy of x would be 51 MB.
    assert peak < x.nbytes / 20


@pytest.mark.parametrize("call", ["fit", "predict"])
@pytest.mark.parametrize("layout", ["float64", "fortran_float32"])
def test_converted_input_is_seen_by_the_measurement(call, layout, big_data, model):
    """The same measurement detects the one conversion of a float64 or Fortran-ordered input."""
    x, y = big_data
    converted = x.astype(np.float64) if layout == "float64" else np.asfortranarray(x)
    peak = traced_peak(lambda: CALLS[call](model, converted, y))
    print(f"{call}, {layout} input: traced peak {peak / 1e6:.1f} MB")
    assert peak >= x.nbytes  # at least the float32 C-ordered copy


def test_results_do_not_depend_on_the_input_layout(big_data, model):
    x = big_data[0][:1000]
    expected = model.predict(x, verbose=0)
    for variant in (x.astype(np.float64), np.asfortranarray(x), x.tolist()):
        np.testing.assert_array_equal(model.predict(variant, verbose=0), expected)


def test_kernel_and_bias_are_views_on_the_model(rng):
    model = make_model("tanh", "linear", "mean_squared_error")
    x = rng.uniform(-1, 1, (5, 4)).astype(np.float32)
    first, second = model.layers
    before = model.predict(x, verbose=0)

    second.bias[:] += 1.0  # a linear output layer: the prediction moves by exactly 1
    np.testing.assert_allclose(model.predict(x, verbose=0), before + 1.0, rtol=1e-6, atol=1e-6)

    first.kernel[...] = 0.0  # tanh(0 + bias 0) = 0: the output is the last layer's bias
    np.testing.assert_allclose(model.predict(x, verbose=0), np.tile(second.bias, (5, 1)), atol=1e-7)

    model.layers[1].weights[0][...] = 2.0  # weights[i] are the same views
    model.layers[0].weights[1][...] = 0.5
    expected = np.tanh(np.full((5, 5), 0.5)) @ np.full((5, 3), 2.0) + second.bias
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-6)
    assert np.shares_memory(first.kernel, first.weights[0])
    assert not first.kernel.flags.owndata


def test_views_see_training_updates(rng):
    model = make_model("tanh", "softmax", optimizer=fm.optimizers.SGD(learning_rate=0.5))
    kernel = model.layers[0].kernel
    before = kernel.copy()
    x = rng.uniform(-1, 1, (8, 4)).astype(np.float32)
    model.train_on_batch(x, fm.utils.to_categorical(rng.integers(0, 3, 8), 3))
    assert np.abs(kernel - before).max() > 1e-4  # the view taken before training shows the new values
    np.testing.assert_array_equal(kernel, model.get_weights()[0])


def test_get_weights_returns_copies(rng):
    model = make_model("tanh", "linear", "mean_squared_error")
    x = rng.uniform(-1, 1, (5, 4)).astype(np.float32)
    before = model.predict(x, verbose=0)
    for weights in (model.get_weights(), model.layers[0].get_weights()):
        for w in weights:
            assert w.flags.owndata
            w[...] = 123.0
    np.testing.assert_array_equal(model.predict(x, verbose=0), before)
    assert not np.any(model.get_weights()[0] == 123.0)


def test_set_weights_writes_into_existing_views(rng):
    """set_weights copies into the C++ buffers, so a view taken earlier stays valid and sees the values."""
    model = make_model()
    view = model.layers[0].kernel
    new = [rng.normal(size=w.shape).astype(np.float32) for w in model.get_weights()]
    model.set_weights(new)
    np.testing.assert_array_equal(view, new[0])
    np.testing.assert_array_equal(model.layers[1].bias, new[3])
