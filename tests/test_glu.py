"""glu, the one activation that changes the width: Keras's glu(x, axis=-1) = a * sigmoid(b) for the
halves [a, b] of x's last axis, so Dense(8, activation="glu") has 4 outputs. Checked against Keras's
formula, real Keras, finite differences, and through every path a model takes (config, files, ONNX,
torch)."""

import functools
import importlib.util
import warnings

import numpy as np
import pytest

import fastmlp as fm
from conftest import assert_close, layer_gradients, sigmoid
from conftest import numeric_gradients
from fastmlp._interop.errors import UnsupportedLayerError
from interop_fixtures import ATOL, FIXTURES, RTOL, import_keras, keras_data



def glu_reference(z):
    half = z.shape[-1] // 2
    return z[..., :half] * sigmoid(z[..., half:])


def test_function_matches_keras_formula_and_real_keras(rng):
    z = rng.normal(0, 3, (5, 8)).astype(np.float32)
    out = fm.activations.glu(z)
    assert out.shape == (5, 4) and out.dtype == np.float32
    assert_close("glu vs a * sigmoid(b)", out, glu_reference(z.astype(np.float64)), 1e-6, 1e-6)
    assert fm.activations.glu(z[0]).shape == (4,)  # one sample: the last axis halved
    assert fm.activations.glu(z.reshape(5, 2, 4)).shape == (5, 2, 2)
    assert fm.activations.get("glu") is fm.activations.glu and fm.activations.serialize(fm.activations.glu) == "glu"
    keras = import_keras()
    assert_close("glu vs keras.activations.glu", out, np.asarray(keras.activations.glu(z)), 1e-6, 1e-6)


def test_odd_width_is_a_value_error():
    with pytest.raises(ValueError, match="glu splits each row into 2 equal parts.*got 7"):
        fm.activations.glu(np.zeros((2, 7), np.float32))
    with pytest.raises(ValueError, match="Dense units: glu .*multiple of 2; got 7"):
        fm.layers.Dense(7, activation="glu")
    model = fm.Sequential([fm.layers.Input((5,)), fm.layers.Dense(4)])
    with pytest.raises(ValueError, match="glu .*got 5"):
        fm.Sequential([fm.layers.Input((5,)), fm.layers.Activation("glu")])
    with pytest.raises(ValueError, match="glu computes along the last axis .*got axis=0"):
        fm.activations.glu(np.zeros((2, 4), np.float32), axis=0)
    cube = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    with pytest.raises(ValueError, match="got axis=1"):  # not the last axis of a 3-D array
        fm.activations.glu(cube, axis=1)
    with pytest.raises(ValueError, match="got axis=1"):  # it was computed along the last axis instead
        fm.activations.softmax(cube, axis=1)
    np.testing.assert_array_equal(fm.activations.glu(cube, axis=2), fm.activations.glu(cube))
    assert model.output_shape == (None, 4)


def glu_model(seed=3):
    fm.utils.set_random_seed(seed)
    model = fm.Sequential([fm.layers.Input((3,)), fm.layers.Dense(8, activation="glu"), fm.layers.Dense(6),
                           fm.layers.Activation("glu")])
    model.compile(optimizer=fm.optimizers.SGD(learning_rate=0.0), loss="mse")
    return model


def reference_forward(weights, x):
    k1, b1, k2, b2 = (w.astype(np.float64) for w in weights)
    return glu_reference(glu_reference(x @ k1 + b1) @ k2 + b2)


def test_dense_and_activation_layers_halve_the_width(rng):
    model = glu_model()
    dense, _, activation = model.layers
    assert dense.output_shape == (None, 4) and activation.output_shape == (None, 3)
    assert model.output_shape == (None, 3)
    assert [w.shape for w in model.get_weights()] == [(3, 8), (8,), (4, 6), (6,)]  # the kernel keeps units
    assert model.count_params() == 3 * 8 + 8 + 4 * 6 + 6
    x = rng.normal(size=(9, 3)).astype(np.float32)
    assert_close("glu model vs NumPy", model.predict(x, verbose=0), reference_forward(model.get_weights(), x),
                 1e-5, 1e-6)
    assert_close("training-mode forward", np.asarray(model(x, training=True)), model.predict(x, verbose=0), 1e-6, 1e-7)
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "(None, 4)" in text and "(None, 3)" in text


def dense_glu_model(seed=3):
    fm.utils.set_random_seed(seed)
    model = fm.Sequential([fm.layers.Input((3,)), fm.layers.Dense(8, activation="glu"),
                           fm.layers.Dense(6, activation="glu")])
    model.compile(optimizer=fm.optimizers.SGD(learning_rate=0.0), loss="mse")
    return model


def test_backward_matches_derivative_and_finite_differences(rng):
    model = dense_glu_model()
    x = rng.normal(size=(6, 3)).astype(np.float32)
    y = rng.uniform(-1, 1, (6, 3)).astype(np.float32)
    model.train_on_batch(x, y)
    analytic = layer_gradients(model)
    # By hand: dL/dA, then glu's d(a σ(b)) = σ(b) da + a σ(b)(1 - σ(b)) db, through both layers.
    k1, b1, k2, b2 = (w.astype(np.float64) for w in model.get_weights())
    x64 = x.astype(np.float64)

    def glu_backward(z, grad):
        half = z.shape[1] // 2
        a, s = z[:, :half], sigmoid(z[:, half:])
        return np.concatenate([grad * s, grad * a * s * (1 - s)], axis=1)

    z1 = x64 @ k1 + b1
    h = glu_reference(z1)
    z2 = h @ k2 + b2
    out = glu_reference(z2)
    grad_z2 = glu_backward(z2, 2 * (out - y) / out.size)
    grad_z1 = glu_backward(z1, grad_z2 @ k2.T)
    reference = [x64.T @ grad_z1, grad_z1.sum(axis=0), h.T @ grad_z2, grad_z2.sum(axis=0)]
    assert_close("glu gradients vs derivative", analytic, reference, 1e-4, 1e-6)
    assert_close("glu gradients vs finite differences", analytic, numeric_gradients(model, x, y), 1e-2, 3e-4)
    assert max(np.abs(g).max() for g in analytic) > 1e-3


def test_activation_layer_backward_equals_dense_glu(rng):
    # Activation("glu") after a linear Dense is Dense(glu): the same gradients, reaching the first layer.
    fused = dense_glu_model()
    fm.utils.set_random_seed(3)
    apart = fm.Sequential([fm.layers.Input((3,)), fm.layers.Dense(8), fm.layers.Activation("glu"),
                           fm.layers.Dense(6), fm.layers.Activation("glu")])
    apart.compile(optimizer=fm.optimizers.SGD(learning_rate=0.0), loss="mse")
    apart.set_weights(fused.get_weights())
    x = rng.normal(size=(6, 3)).astype(np.float32)
    y = rng.uniform(-1, 1, (6, 3)).astype(np.float32)
    fused.train_on_batch(x, y)
    apart.train_on_batch(x, y)
    assert_close("Activation('glu') vs Dense(glu) gradients", layer_gradients(apart), layer_gradients(fused),
                 1e-5, 1e-7)


def test_fit_trains_and_keeps_no_fused_gradient(rng):
    # A categorical loss after glu: glu never fuses, and the loss falls.
    fm.utils.set_random_seed(5)
    model = fm.Sequential([fm.layers.Input((4,)), fm.layers.Dense(16, activation="glu"), fm.layers.Dense(6),
                           fm.layers.Activation("glu"), fm.layers.Activation("softmax")])
    model.compile(optimizer=fm.optimizers.Adam(0.05), loss="categorical_crossentropy")
    x = rng.normal(size=(64, 4)).astype(np.float32)
    y = fm.utils.to_categorical((x[:, 0] > 0).astype(int) + (x[:, 1] > 0.5), 3)
    history = model.fit(x, y, epochs=15, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.7 * history.history["loss"][0]


def test_config_native_file_and_pickle_round_trip(tmp_path, rng):
    import pickle
    model = glu_model()
    x = rng.normal(size=(4, 3)).astype(np.float32)
    expected = model.predict(x, verbose=0)
    dense_config = model.layers[0].get_config()
    assert dense_config["activation"] == "glu" and dense_config["units"] == 8
    rebuilt = fm.layers.Dense.from_config(dense_config)
    assert rebuilt.get_config() == dense_config
    clone = fm.Sequential.from_config(model.get_config())
    assert clone.output_shape == (None, 3)
    model.save(tmp_path / "glu.fmlp")
    loaded = fm.models.load_model(tmp_path / "glu.fmlp")
    assert loaded.output_shape == (None, 3)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), expected)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(model)).predict(x, verbose=0), expected)
    partial = fm.layers.Dense(4, activation=functools.partial(fm.activations.glu, axis=-1))
    assert partial.get_config()["activation"] == "glu"


def test_keras_fixture_with_glu_loads_and_predicts_as_keras():
    inputs, expected = keras_data("glu")
    for suffix in ("keras", "h5"):
        model = fm.models.load_model(FIXTURES / f"glu.{suffix}")
        assert [shape for shape in model.output_shape] == [(None, 4), (None, 3)]
        assert_close(f"glu.{suffix} vs Keras", model.predict(inputs[0], verbose=0), expected, RTOL, ATOL)


def test_keras_ops_glu_inside_a_network_loads_as_an_activation_layer(tmp_path):
    # keras.ops.glu between two Dense layers: Keras writes an operation node ("Glu"), which knows the
    # halved width; fastmlp reads it as Activation("glu").
    inputs, expected = keras_data("glu_op")
    for suffix in ("keras", "h5"):
        model = fm.models.load_model(FIXTURES / f"glu_op.{suffix}")
        assert [type(layer).__name__ for layer in model.layers[1:]] == ["Dense", "Activation", "Dense"]
        assert model.layers[2].output_shape == (None, 4)
        assert_close(f"glu_op.{suffix} vs Keras", model.predict(inputs[0], verbose=0), expected, RTOL, ATOL)
    # Written back, glu is an Activation layer whose output Keras 3.15 would size wrongly: a warning says
    # so, and fastmlp reads the file back to the same predictions.
    with pytest.warns(UserWarning, match="layer 'glu' gates with glu and layer 'out' depends on its width.*keras-team/keras#21695"):
        model.save(tmp_path / "again.keras")
    again = fm.models.load_model(tmp_path / "again.keras")
    np.testing.assert_array_equal(again.predict(inputs[0], verbose=0), model.predict(inputs[0], verbose=0))


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")  # Keras's predict on NumPy 2
def test_saved_keras_file_loads_in_real_keras(tmp_path, rng):
    keras = import_keras()
    # glu where Keras 3.15 runs it: at the outputs (its layers report the unhalved width onwards).
    fm.utils.set_random_seed(2)
    inputs = fm.layers.Input((5,))
    hidden = fm.layers.Dense(6, activation="tanh")(inputs)
    model = fm.Model(inputs, [fm.layers.Dense(8, activation="glu")(hidden), fm.layers.Activation("glu")(hidden)])
    x = rng.normal(size=(5, 5)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # glu only at outputs: Keras runs it, and no warning says otherwise
        model.save(tmp_path / "glu.keras")
    theirs = keras.models.load_model(tmp_path / "glu.keras")
    assert_close("fastmlp's glu.keras in Keras", [np.asarray(y) for y in theirs.predict(x, verbose=0)],
                 model.predict(x, verbose=0), RTOL, ATOL)


def test_onnx_export_matches_onnxruntime(tmp_path, rng):
    pytest.importorskip("onnx")
    onnxruntime = pytest.importorskip("onnxruntime")
    model = glu_model()
    model.export(tmp_path / "glu.onnx", format="onnx")
    session = onnxruntime.InferenceSession(str(tmp_path / "glu.onnx"), providers=["CPUExecutionProvider"])
    x = rng.normal(size=(7, 3)).astype(np.float32)
    (theirs,) = session.run(None, {session.get_inputs()[0].name: x})
    assert theirs.shape == (7, 3)
    assert_close("glu through onnxruntime", theirs, model.predict(x, verbose=0), RTOL, ATOL)


def test_from_torch_glu(rng):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.GLU(), torch.nn.Linear(4, 6), torch.nn.GLU(dim=1))
    x = rng.normal(size=(6, 5)).astype(np.float32)
    t = torch.from_numpy(x[:2, :4].copy())  # torch's convention: the first half gated by the second
    np.testing.assert_allclose(torch.nn.GLU()(t).numpy(), fm.activations.glu(x[:2, :4]), rtol=1e-6, atol=1e-7)
    model = fm.models.from_torch(module)
    assert model.output_shape == (None, 3)
    with torch.no_grad():
        expected = module(torch.from_numpy(x)).numpy()
    assert_close("from_torch nn.GLU", model.predict(x, verbose=0), expected, RTOL, ATOL)
    with pytest.raises(ValueError, match="odd"):
        fm.models.from_torch(torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.GLU()))
    with pytest.raises(UnsupportedLayerError, match="dim=0"):
        fm.models.from_torch(torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.GLU(dim=0)))


@pytest.mark.skipif(importlib.util.find_spec("h5py") is None, reason="h5py is absent")
def test_keras_file_with_odd_glu_width_is_a_clear_error(tmp_path):
    import json
    import zipfile
    source = FIXTURES / "glu.keras"
    target = tmp_path / "odd.keras"
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "config.json":
                text = json.loads(data)
                for layer in text["config"]["layers"]:
                    if layer["class_name"] == "Dense" and layer["config"]["name"] == "hidden":
                        layer["config"]["units"] = 7
                data = json.dumps(text).encode()
            zout.writestr(item, data)
    with pytest.raises(ValueError, match="odd|multiple of 2"):
        fm.models.load_model(target)


@pytest.mark.parametrize("layer, message", [(0, "Dense units: glu .*got 3"), (1, "glu .*got 3")])
def test_model_file_with_odd_glu_width_is_a_model_file_error(tmp_path, layer, message):
    from test_hostile_files import rewrite
    path = tmp_path / "odd.fmlp"
    fm.Sequential([fm.layers.Input((2,)), fm.layers.Dense(3), fm.layers.Activation("relu")]).save(path)
    rewrite(path, lambda header: header["model"]["config"]["layers"][layer]["config"].__setitem__("activation", "glu"))
    with pytest.raises(fm.saving.ModelFileError, match=message):
        fm.models.load_model(path)
