"""float64 through the Python API and every way in and out: dtype forms and defaults, mixed models,
training and prediction in float64 without copies, .fmlp/pickle/deepcopy/clone/config round trips, Keras
files both ways, ONNX (DOUBLE tensors), from_torch of a double module, the ops, losses and activations on
float64 arrays, and the scikit-learn wrapper. (tests/test_float64.py checks the numbers: gradients,
precision, no-copy memory, scikit-learn equivalence.)"""

import copy
import os
import pickle
import tempfile

import numpy as np
import pytest
from interop_fixtures import import_keras

import fastmlp as fm
from fastmlp.models import data as model_data

L = fm.layers


@pytest.fixture(autouse=True)
def reset_floatx():
    yield
    fm.config.set_floatx("float32")


def test_floatx():
    assert fm.config.floatx() == "float32" and fm.backend.floatx() == "float32"
    fm.backend.set_floatx("float64")
    assert fm.config.floatx() == "float64"
    fm.utils.clear_session()
    assert fm.config.floatx() == "float64"
    for bad in ("float16", "bfloat16", "int32", None, "mixed_float16", 3):
        with pytest.raises(ValueError, match="float32 or float64"):
            fm.config.set_floatx(bad)
    assert fm.config.floatx() == "float64"


@pytest.mark.parametrize("spec", ["float64", np.float64, np.dtype("float64"), "double",
                                  {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float64"},
                                   "registered_name": None}])
def test_dtype_forms(spec):
    layer = L.Dense(2, dtype=spec)
    assert layer.dtype == "float64" and layer.get_config()["dtype"] == "float64"
    assert L.Input((3,), dtype=spec).dtype == "float64"


def test_dtype_errors():
    with pytest.raises(ValueError, match="float32 or float64"):
        L.Dense(2, dtype="float16")
    with pytest.raises(ValueError, match="float32 or float64"):
        L.Input((2,), dtype="int32")


def test_default_taken_at_construction():
    a = L.Dense(2)
    fm.config.set_floatx("float64")
    b = L.Dense(2)
    assert (a.dtype, b.dtype) == ("float32", "float64")


def test_mixed_models_raise():
    with pytest.raises(ValueError, match=r"float32.*float64|float64.*float32"):
        fm.Sequential([L.Input((3,)), L.Dense(2, dtype="float64")])
    with pytest.raises(ValueError, match="'d64'"):
        fm.Sequential([L.Dense(2, dtype="float64", input_dim=3, name="d64"), L.Dense(1, name="d32")])
    x = L.Input((3,), dtype="float64")
    y = L.Dense(2)(x)
    with pytest.raises(ValueError, match="mix"):
        fm.Model(x, y)


def build(dtype="float64", functional=False):
    if functional:
        x = L.Input((4,), dtype=dtype)
        h = L.Dense(8, activation="tanh", dtype=dtype)(x)
        h = L.BatchNormalization(dtype=dtype)(h)
        y = L.Dense(1, dtype=dtype)(L.concatenate([h, x], dtype=dtype))
        model = fm.Model(x, y)
    else:
        model = fm.Sequential([L.Input((4,), dtype=dtype), L.Dense(8, activation="tanh", dtype=dtype),
                               L.Dense(1, dtype=dtype)])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return model


@pytest.mark.parametrize("functional", [False, True])
def test_train_predict_dtype_and_zero_copy(functional):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4))
    y = x @ rng.normal(size=(4, 1))
    model = build(functional=functional)
    assert model.dtype == "float64" and all(l.dtype == "float64" for l in model.layers)
    assert model_data.input_arrays(model, x)[0] is x
    assert model_data.target_arrays(model, y)[0] is y
    h = model.fit(x, y, epochs=3, verbose=0, sample_weight=np.ones(64), validation_split=0.25)
    assert all(isinstance(v, float) for vs in h.history.values() for v in vs)
    p = model.predict(x, verbose=0)
    assert p.dtype == np.float64
    assert model(x).dtype == np.float64 and model(x, training=True).dtype == np.float64
    assert all(w.dtype == np.float64 for w in model.get_weights() + model.weights)
    assert isinstance(model.evaluate(x, y, verbose=0)[0], float)
    model.train_on_batch(x[:8], y[:8])
    p = model.predict(x, verbose=0)
    # float32 input is converted
    np.testing.assert_allclose(model.predict(x.astype(np.float32), verbose=0),
                               model.predict(x.astype(np.float32).astype(np.float64), verbose=0))
    # round trips
    with tempfile.TemporaryDirectory() as d:
        model.save(os.path.join(d, "m.fmlp"))
        loaded = fm.models.load_model(os.path.join(d, "m.fmlp"))
        assert loaded.dtype == "float64" and type(loaded) is type(model)
        np.testing.assert_array_equal(loaded.predict(x, verbose=0), p)
        assert loaded.inputs[0].dtype == "float64"
    again = pickle.loads(pickle.dumps(model))
    assert again.dtype == "float64"
    np.testing.assert_array_equal(again.predict(x, verbose=0), p)
    assert copy.deepcopy(model).dtype == "float64"
    clone = fm.models.clone_model(model)
    assert clone.dtype == "float64"
    rebuilt = type(model).from_config(model.get_config())
    assert rebuilt.dtype == "float64"
    assert rebuilt.get_config() == model.get_config()
    name = "Sequential" if not functional else "Functional"
    assert fm.models.model_from_config({"class_name": name, "config": model.get_config()}).dtype == "float64"
    # float32 twin stays float32
    m32 = build("float32", functional)
    assert m32.predict(x, verbose=0).dtype == np.float32
    assert fm.models.model_from_config({"class_name": name, "config": m32.get_config()}).dtype == "float32"


def test_precision_is_double():
    model = fm.Sequential([L.Input((1,), dtype="float64"), L.Dense(1, dtype="float64", use_bias=False,
                                                                   kernel_initializer="ones")])
    x = np.array([[1.0 + 1e-12]])
    assert model.predict(x, verbose=0)[0, 0] == 1.0 + 1e-12


def test_eager_layer_and_normalization():
    d = L.Dense(3, dtype="float64")
    out = d(np.ones((2, 4)))
    assert out.dtype == np.float64 and d.kernel.dtype == np.float64
    n = L.Normalization(dtype="float64")
    n.adapt(np.arange(12.0).reshape(6, 2))
    assert n.mean.dtype == np.float64


def test_initializer_dtype():
    assert fm.initializers.GlorotUniform(seed=1)((3, 2), dtype="float64").dtype == np.float64
    assert fm.initializers.GlorotUniform(seed=1)((3, 2)).dtype == np.float32
    fm.config.set_floatx("float64")
    assert fm.initializers.Ones()((3, 2)).dtype == np.float64


def test_floatx_model():
    fm.config.set_floatx("float64")
    model = fm.Sequential([L.Dense(4), L.Dense(1)])
    model.compile("sgd", "mse")
    model.fit(np.ones((4, 3)), np.ones(4), verbose=0)
    assert model.dtype == "float64" and model.layers[0].kernel.dtype == np.float64


def test_sequential_takes_first_layer_dtype():
    model = fm.Sequential()
    model.compile("adam", "mse")
    model.add(L.Dense(2, dtype="float64", input_dim=3))
    assert model.dtype == "float64" and model.built
    model.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0)


def test_sparse_float64():
    sp = pytest.importorskip("scipy.sparse")
    x = sp.random(50, 20, density=0.2, format="csr", random_state=0)
    y = np.ones((50, 1))
    model = fm.Sequential([L.Input((20,), dtype="float64"), L.Dense(1, dtype="float64")])
    model.compile("sgd", "mse")
    model.fit(x, y, epochs=1, verbose=0, validation_split=0.2)
    np.testing.assert_allclose(model.predict(x, verbose=0), model.predict(x.toarray(), verbose=0), rtol=1e-12)


def test_nested_model_as_layer():
    inner = build()
    outer = fm.Sequential([L.Input((4,), dtype="float64"), inner, L.Dense(2, dtype="float64")])
    assert outer.dtype == "float64"
    assert outer.predict(np.ones((3, 4)), verbose=0).dtype == np.float64
    with pytest.raises(ValueError, match="mix"):
        fm.Sequential([L.Input((4,)), inner])


def keras_predict(model, x):
    return np.asarray(model.predict(x, verbose=0))


# Keras on torch with floatx float64 trips NumPy 2's copy-keyword deprecation inside Keras (predict, get_weights).
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_keras_export_import(tmp_path):
    pytest.importorskip("h5py")
    keras = import_keras()
    model = build()
    x = np.random.default_rng(1).normal(size=(16, 4))
    model.fit(x, x[:, :1], epochs=2, verbose=0)
    model.save(tmp_path / "m.keras")
    theirs = keras.saving.load_model(tmp_path / "m.keras")
    assert all(layer.dtype == "float64" for layer in theirs.layers)
    keras.config.set_floatx("float64")  # else Keras's predict rounds the input to float32
    try:
        np.testing.assert_allclose(keras_predict(theirs, x), model.predict(x, verbose=0), rtol=1e-5)
        for a, b in zip(theirs.get_weights(), model.get_weights()):
            assert a.dtype == np.float64 and np.array_equal(a, b)
    finally:
        keras.config.set_floatx("float32")
    ours = fm.models.load_model(tmp_path / "m.keras")
    assert ours.dtype == "float64"
    np.testing.assert_allclose(ours.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-12)
    # A Keras model made in float64
    k = keras.Sequential([keras.Input((4,), dtype="float64"), keras.layers.Dense(3, dtype="float64"),
                          keras.layers.Dense(1, dtype="float64")])
    k.save(tmp_path / "k.keras")
    imported = fm.models.load_model(tmp_path / "k.keras")
    assert imported.dtype == "float64"
    keras.config.set_floatx("float64")
    try:
        np.testing.assert_allclose(imported.predict(x, verbose=0), keras_predict(k, x), rtol=1e-5)
        assert all(np.array_equal(a, b) for a, b in zip(imported.get_weights(), k.get_weights()))
    finally:
        keras.config.set_floatx("float32")
    k32 = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    k32.save(tmp_path / "k32.keras")
    assert fm.models.load_model(tmp_path / "k32.keras").dtype == "float32"


def test_onnx_double(tmp_path):
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    model = build()
    x = np.random.default_rng(1).normal(size=(16, 4))
    model.export(tmp_path / "m.onnx")
    proto = onnx.load(tmp_path / "m.onnx")
    assert proto.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.DOUBLE
    session = ort.InferenceSession(str(tmp_path / "m.onnx"))
    out = session.run(None, {session.get_inputs()[0].name: x})[0]
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, model.predict(x, verbose=0), rtol=1e-10)


def test_from_torch_double():
    torch = pytest.importorskip("torch")
    net = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2)).double()
    model = fm.models.from_torch(net)
    assert model.dtype == "float64"
    x = np.random.default_rng(1).normal(size=(8, 4))
    # torch sums in its own order: double rounding apart (float32 would be ~1e-7 apart)
    np.testing.assert_allclose(model.predict(x, verbose=0), net(torch.from_numpy(x)).detach().numpy(), rtol=1e-10,
                               atol=1e-12)
    assert fm.models.from_torch(net.float()).dtype == "float32"
    assert L.Dense(2, dtype=torch.float64).dtype == "float64"


def test_keras_policy_object():
    keras = import_keras()
    assert L.Dense(2, dtype=keras.DTypePolicy("float64")).dtype == "float64"
    with pytest.raises(ValueError, match="float32 or float64"):
        L.Dense(2, dtype=keras.DTypePolicy("mixed_float16"))


def test_functions_keep_float64():
    x = np.linspace(-2, 2, 12).reshape(3, 4)
    assert fm.activations.tanh(x).dtype == np.float64
    np.testing.assert_allclose(fm.activations.tanh(x), np.tanh(x), rtol=1e-15)
    assert fm.activations.relu(x.astype(np.float32)).dtype == np.float32
    assert fm.activations.relu([[1, 2]]).dtype == np.float32
    assert fm.ops.softmax(x).dtype == np.float64 and fm.ops.relu(x.astype(np.float32)).dtype == np.float32
    assert fm.losses.mean_squared_error(x, x * 2).dtype == np.float64
    assert fm.losses.MeanSquaredError()(x, x * 2) == pytest.approx(np.mean((x) ** 2), rel=1e-14)
    assert fm.ops.ones((2,)).dtype == np.float32
    fm.config.set_floatx("float64")
    assert fm.ops.ones((2,)).dtype == np.float64 and fm.ops.one_hot([1], 3).dtype == np.float64


def test_wrapper_float64():
    pytest.importorskip("sklearn")
    from fastmlp.wrappers import SKLearnRegressor

    def make(X, y):
        m = fm.Sequential([L.Input((X.shape[1],), dtype="float64"), L.Dense(1, dtype="float64")])
        m.compile("sgd", "mse")
        return m
    x = np.random.default_rng(0).normal(size=(20, 3))
    reg = SKLearnRegressor(make, fit_kwargs={"epochs": 2}).fit(x, x.sum(1))
    assert reg.predict(x).dtype == np.float64


def test_repr_and_core_modules():
    d = L.Dense(2, dtype="float64")
    assert "fastmlp._core.float64.Layer" in repr(d._core) or "float64" in repr(d._core)
    assert fm._core.float64.Sequential is not fm._core.Sequential
    assert isinstance(d._core, fm._core.float64.Dense)
    assert fm._core.float64.registries["layer"].names() == fm._core.registries["layer"].names()
