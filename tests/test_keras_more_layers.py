"""Identity, ActivityRegularization, GaussianDropout, UnitNormalization, Rescaling and the ReLU,
LeakyReLU and ELU layer classes against real Keras 3 (KERAS_BACKEND=torch): outputs on the same
arrays, training step for step against Keras's fit (which checks each backward pass and the activity
penalty), GaussianDropout's noise by its statistics, and every one through .fmlp, pickles, clones,
.keras files both ways and ONNX."""

import pickle

import numpy as np
import pytest

import fastmlp as fm
from conftest import assert_close

L = fm.layers


# Keras's variables and torch emit deprecation notices under NumPy 2 (and Keras warns as it builds).
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")


# (label, class name, arguments): layers that compute the same in training and at inference.
DETERMINISTIC = [
    ("identity", "Identity", {}),
    ("activity_regularization", "ActivityRegularization", {"l1": 0.01, "l2": 0.05}),
    ("unit_normalization", "UnitNormalization", {}),
    ("rescaling", "Rescaling", {"scale": 0.5, "offset": -0.25}),
    ("relu", "ReLU", {}),
    ("relu_capped", "ReLU", {"max_value": 0.6, "negative_slope": 0.1, "threshold": 0.05}),
    ("leaky_relu", "LeakyReLU", {}),
    ("leaky_relu_slope", "LeakyReLU", {"negative_slope": 0.05}),
    ("elu", "ELU", {"alpha": 0.7}),
]


@pytest.mark.parametrize("label, class_name, arguments", DETERMINISTIC, ids=[case[0] for case in DETERMINISTIC])
def test_outputs_and_training_match_keras(keras, rng, label, class_name, arguments):
    x = rng.normal(size=(24, 5)).astype(np.float32)
    y = rng.normal(size=(24, 2)).astype(np.float32)
    ours_layer, theirs_layer = getattr(L, class_name)(**arguments), getattr(keras.layers, class_name)(**arguments)
    assert_close(f"{label} output", ours_layer(x), np.asarray(theirs_layer(x)), rtol=1e-6, atol=1e-7)
    config = ours_layer.get_config()
    assert {k: v for k, v in config.items() if k not in ("name", "trainable", "dtype")} == \
        {k: v for k, v in theirs_layer.get_config().items() if k in config and k not in ("name", "trainable", "dtype")}

    def stack(lib):
        return [lib.layers.Dense(4), getattr(lib.layers, class_name)(**arguments), lib.layers.Dense(2)]
    theirs = keras.Sequential([keras.Input((5,)), *stack(keras)])
    ours = fm.Sequential([L.Input((5,)), *stack(fm)])
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
    for model, lib in ((theirs, keras), (ours, fm)):
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse")
        model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    assert_close(f"{label} weights after training", ours.get_weights(), [np.asarray(w) for w in theirs.get_weights()],
                 rtol=1e-4, atol=1e-5)
    assert ours.evaluate(x, y, verbose=0) == pytest.approx(float(theirs.evaluate(x, y, verbose=0)), rel=1e-5)


def test_unit_normalization_of_a_zero_row_and_its_gradient(rng):
    layer = L.UnitNormalization()
    out = layer(np.array([[0.0, 0.0, 0.0], [3.0, 4.0, 0.0]], np.float32))
    np.testing.assert_allclose(out, [[0, 0, 0], [0.6, 0.8, 0]], atol=1e-7)
    with pytest.raises(ValueError, match="axis"):
        L.UnitNormalization(axis=0)
    # The backward pass against finite differences, in float64.
    x = rng.normal(size=(6, 3))
    model = fm.Sequential([L.Input((3,), dtype="float64"), L.Dense(4, dtype="float64"),
                           L.UnitNormalization(dtype="float64"), L.Dense(1, dtype="float64")])
    model.compile(optimizer=fm.optimizers.SGD(0.0), loss="mse")
    target = rng.normal(size=(6, 1))
    kernel = model.layers[0].kernel
    before = model.get_weights()
    model.train_on_batch(x, target)
    analytic = np.array(dict(model.layers[0]._core.gradients)["kernel"])
    model.set_weights(before)
    numeric = np.zeros_like(kernel)
    for index in np.ndindex(kernel.shape):
        original = kernel[index]
        kernel[index] = original + 1e-6
        up = model.evaluate(x, target, batch_size=6, verbose=0)
        kernel[index] = original - 1e-6
        down = model.evaluate(x, target, batch_size=6, verbose=0)
        kernel[index] = original
        numeric[index] = (up - down) / 2e-6
    assert_close("UnitNormalization gradient", analytic, numeric, rtol=1e-6, atol=1e-9)


def test_gaussian_dropout_multiplies_by_noise_of_keras_variance_in_training_only(keras):
    rate = 0.3
    layer = L.GaussianDropout(rate, seed=4)
    assert layer.get_config()["rate"] == rate and layer.get_config()["seed"] == 4
    assert keras.layers.GaussianDropout(rate, seed=4).get_config()["rate"] == rate
    x = np.full((400, 50), 2.0, np.float32)
    np.testing.assert_array_equal(layer(x), x)  # inference: the identity
    noisy = layer(x, training=True)
    # x * N(1, rate / (1 - rate)): mean 2, standard deviation 2 sqrt(rate / (1 - rate)).
    assert noisy.mean() == pytest.approx(2.0, abs=0.02)
    assert noisy.std() == pytest.approx(2 * np.sqrt(rate / (1 - rate)), rel=0.02)
    for bad in (-0.1, 1.0):
        with pytest.raises(ValueError, match="rate"):
            L.GaussianDropout(bad)
    # Training through it: the weights move, a fixed seed repeats them exactly, and rate 0 is no layer.
    rng = np.random.default_rng(0)
    data, target = rng.normal(size=(32, 4)).astype(np.float32), rng.normal(size=(32, 1)).astype(np.float32)

    def trained(rate, start=None):
        fm.utils.set_random_seed(1)
        model = fm.Sequential([L.Input((4,)), L.Dense(3), *([L.GaussianDropout(rate)] if rate is not None else []),
                               L.Dense(1)])
        if start is not None:
            model.set_weights(start)
        initial = model.get_weights()
        model.compile(optimizer="sgd", loss="mse")
        model.fit(data, target, epochs=2, batch_size=8, shuffle=False, verbose=0)
        return initial, model.get_weights()
    start, first = trained(0.4)
    assert all(np.array_equal(a, b) for a, b in zip(first, trained(0.4)[1]))
    plain = trained(None, start)[1]
    assert all(np.array_equal(a, b) for a, b in zip(trained(0.0, start)[1], plain))
    assert not np.allclose(first[0], plain[0])


def test_rescaling_takes_a_value_per_feature_as_keras_does(keras, rng, tmp_path):
    x = rng.normal(size=(5, 3)).astype(np.float32)
    scale, offset = np.array([0.5, 2.0, -1.0]), np.array([1.0, 0.0, 0.25])
    ours = L.Rescaling(scale, offset=offset)
    expected = np.asarray(keras.layers.Rescaling(scale, offset=offset)(x))
    assert_close("per-feature Rescaling", ours(x), expected, rtol=1e-6, atol=1e-7)
    assert_close("mixed Rescaling", L.Rescaling(2.0, offset=offset)(x), x * 2 + offset, rtol=1e-6, atol=1e-7)
    assert ours.get_config()["scale"] == [0.5, 2.0, -1.0] and ours.get_config()["offset"] == [1.0, 0.0, 0.25]
    with pytest.raises(ValueError, match="Rescaling scale lists 2 values for inputs of 3 features"):
        fm.Sequential([L.Input((3,)), L.Rescaling([1.0, 2.0])])
    # Keras writes the arrays as {"class_name": "__numpy__", ...}; both ways through .keras files.
    theirs = keras.Sequential([keras.Input((3,)), keras.layers.Rescaling(scale, offset=offset), keras.layers.Dense(2)])
    theirs.save(tmp_path / "theirs.keras")
    loaded = fm.models.load_model(tmp_path / "theirs.keras")
    assert_close("Keras's per-feature Rescaling, loaded", loaded.predict(x, verbose=0),
                 np.asarray(theirs.predict(x, verbose=0)), rtol=1e-5, atol=1e-6)
    loaded.save(tmp_path / "ours.keras")
    again = keras.saving.load_model(tmp_path / "ours.keras")
    assert_close("fastmlp's per-feature Rescaling, read by Keras", np.asarray(again.predict(x, verbose=0)),
                 loaded.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_activity_regularization_adds_its_penalty_to_the_loss(rng):
    x = rng.normal(size=(8, 3)).astype(np.float32)
    model = fm.Sequential([L.Input((3,)), L.ActivityRegularization(l1=0.1, l2=0.2), L.Dense(1, use_bias=False)])
    model.layers[1].set_weights([np.zeros((3, 1), np.float32)])
    model.compile(optimizer="sgd", loss="mse")
    # The prediction is 0, so the loss is mean(y²) = 1 plus the penalty, which Keras 3.15 divides by the
    # batch size.
    y = np.ones((8, 1), np.float32)
    expected = 1.0 + (0.1 * np.abs(x).sum() + 0.2 * (x ** 2).sum()) / 8
    assert model.evaluate(x, y, batch_size=8, verbose=0) == pytest.approx(expected, rel=1e-5)


def test_every_new_layer_through_files_pickles_clones_keras_and_onnx(keras, rng, tmp_path):
    x = rng.normal(size=(6, 4)).astype(np.float32)
    layers = [L.Dense(5), L.Rescaling([2.0, 1.0, 0.5, -1.0, 3.0], offset=0.5), L.UnitNormalization(), L.ReLU(max_value=0.5),
              L.GaussianDropout(0.2, seed=3), L.Identity(), L.LeakyReLU(0.2), L.ActivityRegularization(l2=0.01),
              L.ELU(alpha=0.5), L.Dense(2)]
    model = fm.Sequential([L.Input((4,)), *layers])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, rng.normal(size=(6, 2)).astype(np.float32), epochs=1, verbose=0)
    expected = model.predict(x, verbose=0)
    model.save(tmp_path / "m.fmlp")
    clone = fm.models.clone_model(model)
    clone.set_weights(model.get_weights())
    for copy in (fm.models.load_model(tmp_path / "m.fmlp"), pickle.loads(pickle.dumps(model)), clone):
        assert [type(layer).__name__ for layer in copy.layers] == [type(layer).__name__ for layer in model.layers]
        assert copy.get_config() == model.get_config()
        assert copy.predict(x, verbose=0).tobytes() == expected.tobytes()
    model.save(tmp_path / "m.keras")
    read = keras.saving.load_model(tmp_path / "m.keras")
    assert [type(layer).__name__ for layer in read.layers] == [type(layer).__name__ for layer in model.layers]
    assert_close("Keras predicts fastmlp's file", np.asarray(read.predict(x, verbose=0)), expected,
                 rtol=1e-5, atol=1e-6)
    read.save(tmp_path / "back.keras")
    back = fm.models.load_model(tmp_path / "back.keras")
    assert [type(layer).__name__ for layer in back.layers] == [type(layer).__name__ for layer in model.layers]
    assert_close("fastmlp predicts Keras's file", back.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    model.export(tmp_path / "m.onnx")
    session = ort.InferenceSession(str(tmp_path / "m.onnx"))
    onnx_out = session.run(None, {session.get_inputs()[0].name: x})[0]
    assert_close("ONNX runtime", onnx_out, expected, rtol=1e-5, atol=1e-6)
