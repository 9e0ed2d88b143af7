"""float64 models: floatx, dtype= on layers and Input, double-precision results end to end (weights,
predictions, gradients, History, evaluate, save/load, sparse input, no copy of float64 input), and the
scikit-learn estimators, which train in the dtype of their data as scikit-learn's MLPs do.

The float64 checks use tolerances a float32 computation cannot meet (1e-7 relative for gradients
against finite differences, 1e-12 against NumPy), and some checks run the float32 model beside them
to show that the tolerance separates the two.
"""

import pickle

import numpy as np
import pytest
from scipy import sparse

import fastmlp as fm
import fastmlp.config
from conftest import analytic_gradients, numeric_gradients, reference_forward, reference_gradients, traced_peak

SIZES = (4, 6, 3)
ROWS = 8
HIDDEN, OUTPUT, LOSS = "tanh", "softmax", "categorical_crossentropy"  # smooth: no kinks to step over


@pytest.fixture
def floatx_restored():
    before = fm.config.floatx()
    yield before
    fm.config.set_floatx(before)


def build(dtype, sizes=SIZES, hidden=HIDDEN, output=OUTPUT, loss=LOSS, optimizer=None, seed=0):
    """Input -> Dense(hidden) ... -> Dense(output), every layer given ``dtype`` explicitly; SGD(0) by default."""
    fm.utils.set_random_seed(seed)
    stack = [fm.Input((sizes[0],), dtype=dtype)]
    stack += [fm.layers.Dense(units, activation=hidden, dtype=dtype) for units in sizes[1:-1]]
    stack.append(fm.layers.Dense(sizes[-1], activation=output, dtype=dtype))
    model = fm.Sequential(stack)
    model.compile(optimizer=optimizer if optimizer is not None else fm.optimizers.SGD(learning_rate=0.0), loss=loss)
    return model


def batch(rows=ROWS, sizes=SIZES, seed=1, dtype=np.float64):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (rows, sizes[0])).astype(dtype)
    y = fm.utils.to_categorical(rng.integers(0, sizes[-1], rows), sizes[-1]).astype(dtype)
    return x, y


def activations_of(sizes=SIZES, hidden=HIDDEN, output=OUTPUT):
    return [hidden] * (len(sizes) - 2) + [output]




# ---- floatx ------------------------------------------------------------------------------------------
def test_floatx_round_trip_and_keras_legacy_names(floatx_restored):
    assert floatx_restored == "float32"  # the default
    fm.config.set_floatx("float64")
    assert fm.config.floatx() == "float64" and fm.backend.floatx() == "float64"
    fm.backend.set_floatx("float32")  # keras.backend's name for the same setting
    assert fm.config.floatx() == "float32" and fm.backend.floatx() == "float32"


@pytest.mark.parametrize("value", ["float16", "bfloat16", "int32", "float128", "double", np.float64, "", None, 64])
def test_set_floatx_refuses_other_values_and_keeps_the_setting(value, floatx_restored):
    fm.config.set_floatx("float64")
    with pytest.raises(ValueError, match="float32. or .float64"):
        fm.config.set_floatx(value)
    with pytest.raises((ValueError, TypeError)):
        fm.backend.set_floatx(value)
    assert fm.config.floatx() == "float64"


def test_layers_take_floatx_when_they_are_made(floatx_restored):
    fm.config.set_floatx("float64")
    made_under_float64 = fm.layers.Dense(2)
    model = fm.Sequential([fm.Input((3,)), fm.layers.Dense(2, activation="tanh")])
    fm.config.set_floatx("float32")
    assert made_under_float64.dtype == "float64"  # fixed at construction, as in Keras
    assert fm.layers.Dense(2).dtype == "float32"
    assert model.dtype == "float64"
    assert all(w.dtype == np.float64 for w in model.get_weights())
    assert model.predict(np.ones((2, 3)), verbose=0).dtype == np.float64  # after floatx went back


# ---- dtype= on layers and Input ----------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float64", np.float64, np.dtype("float64")])
def test_dtype_argument_as_keras_takes_it(dtype):
    dense = fm.layers.Dense(3, dtype=dtype)
    assert dense.dtype == "float64"
    model = fm.Sequential([fm.Input((2,), dtype=dtype), dense])
    assert model.dtype == "float64"
    assert dense.kernel.dtype == dense.bias.dtype == np.float64
    assert fm.layers.Dense(3, dtype=np.float32).dtype == "float32"
    # A layer's dtype survives its config.
    assert fm.layers.Dense.from_config(dense.get_config()).dtype == "float64"


@pytest.mark.parametrize("dtype", ["float16", "int32", "complex128", "not-a-dtype"])
def test_unsupported_dtype_is_refused(dtype):
    with pytest.raises((ValueError, TypeError)):
        fm.layers.Dense(3, dtype=dtype)
    with pytest.raises((ValueError, TypeError)):
        fm.Input((3,), dtype=dtype)


def test_a_model_mixing_dtypes_is_a_value_error():
    with pytest.raises(ValueError, match="float32|float64|dtype"):
        model = fm.Sequential([fm.Input((4,), dtype="float64"), fm.layers.Dense(3, dtype="float32")])
        model.predict(np.ones((1, 4)), verbose=0)
    with pytest.raises(ValueError, match="float32|float64|dtype"):
        model = fm.Sequential([fm.Input((4,), dtype="float32"), fm.layers.Dense(3, dtype="float32"),
                               fm.layers.Dense(2, dtype="float64")])
        model.predict(np.ones((1, 4)), verbose=0)
    with pytest.raises(ValueError, match="float32|float64|dtype"):
        inputs = fm.Input((4,), dtype="float64")
        model = fm.Model(inputs, fm.layers.Dense(3, dtype="float32")(inputs))
        model.predict(np.ones((1, 4)), verbose=0)
    # Made consistently, the functional model is float64.
    inputs = fm.Input((4,), dtype="float64")
    assert fm.Model(inputs, fm.layers.Dense(3, dtype="float64")(inputs)).dtype == "float64"


# ---- weights, predictions, gradients, History -------------------------------------------------------
def test_weights_predictions_and_evaluate_are_float64():
    model = build("float64")
    x, y = batch()
    assert all(w.dtype == np.float64 for w in model.get_weights())
    assert all(layer.kernel.dtype == layer.bias.dtype == np.float64 for layer in model.layers)
    for variant in (x, x.astype(np.float32), x.tolist()):  # any input; the result in the model's dtype
        assert model.predict(variant, verbose=0).dtype == np.float64
    # 0.1 is not a float32: a float64 weight holds it exactly.
    model.layers[0].kernel[0, 0] = 0.1
    assert model.get_weights()[0][0, 0] == 0.1
    assert build("float32").get_weights()[0].dtype == np.float32


@pytest.mark.parametrize("hidden, output", [("tanh", "softmax"), ("relu", "sigmoid"), ("sigmoid", "linear"),
                                            ("elu", "softplus")])
def test_forward_pass_matches_numpy_float64(hidden, output):
    sizes = (5, 7, 6, 3)
    model = build("float64", sizes=sizes, hidden=hidden, output=output, loss="mean_squared_error")
    x, _ = batch(rows=50, sizes=sizes)
    expected = reference_forward(model.get_weights(), activations_of(sizes, hidden, output), x)[1][-1]
    predicted = model.predict(x, verbose=0)
    print(f"{hidden}/{output} float64: max |difference| from NumPy {np.abs(predicted - expected).max():.3e}")
    np.testing.assert_allclose(predicted, expected, rtol=1e-12, atol=1e-14)
    # The float32 model with the same weights cannot get this close.
    single = build("float32", sizes=sizes, hidden=hidden, output=output, loss="mean_squared_error")
    single.set_weights([w.astype(np.float32) for w in model.get_weights()])
    reference = reference_forward(single.get_weights(), activations_of(sizes, hidden, output), x)[1][-1]
    assert np.abs(single.predict(x, verbose=0) - reference).max() > 1e-10






def worst_relative_error(actual, expected, floor):
    return max(float(np.max(np.abs(a - e) / np.maximum(np.abs(e), floor))) for a, e in zip(actual, expected))


def test_float64_gradients_match_finite_differences_to_1e_7():
    model = build("float64")
    x, y = batch()
    analytic = analytic_gradients(model, x, y)
    assert all(g.dtype == np.float64 for g in analytic)
    assert max(np.abs(g).max() for g in analytic) > 1e-2  # not a check passed by zeros
    numeric = numeric_gradients(model, x, y, eps=1e-5)  # truncation ~eps^2, rounding ~1e-16 / eps
    worst = worst_relative_error(analytic, numeric, floor=1e-3)
    print(f"float64: worst relative difference from central differences {worst:.2e}")
    for a, n in zip(analytic, numeric):
        np.testing.assert_allclose(a, n, rtol=1e-7, atol=1e-10)
    # And the backward pass is NumPy's float64 one, to rounding.
    expected_loss, expected = reference_gradients(model.get_weights(), activations_of(), LOSS, x, y)
    assert model.evaluate(x, y, verbose=0) == pytest.approx(expected_loss, rel=1e-13)
    for a, e in zip(analytic, expected):
        np.testing.assert_allclose(a, e, rtol=1e-11, atol=1e-14)


def test_float32_gradients_match_only_at_float32_tolerance():
    """The same check in float32: it passes at float32's tolerance and misses float64's by far."""
    model = build("float32")
    x, y = batch(dtype=np.float32)
    analytic = analytic_gradients(model, x, y)
    assert all(g.dtype == np.float32 for g in analytic)
    numeric = numeric_gradients(model, x, y, eps=3e-3)  # float32: rounding ~1e-7 / eps
    worst = worst_relative_error(analytic, numeric, floor=1e-3)
    print(f"float32: worst relative difference from central differences {worst:.2e}")
    for a, n in zip(analytic, numeric):
        np.testing.assert_allclose(a, n, rtol=1e-2, atol=2e-4)
    assert worst > 1e-6  # float64's 1e-7 is out of float32's reach


def test_history_and_evaluate_carry_float64_values():
    """Two full-batch SGD epochs: the History losses are the float64 losses before and after one step,
    which NumPy computes from the reference gradients."""
    rate = 0.5
    model = build("float64", optimizer=fm.optimizers.SGD(learning_rate=rate))
    x, y = batch(rows=16)
    weights = model.get_weights()
    first_loss, grads = reference_gradients(weights, activations_of(), LOSS, x, y)
    stepped = [w - rate * g.reshape(w.shape) for w, g in zip(weights, grads)]
    second_loss, grads = reference_gradients(stepped, activations_of(), LOSS, x, y)
    twice = [w - rate * g.reshape(w.shape) for w, g in zip(stepped, grads)]
    history = model.fit(x, y, batch_size=len(x), epochs=2, shuffle=False, verbose=0)
    print("History losses:", history.history["loss"], "NumPy:", first_loss, second_loss)
    assert history.history["loss"][0] == pytest.approx(first_loss, rel=1e-13)
    assert history.history["loss"][1] == pytest.approx(second_loss, rel=1e-12)
    for mine, reference in zip(model.get_weights(), twice):
        np.testing.assert_allclose(mine, reference, rtol=1e-12, atol=1e-14)
    after = reference_gradients(twice, activations_of(), LOSS, x, y)[0]
    assert model.evaluate(x, y, verbose=0) == pytest.approx(after, rel=1e-12)
    # A float32 model's History is a float32 computation, farther off than that.
    single = build("float32", optimizer=fm.optimizers.SGD(learning_rate=rate))
    single.set_weights([w.astype(np.float32) for w in weights])
    exact = reference_gradients(single.get_weights(), activations_of(), LOSS, x, y)[0]  # at its own weights
    single_first = single.fit(x, y, batch_size=len(x), epochs=1, shuffle=False, verbose=0).history["loss"][0]
    assert abs(single_first - exact) / exact > 1e-10


# ---- no copy of float64 input ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def big_float64():
    rng = np.random.default_rng(0)
    x = rng.random((40_000, 64))  # 20 MB of float64
    return x, (x[:, 0] > 0.5).astype(np.float64)


CALLS = {
    "predict": lambda m, x, y: m.predict(x, batch_size=4096, verbose=0),
    "evaluate": lambda m, x, y: m.evaluate(x, y, batch_size=4096, verbose=0),
    "fit": lambda m, x, y: m.fit(x, y, batch_size=4096, epochs=1, verbose=0),
}


@pytest.mark.parametrize("call", CALLS)
def test_float64_input_to_a_float64_model_is_not_copied(call, big_float64):
    x, y = big_float64
    model = build("float64", sizes=(64, 8, 1), hidden="relu", output="sigmoid", loss="binary_crossentropy",
                  optimizer="adam")
    peak = traced_peak(lambda: CALLS[call](model, x, y))
    print(f"{call}: float64 input {x.nbytes / 1e6:.1f} MB, traced peak {peak / 1e6:.2f} MB")
    assert peak < x.nbytes / 8  # predict's (rows, 1) float64 result is 0.3 MB; a copy would be 20 MB


@pytest.mark.parametrize("model_dtype, input_dtype", [("float32", np.float64), ("float64", np.float32)])
def test_the_measurement_sees_a_conversion(model_dtype, input_dtype, big_float64):
    """The probe is sharp: input of the other dtype is converted once, and that copy shows."""
    x = big_float64[0].astype(input_dtype)
    model = build(model_dtype, sizes=(64, 8, 1), hidden="relu", output="sigmoid", loss="binary_crossentropy")
    peak = traced_peak(lambda: model.predict(x, batch_size=4096, verbose=0))
    assert peak >= x.shape[0] * x.shape[1] * np.dtype(model_dtype).itemsize


def test_sklearn_estimator_does_not_copy_float64_input(big_float64):
    from fastmlp.sklearn import MLPRegressor
    x, y = big_float64
    estimator = MLPRegressor(hidden_layer_sizes=(8,), max_iter=1, batch_size=4096, random_state=0)
    with pytest.warns(Warning):  # ConvergenceWarning after one epoch
        peak = traced_peak(lambda: estimator.fit(x, y))
    assert peak < x.nbytes / 8
    assert traced_peak(lambda: estimator.predict(x)) < x.nbytes / 8


# ---- save/load, pickling -----------------------------------------------------------------------------
def test_save_and_load_keep_float64_bit_for_bit(tmp_path):
    model = build("float64", optimizer="adam")
    x, y = batch(rows=32)
    model.fit(x, y, epochs=3, verbose=0)
    model.layers[0].kernel[0, 0] = 0.1  # not representable in float32
    path = tmp_path / "model.fmlp"
    model.save(path)
    loaded = fm.models.load_model(path)
    assert loaded.dtype == "float64" and all(layer.dtype == "float64" for layer in loaded.layers)
    for mine, theirs in zip(model.get_weights(), loaded.get_weights()):
        assert theirs.dtype == np.float64 and mine.tobytes() == theirs.tobytes()
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    # The optimizer state came along: both train on identically.
    model.fit(x, y, epochs=1, shuffle=False, verbose=0)
    loaded.fit(x, y, epochs=1, shuffle=False, verbose=0)
    for mine, theirs in zip(model.get_weights(), loaded.get_weights()):
        assert mine.tobytes() == theirs.tobytes()
    # A float32 model's file still loads as float32.
    build("float32").save(tmp_path / "single.fmlp")
    assert fm.models.load_model(tmp_path / "single.fmlp").get_weights()[0].dtype == np.float32


# ---- sparse input ------------------------------------------------------------------------------------
def test_sparse_float64_input_agrees_with_dense():
    sizes = (40, 9, 3)
    x = sparse.random(60, sizes[0], density=0.1, format="csr", random_state=0, dtype=np.float64)
    _, y = batch(rows=60, sizes=sizes)
    dense_model = build("float64", sizes=sizes, optimizer=fm.optimizers.SGD(learning_rate=0.3))
    sparse_model = build("float64", sizes=sizes, optimizer=fm.optimizers.SGD(learning_rate=0.3))
    predicted = sparse_model.predict(x, verbose=0)
    assert predicted.dtype == np.float64
    np.testing.assert_allclose(predicted, dense_model.predict(x.toarray(), verbose=0), rtol=1e-13, atol=1e-15)
    for format_ in ("csr", "csc", "coo"):
        np.testing.assert_allclose(sparse_model.predict(x.asformat(format_), verbose=0), predicted, rtol=1e-13)
    dense_model.fit(x.toarray(), y, batch_size=20, epochs=3, shuffle=False, verbose=0)
    sparse_model.fit(x, y, batch_size=20, epochs=3, shuffle=False, verbose=0)
    for a, b in zip(sparse_model.get_weights(), dense_model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    assert sparse_model.evaluate(x, y, verbose=0) == pytest.approx(dense_model.evaluate(x.toarray(), y, verbose=0),
                                                                    rel=1e-13)


def test_sparse_float64_values_are_not_copied():
    x = sparse.random(20_000, 500, density=0.05, format="csr", random_state=0, dtype=np.float64)  # 4 MB of values
    model = build("float64", sizes=(500, 4, 1), hidden="relu", output="linear", loss="mean_squared_error")
    peak = traced_peak(lambda: model.predict(x, batch_size=4096, verbose=0))
    print(f"sparse float64 predict: values {x.data.nbytes / 1e6:.1f} MB, traced peak {peak / 1e6:.2f} MB")
    # The structure (int32 indptr and indices, half the values' bytes here) is copied once per call, so
    # that a callback rewriting it cannot send the core astray (issue 26); the values are read in place.
    structure = x.indices.nbytes + x.indptr.nbytes
    assert peak < structure + x.data.nbytes / 4


# ---- scikit-learn estimators -------------------------------------------------------------------------
def classification_data(rows=60, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(rows, 5)), rng.integers(0, 3, rows)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_sklearn_estimators_keep_the_dtype_of_their_data(kind):
    from fastmlp.sklearn import MLPClassifier, MLPRegressor
    x, labels = classification_data()
    y = labels if kind == "classifier" else x @ [1.0, -1.0, 0.5, 0.0, 2.0]
    estimator = MLPClassifier if kind == "classifier" else MLPRegressor
    outputs = "predict_proba" if kind == "classifier" else "predict"
    cases = [(x, np.float64), (x.astype(np.float32), np.float32), ((x * 10).astype(np.int64), np.float64),
             (sparse.csr_matrix(x), np.float64), (sparse.csc_matrix(x.astype(np.float32)), np.float32)]
    for data, dtype in cases:
        fitted = estimator(hidden_layer_sizes=(6,), max_iter=3, random_state=0).fit(data, y)
        assert fitted._model.dtype == np.dtype(dtype).name
        assert all(array.dtype == dtype for array in fitted.coefs_ + fitted.intercepts_)
        assert getattr(fitted, outputs)(data).dtype == dtype
        # Later input of another dtype is converted to the network's.
        assert getattr(fitted, outputs)(x.astype(np.float32)).dtype == dtype
        fitted.partial_fit(x, y)
        assert all(array.dtype == dtype for array in fitted.coefs_)
        restored = pickle.loads(pickle.dumps(fitted))
        assert all(array.dtype == dtype for array in restored.coefs_)
        np.testing.assert_array_equal(getattr(restored, outputs)(x), getattr(fitted, outputs)(x))


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_sklearn_estimators_train_to_scikit_learns_float64_precision(kind):
    """From scikit-learn's own weights, 20 full-batch SGD steps (L2 penalty on): the same weights and
    losses as scikit-learn's float64 MLP to 1e-10 (float32 training would differ from the 6th digit)."""
    from sklearn.neural_network import MLPClassifier as TheirClassifier
    from sklearn.neural_network import MLPRegressor as TheirRegressor

    from fastmlp.sklearn import MLPClassifier, MLPRegressor
    x, labels = classification_data()
    params = dict(hidden_layer_sizes=(7,), activation="tanh", solver="sgd", momentum=0.0, alpha=0.01,
                  batch_size=len(x), shuffle=False, learning_rate_init=0.1, random_state=0)
    if kind == "classifier":
        theirs = TheirClassifier(**params).partial_fit(x, labels, classes=[0, 1, 2])
        y, ours = labels, MLPClassifier.from_sklearn(theirs)
    else:
        y = np.tanh(x @ [1.0, -1.0, 0.5, 0.0, 2.0])
        theirs = TheirRegressor(**params).partial_fit(x, y)
        ours = MLPRegressor.from_sklearn(theirs)
    assert all(c.dtype == np.float64 for c in ours.coefs_)
    for _ in range(20):
        theirs.partial_fit(x, y)
        ours.partial_fit(x, y)
    for mine, reference in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        print(f"{kind}: largest weight difference after 20 steps {np.abs(mine - reference).max():.2e}")
        np.testing.assert_allclose(mine, reference, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-10)
    method = "predict_proba" if kind == "classifier" else "predict"
    np.testing.assert_allclose(getattr(ours, method)(x), getattr(theirs, method)(x), rtol=1e-10, atol=1e-12)
