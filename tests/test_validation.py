"""Bad input to any public call raises ValueError or TypeError with a message that says what to fix,
and never crashes; any array NumPy can convert to numbers is accepted."""

import re

import numpy as np
import pytest

import fastmlp as fm

FEATURES, CLASSES, ROWS = 4, 3, 20


def classifier(loss="categorical_crossentropy", units=CLASSES, output="softmax"):
    fm.utils.set_random_seed(0)
    model = fm.Sequential([fm.layers.Input((FEATURES,)), fm.layers.Dense(5, activation="tanh"),
                           fm.layers.Dense(units, activation=output)])
    model.compile(optimizer="sgd", loss=loss)
    return model


@pytest.fixture
def data(rng):
    x = rng.normal(size=(ROWS, FEATURES)).astype(np.float32)
    y = fm.utils.to_categorical(rng.integers(0, CLASSES, ROWS), CLASSES)
    return x, y


def with_value(array, value, index=(0, 0)):
    array = np.array(array)  # a copy, in the caller's dtype
    array[index] = value
    return array


# ---- data given to fit / evaluate / predict / train_on_batch ------------------------------------------
# (what is wrong, a function (model, x, y) making the bad call, the exception, a phrase of its message)
BAD_DATA = [
    ("too few features", lambda m, x, y: m.fit(x[:, :3], y, verbose=0), ValueError, "expects 4 input features"),
    ("too many features", lambda m, x, y: m.predict(np.hstack([x, x]), verbose=0), ValueError, "expects 4"),
    ("features in evaluate", lambda m, x, y: m.evaluate(x[:, :2], y, verbose=0), ValueError, "expects 4"),
    ("1-D x", lambda m, x, y: m.fit(x[:, 0], y, verbose=0), ValueError, "2-D"),
    ("3-D x", lambda m, x, y: m.predict(x.reshape(ROWS, 2, 2), verbose=0), ValueError, "Flatten"),
    ("x/y length", lambda m, x, y: m.fit(x, y[:-1], verbose=0), ValueError, "same number of samples"),
    ("x/y length in evaluate", lambda m, x, y: m.evaluate(x[:5], y, verbose=0), ValueError, "same number"),
    ("x/y length in train_on_batch", lambda m, x, y: m.train_on_batch(x, y[:3]), ValueError, "same number"),
    ("NaN in x", lambda m, x, y: m.fit(with_value(x, np.nan), y, verbose=0), ValueError, "NaN or infinity"),
    ("inf in x", lambda m, x, y: m.fit(with_value(x, np.inf), y, verbose=0), ValueError, "NaN or infinity"),
    ("NaN in predict", lambda m, x, y: m.predict(with_value(x, np.nan), verbose=0), ValueError, "NaN"),
    ("-inf in evaluate", lambda m, x, y: m.evaluate(with_value(x, -np.inf), y, verbose=0), ValueError, "NaN"),
    ("NaN in y", lambda m, x, y: m.fit(x, with_value(y, np.nan), verbose=0), ValueError, "NaN"),
    ("inf in y", lambda m, x, y: m.train_on_batch(x, with_value(y, np.inf)), ValueError, "NaN"),
    ("float64 overflow", lambda m, x, y: m.fit(with_value(x.astype(np.float64), 1e300), y, verbose=0),
     ValueError, "NaN or infinity"),
    ("NaN in validation x", lambda m, x, y: m.fit(x, y, validation_data=(with_value(x, np.nan), y), verbose=0),
     ValueError, "NaN"),
    ("empty fit", lambda m, x, y: m.fit(x[:0], y[:0], verbose=0), ValueError, "empty"),
    ("empty evaluate", lambda m, x, y: m.evaluate(x[:0], y[:0], verbose=0), ValueError, "empty"),
    ("empty predict", lambda m, x, y: m.predict(x[:0], verbose=0), ValueError, "empty"),
    ("no features", lambda m, x, y: m.predict(x[:, :0], verbose=0), ValueError, "features"),
    ("None x", lambda m, x, y: m.fit(None, y, verbose=0), ValueError, "x is required"),
    ("None y", lambda m, x, y: m.fit(x, None, verbose=0), ValueError, "y is required"),
    ("wrong target width", lambda m, x, y: m.fit(x, y[:, :2], verbose=0), ValueError, "expects 3 column"),
    ("integer labels with CE", lambda m, x, y: m.fit(x, np.argmax(y, 1), verbose=0), ValueError,
     "sparse_categorical_crossentropy"),
    ("strings", lambda m, x, y: m.fit(np.full(x.shape, "a"), y, verbose=0), TypeError, "must hold numbers"),
    ("object array of strings", lambda m, x, y: m.predict(np.array([["1", "b", "c", "d"]], dtype=object),
                                                          verbose=0), TypeError, "must hold numbers"),
    ("ragged list", lambda m, x, y: m.predict([[1, 2, 3, 4], [1, 2]], verbose=0), TypeError, "numeric array"),
    ("complex", lambda m, x, y: m.predict(x.astype(np.complex64), verbose=0), TypeError, "real numbers"),
    ("a dict", lambda m, x, y: m.predict({"a": 1}, verbose=0), TypeError, "numbers"),
    ("batch_size 0", lambda m, x, y: m.fit(x, y, batch_size=0, verbose=0), ValueError, "batch_size"),
    ("batch_size -1", lambda m, x, y: m.predict(x, batch_size=-1, verbose=0), ValueError, "batch_size"),
    ("batch_size 2.5", lambda m, x, y: m.fit(x, y, batch_size=2.5, verbose=0), ValueError, "batch_size"),
    ("batch_size True", lambda m, x, y: m.evaluate(x, y, batch_size=True, verbose=0), ValueError, "batch_size"),
    ("epochs -1", lambda m, x, y: m.fit(x, y, epochs=-1, verbose=0), ValueError, "epochs"),
    ("epochs 2**40", lambda m, x, y: m.fit(x, y, epochs=2**40, verbose=0), ValueError, "epochs"),
    ("epochs 1.5", lambda m, x, y: m.fit(x, y, epochs=1.5, verbose=0), ValueError, "epochs"),
    ("initial_epoch -1", lambda m, x, y: m.fit(x, y, initial_epoch=-1, verbose=0), ValueError, "initial_epoch"),
    ("validation_split 1", lambda m, x, y: m.fit(x, y, validation_split=1.0, verbose=0), ValueError,
     "validation_split"),
    ("validation_split -0.1", lambda m, x, y: m.fit(x, y, validation_split=-0.1, verbose=0), ValueError,
     "validation_split"),
    ("validation_split too small", lambda m, x, y: m.fit(x, y, validation_split=1e-17, verbose=0), ValueError,
     "leaves no samples"),
    ("validation_data not a tuple", lambda m, x, y: m.fit(x, y, validation_data=x, verbose=0), ValueError,
     "validation_data"),
    ("sample_weight length", lambda m, x, y: m.fit(x, y, sample_weight=np.ones(3), verbose=0), ValueError,
     "one weight per sample"),
    ("negative sample_weight", lambda m, x, y: m.fit(x, y, sample_weight=-np.ones(ROWS), verbose=0), ValueError,
     ">= 0"),
    ("NaN sample_weight", lambda m, x, y: m.evaluate(x, y, sample_weight=np.full(ROWS, np.nan), verbose=0),
     ValueError, "finite"),
    ("verbose 3", lambda m, x, y: m.fit(x, y, verbose=3), ValueError, "verbose"),
    ("class_weight not a dict", lambda m, x, y: m.fit(x, y, class_weight=[1, 2], verbose=0), TypeError,
     "class_weight"),
    ("class_weight with text keys", lambda m, x, y: m.fit(x, y, class_weight={"a": 1}, verbose=0), ValueError,
     "class_weight"),
]


@pytest.mark.parametrize("what, call, error, phrase", BAD_DATA, ids=[case[0] for case in BAD_DATA])
def test_bad_data_raises_a_clear_error_and_leaves_the_model_unchanged(what, call, error, phrase, data):
    model = classifier()
    before = model.get_weights()
    with pytest.raises(error, match=phrase):
        call(model, *data)
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)
    model.fit(*data, epochs=1, verbose=0)  # still usable


# ---- labels outside what the loss accepts -----------------------------------------------------------
@pytest.mark.parametrize("labels, phrase", [
    ([0, 1, 3], "label"),      # 3 >= units
    ([0, -1, 2], "label"),     # negative
    ([0, 1.5, 2], "label"),    # not an integer
    ([0, 1, 10**9], "label"),  # far outside: would read past the row
], ids=["too large", "negative", "fractional", "huge"])
def test_sparse_labels_outside_the_classes_are_refused(labels, phrase, rng):
    model = classifier(loss="sparse_categorical_crossentropy")
    x = rng.normal(size=(3, FEATURES)).astype(np.float32)
    for call in (lambda: model.fit(x, np.array(labels), verbose=0), lambda: model.evaluate(x, labels, verbose=0),
                 lambda: model.train_on_batch(x, labels)):
        with pytest.raises(ValueError, match=phrase):
            call()


@pytest.mark.parametrize("value", [-0.5, 1.5, 2.0])
def test_binary_targets_outside_0_1_are_refused(value, rng):
    model = classifier(loss="binary_crossentropy", units=1, output="sigmoid")
    x = rng.normal(size=(4, FEATURES)).astype(np.float32)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        model.fit(x, np.array([0, 1, value, 0]), verbose=0)


def test_loss_functions_called_directly_check_their_targets():
    with pytest.raises(ValueError):
        fm.losses.SparseCategoricalCrossentropy()(np.array([5.0]), np.array([[0.5, 0.5]]))
    with pytest.raises(ValueError):
        fm.losses.MeanSquaredError()(np.zeros((3, 2)), np.zeros((2, 2)))


# ---- names and hyperparameters ------------------------------------------------------------------------
BAD_CONFIG = [
    ("activation", lambda: fm.layers.Dense(3, activation="relux"), ValueError, "relu"),
    ("activation layer", lambda: fm.layers.Activation("nope"), ValueError, "sigmoid"),
    ("activation type", lambda: fm.layers.Dense(3, activation=3), TypeError, "activation"),
    ("initializer", lambda: fm.layers.Dense(3, kernel_initializer="glorot_uniformm"), ValueError,
     "glorot_uniform"),
    ("bias initializer", lambda: fm.layers.Dense(3, bias_initializer="zero_"), ValueError, "zeros"),
    ("regularizer", lambda: fm.layers.Dense(3, kernel_regularizer="l3"), ValueError, "l2"),
    ("units 0", lambda: fm.layers.Dense(0), ValueError, "positive integer"),
    ("units -3", lambda: fm.layers.Dense(-3), ValueError, "positive integer"),
    ("units 2.5", lambda: fm.layers.Dense(2.5), TypeError, "units must be an integer, got 2.5"),
    ("units None", lambda: fm.layers.Dense(None), TypeError, "units must be an integer, got None"),
    ("dropout 1", lambda: fm.layers.Dropout(1.0), ValueError, r"\[0, 1\)"),
    ("dropout -0.1", lambda: fm.layers.Dropout(-0.1), ValueError, r"\[0, 1\)"),
    ("dropout NaN", lambda: fm.layers.Dropout(float("nan")), ValueError, r"\[0, 1\)"),
    ("dropout text", lambda: fm.layers.Dropout("0.5"), TypeError, r"rate must be a number, got a string"),
    ("dropout seed", lambda: fm.layers.Dropout(0.5, seed=-1), ValueError, "seed"),
    ("noise stddev", lambda: fm.layers.GaussianNoise(-1.0), ValueError, "stddev"),
    ("noise stddev inf", lambda: fm.layers.GaussianNoise(float("inf")), ValueError, "stddev"),
    ("initializer seed", lambda: fm.initializers.GlorotUniform(seed=-2), ValueError, "seed"),
    ("input shape", lambda: fm.layers.Input((0,)), ValueError, "positive integers"),
    ("input shape text", lambda: fm.layers.Input("abc"), ValueError, "positive integers"),
    ("input_dim", lambda: fm.layers.Dense(3, input_dim=-1), ValueError, "positive integers"),
    ("set_random_seed", lambda: fm.utils.set_random_seed(-1), ValueError, "seed"),
    ("set_num_threads", lambda: fm.set_num_threads("2"), TypeError, "integer"),
    ("to_categorical", lambda: fm.utils.to_categorical([0, -1]), ValueError, ">= 0"),
]


@pytest.mark.parametrize("what, call, error, phrase", BAD_CONFIG, ids=[case[0] for case in BAD_CONFIG])
def test_bad_layer_arguments_raise_clear_errors(what, call, error, phrase):
    with pytest.raises(error, match=phrase):
        call()


@pytest.mark.parametrize("kwargs, error, phrase", [
    ({"optimizer": "adamm", "loss": "mse"}, ValueError, "adam"),
    ({"optimizer": 3, "loss": "mse"}, TypeError, "optimizer"),
    ({"optimizer": "sgd", "loss": "msee"}, ValueError, "mean_squared_error"),
    ({"optimizer": "sgd", "loss": None}, ValueError, "needs a loss"),
    ({"optimizer": "sgd", "loss": lambda t, p: 0}, TypeError, "loss <lambda> must compute its result"),
    ({"optimizer": "sgd", "loss": "mse", "metrics": ["acuracy"]}, ValueError, "accuracy"),
    ({"optimizer": "sgd", "loss": "mse", "metrics": "accuracy"}, TypeError, "list"),
    ({"optimizer": "sgd", "loss": "mse", "metrics": [len]}, TypeError, "metric 'len' cannot be traced"),
    ({"optimizer": "sgd", "loss": "mse", "bogus": 1}, TypeError, "bogus"),
], ids=["optimizer name", "optimizer type", "loss name", "no loss", "python loss", "metric name",
        "metrics not a list", "python metric", "unknown argument"])
def test_bad_compile_arguments_list_the_valid_choices(kwargs, error, phrase):
    model = fm.Sequential([fm.layers.Input((FEATURES,)), fm.layers.Dense(2)])
    with pytest.raises(error, match=phrase):
        model.compile(**kwargs)


@pytest.mark.parametrize("make", [
    lambda: fm.optimizers.SGD(learning_rate=-1.0),
    lambda: fm.optimizers.SGD(learning_rate=float("nan")),
    lambda: fm.optimizers.SGD(momentum=1.5),
    lambda: fm.optimizers.Adam(beta_1=1.0),
    lambda: fm.optimizers.Adam(epsilon=-1.0),
    lambda: fm.optimizers.RMSprop(rho=-0.5),
], ids=["negative lr", "NaN lr", "momentum 1.5", "beta_1 1", "negative epsilon", "negative rho"])
def test_bad_optimizer_hyperparameters_raise_value_error(make):
    with pytest.raises(ValueError):
        make()


# ---- model state ---------------------------------------------------------------------------------
def test_predict_without_an_input_shape_builds_for_x_as_keras_does():
    model = fm.Sequential([fm.layers.Dense(2)])
    assert model.predict(np.zeros((3, 4)), verbose=0).shape == (3, 2) and model.input_shape == (None, 4)
    with pytest.raises(ValueError, match="no layers"):
        fm.Sequential().predict(np.zeros((3, 4)), verbose=0)


def test_training_before_compile_raises(data):
    model = fm.Sequential([fm.layers.Input((FEATURES,)), fm.layers.Dense(3)])
    for call in (lambda: model.fit(*data, verbose=0), lambda: model.evaluate(*data, verbose=0),
                 lambda: model.train_on_batch(*data)):
        with pytest.raises(ValueError, match="compile"):
            call()


def test_a_model_without_weighted_layers_cannot_be_trained(data):
    model = fm.Sequential()
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="no layers"):
        model.fit(*data, verbose=0)


@pytest.mark.parametrize("weights, error, phrase", [
    (lambda w: w[:-1], ValueError, "weight arrays"),
    (lambda w: w + [w[-1]], ValueError, "weight arrays"),
    (lambda w: [w[0].T] + w[1:], ValueError, "shape"),
    (lambda w: [w[0][:, :1]] + w[1:], ValueError, "shape"),
    (lambda w: [np.full(w[0].shape, "x")] + w[1:], TypeError, "numbers"),
    (lambda w: None, TypeError, "list of arrays"),
    (lambda w: "weights", TypeError, "list of arrays"),
], ids=["too few", "too many", "transposed", "narrow", "text", "None", "a string"])
def test_set_weights_checks_count_and_shapes_before_writing(weights, error, phrase):
    model = classifier()
    before = model.get_weights()
    with pytest.raises(error, match=phrase):
        model.set_weights(weights(model.get_weights()))
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_layer_widths_that_do_not_chain_are_refused():
    model = fm.Sequential([fm.layers.Input((3,)), fm.layers.Dense(4)])
    with pytest.raises(ValueError, match="first layer"):
        model.add(fm.layers.Dense(2, input_dim=7))
    with pytest.raises(TypeError, match="layer"):
        model.add("dense")
    with pytest.raises(ValueError, match="built for 3"):
        model.build((None, 5))


def test_loading_weights_of_another_architecture_is_refused(tmp_path):
    small, large = classifier(), classifier(units=5)
    small.save_weights(tmp_path / "w.npz")
    with pytest.raises(ValueError, match="shape"):
        large.load_weights(tmp_path / "w.npz")
    (tmp_path / "junk.npz").write_bytes(b"not numpy")
    with pytest.raises(ValueError, match="could not read"):
        large.load_weights(tmp_path / "junk.npz")


# ---- accepted inputs: any layout NumPy can convert ----------------------------------------------------
class ArrayLike:
    """What pandas DataFrames and similar containers offer: only __array__."""

    def __init__(self, array):
        self._array = array

    def __array__(self, dtype=None, copy=None):
        return self._array if dtype is None else self._array.astype(dtype)


def _read_only(array):
    array = array.copy()
    array.flags.writeable = False
    return array


CONVERSIONS = {
    "float32": lambda a: a,
    "float64": lambda a: a.astype(np.float64),
    "float16": lambda a: a.astype(np.float16),
    "int": lambda a: np.rint(a * 10).astype(np.int32),
    "uint8": lambda a: np.abs(np.rint(a * 10)).astype(np.uint8),
    "bool": lambda a: a > 0,
    "fortran": np.asfortranarray,
    "strided rows": lambda a: np.repeat(a, 2, axis=0)[::2],
    "strided columns": lambda a: np.repeat(a, 2, axis=1)[:, ::2],
    "reversed": lambda a: a[::-1][::-1],
    "transposed twice": lambda a: np.ascontiguousarray(a.T).T,
    "read-only": _read_only,
    "list": lambda a: a.tolist(),
    "tuple of tuples": lambda a: tuple(map(tuple, a.tolist())),
    "__array__ object": ArrayLike,
    "unaligned": lambda a: np.frombuffer(b"\0" + a.astype(np.float32).tobytes(), np.float32, a.size, 1)
                           .reshape(a.shape),
}


@pytest.mark.parametrize("name", list(CONVERSIONS))
def test_any_numeric_layout_gives_the_same_results_as_float32(name, data):
    x, y = data
    convert = CONVERSIONS[name]
    reference_x, reference_y = (np.asarray(np.asarray(convert(a)), dtype=np.float32) for a in (x, y))
    model = classifier()
    expected = model.predict(reference_x, verbose=0)
    np.testing.assert_array_equal(model.predict(convert(x), verbose=0), expected)
    loss = model.evaluate(convert(x), convert(y), verbose=0)
    assert loss == model.evaluate(reference_x, reference_y, verbose=0)
    history = model.fit(convert(x), convert(y), epochs=1, batch_size=8, shuffle=False, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    model.train_on_batch(convert(x), convert(y))


def test_read_only_inputs_are_not_written(data):
    x, y = (_read_only(a) for a in data)
    before = x.copy()
    model = classifier()
    model.fit(x, y, epochs=2, verbose=0, validation_data=(x, y))
    np.testing.assert_array_equal(x, before)


# ---- messages that say what was passed and what is allowed -------------------------------------------
@pytest.mark.parametrize("weight", [-1.0, float("nan"), float("inf")])
def test_a_bad_class_weight_is_named_with_its_class(weight, data):
    # It was reported as "sample weights must be finite", about weights the user never passed.
    x, y = data
    with pytest.raises(ValueError, match=rf"class_weight must map each class to a finite number >= 0; "
                                         rf"class 2 has {weight}"):
        classifier().fit(x, y, class_weight={0: 1.0, 2: weight}, verbose=0)


def test_a_class_weight_beyond_the_models_dtype_is_named(data):
    # [issue 26] 1e40 passed the check in float64 and overflowed to inf in the float32 weights, reported as
    # "sample_weight[0] is inf"; float64 holds it, and the model trains with it.
    x, y = data
    for call in (lambda m: m.fit(x, y, class_weight={0: 1.0, 1: 1e40}, verbose=0),
                 lambda m: m.train_on_batch(x, y, class_weight={1: 1e40})):
        with pytest.raises(ValueError, match=r"class_weight must map each class to a number finite in the model's "
                                             r"dtype \(float32\); class 1 has 1e\+40, beyond float32's largest"):
            call(classifier())
    model = fm.Sequential([fm.Input((x.shape[1],), dtype="float64"),
                           fm.layers.Dense(3, activation="softmax", dtype="float64")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    model.fit(x, y, class_weight={1: 1e-30, 0: 1e40}, epochs=1, verbose=0)


def test_a_bad_sample_weight_is_named_with_its_index(data):
    x, y = data
    weights = np.ones(ROWS)
    weights[7] = -0.5
    with pytest.raises(ValueError, match=r"sample_weight\[7\] is -0.5"):
        classifier().fit(x, y, sample_weight=weights, verbose=0)


@pytest.mark.parametrize("make", [
    lambda: fm.layers.Input((2**32, 2**32)),
    lambda: fm.layers.Dense(3, input_shape=(2**21, 2**21, 2**21)),
    lambda: fm.Sequential([fm.layers.Flatten(), fm.layers.Dense(3)]).build((None, 2**32, 2**32)),
])
def test_a_sample_shape_too_large_to_count_is_refused_with_its_size(make):
    # NumPy's product wrapped around: Input((2**32, 2**32)) then Flatten() reported "got 0" features.
    with pytest.raises(ValueError, match=r"has \d+ values, more than the 9223372036854775807"):
        make()


@pytest.mark.parametrize("units, bytes_needed", [(2**40, "562949953421312 bytes (512 TiB)"),
                                                 (2**50, "576460752303423488 bytes (512 PiB)")])
def test_a_layer_too_large_for_memory_raises_memory_error_naming_it_and_the_bytes(units, bytes_needed):
    # It was a bare MemoryError("std::bad_alloc").
    model = fm.Sequential([fm.layers.Input((64,))])
    with pytest.raises(MemoryError, match=rf"cannot build Dense layer 'huge' for 64 inputs: its kernel of shape "
                                          rf"\(64, {units}\) and the kernel's gradient need {re.escape(bytes_needed)}"):
        model.add(fm.layers.Dense(units, name="huge"))
    assert model.layers == []  # nothing was added


def test_a_layer_that_ran_out_of_memory_is_left_unbuilt_and_usable_elsewhere(data):
    # A failed build left BatchNormalization half built (its width set, its statistics missing).
    normalization = fm.layers.BatchNormalization()
    with pytest.raises(MemoryError, match=r"BatchNormalization layer '.*' for 1099511627776 inputs"):
        fm.Sequential([fm.layers.Input((2**40,)), normalization])
    x, y = data
    model = fm.Sequential([fm.layers.Input((FEATURES,)), normalization, fm.layers.Dense(CLASSES, activation="softmax")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    assert np.isfinite(model.fit(x, y, epochs=1, verbose=0).history["loss"][0])
