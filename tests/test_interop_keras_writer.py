"""Writing .keras files: read -> write -> read gives the same graph, and real Keras loads what was written
and predicts what the graph predicts (when Keras is installed)."""

import json
import zipfile

import numpy as np
import pytest
from conftest import assert_close
from interop_fixtures import ATOL, FIXTURES, MODELS, RTOL, as_list, import_keras, keras_data, model_inputs

pytest.importorskip("h5py")

from fastmlp._interop import fastmlp_models, keras_archive, keras_files, layer_catalog  # noqa: E402
from fastmlp._interop.graph import LayerNode, ModelGraph, TensorRef, sequential  # noqa: E402


def _assert_same_graph(first, second):
    assert [(n.class_name, n.name, n.inbound) for n in first.layers] == \
        [(n.class_name, n.name, n.inbound) for n in second.layers]
    for a, b in zip(first.layers, second.layers):
        assert a.config == b.config, a.name
        assert list(a.weights) == list(b.weights), a.name
        for key in a.weights:
            np.testing.assert_array_equal(a.weights[key], b.weights[key])
    assert (first.inputs, first.outputs, first.input_keys, first.output_keys, first.kind, first.name) == \
        (second.inputs, second.outputs, second.input_keys, second.output_keys, second.kind, second.name)
    assert (first.compile is None) == (second.compile is None)
    if first.compile is not None:
        assert (first.compile.loss, first.compile.metrics) == (second.compile.loss, second.compile.metrics)
        assert first.compile.optimizer.config == second.compile.optimizer.config
        assert list(first.compile.optimizer.variables) == list(second.compile.optimizer.variables)
        for key, value in first.compile.optimizer.variables.items():
            np.testing.assert_array_equal(value, second.compile.optimizer.variables[key])


@pytest.mark.parametrize("name", MODELS)
def test_read_write_read_is_the_identity(tmp_path, name):
    graph = keras_files.read_keras_file(FIXTURES / f"{name}.keras")
    keras_archive.write_keras(graph, tmp_path / "copy.keras")
    _assert_same_graph(graph, keras_files.read_keras_file(tmp_path / "copy.keras"))


def test_legacy_h5_converts_to_keras_archive(tmp_path):
    graph = keras_files.read_keras_file(FIXTURES / "compiled_adam.h5")
    keras_archive.write_keras(graph, tmp_path / "converted.keras")
    _assert_same_graph(graph, keras_files.read_keras_file(tmp_path / "converted.keras"))
    _assert_same_graph(graph, keras_files.read_keras_file(FIXTURES / "compiled_adam.keras"))


# Keras on torch with NumPy 2 warns about __array__ inside predict: its business, not the test's.
KERAS_WARNINGS = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")


@KERAS_WARNINGS
@pytest.mark.parametrize("name", MODELS)
def test_keras_loads_what_was_written_and_predicts_the_same(tmp_path, name):
    keras = import_keras()
    graph = keras_files.read_keras_file(FIXTURES / f"{name}.keras")
    path = tmp_path / "written.keras"
    keras_archive.write_keras(graph, path)
    model = keras.saving.load_model(path)
    inputs, expected = keras_data(name)
    feed = dict(zip(graph.input_keys, inputs)) if graph.input_keys else model_inputs(inputs)
    predicted = model.predict(feed, verbose=0)
    if isinstance(predicted, dict):  # Keras may reorder a dict's keys
        predicted = [predicted[key] for key in graph.output_keys]
    assert_close(f"{name}: Keras on the written file vs Keras on the original", as_list(predicted), expected,
                 RTOL, ATOL)
    if graph.compile is not None:
        # The optimizer's state arrives in Keras's own variables, in Keras's order.
        keras_values = [np.asarray(v.numpy()) for v in model.optimizer.variables]
        ours = list(graph.compile.optimizer.variables.values())
        assert len(keras_values) == len(ours)
        for expected, value in zip(ours, keras_values):
            np.testing.assert_array_equal(value, expected)


@KERAS_WARNINGS
def test_keras_order_decides_weight_slots(tmp_path):
    # Two Dense layers at the same depth in different branches: a writer that followed the graph's
    # listing order instead of Keras's would give each the other's kernel (shapes differ here, so
    # Keras would refuse the file; equal shapes would silently swap them).
    keras = import_keras()
    rng = np.random.default_rng(0)
    x = LayerNode("InputLayer", layer_catalog.make_config("InputLayer", "x", batch_shape=[None, 3]))
    right = LayerNode("Dense", layer_catalog.make_config("Dense", "right", units=2), [TensorRef("x")],
                      {"kernel": rng.normal(size=(3, 2)).astype("float32"), "bias": np.zeros(2, "float32")})
    left = LayerNode("Dense", layer_catalog.make_config("Dense", "left", units=4), [TensorRef("x")],
                     {"kernel": rng.normal(size=(3, 4)).astype("float32"), "bias": np.ones(4, "float32")})
    join = LayerNode("Concatenate", layer_catalog.make_config("Concatenate", "join"),
                     [TensorRef("left"), TensorRef("right")])
    graph = ModelGraph([x, right, left, join], [TensorRef("x")], [TensorRef("join")], name="branches").validate()
    assert [n.name for n in graph.keras_order()] == ["x", "left", "right", "join"]
    keras_archive.write_keras(graph, tmp_path / "branches.keras")
    model = keras.saving.load_model(tmp_path / "branches.keras")
    data = rng.normal(size=(5, 3)).astype("float32")
    assert_close("branches", model.predict(data, verbose=0),
                 fastmlp_models.model_from_graph(graph).predict(data, verbose=0), RTOL, ATOL)


def test_written_archive_layout(tmp_path):
    graph = keras_files.read_keras_file(FIXTURES / "sequential.keras")
    keras_archive.write_keras(graph, tmp_path / "s.keras")
    with zipfile.ZipFile(tmp_path / "s.keras") as archive:
        assert sorted(archive.namelist()) == ["config.json", "metadata.json", "model.weights.h5"]
        config = json.loads(archive.read("config.json"))
    assert config["class_name"] == "Sequential"
    assert [entry["class_name"] for entry in config["config"]["layers"]][:3] == ["InputLayer", "Flatten",
                                                                                 "Normalization"]
    assert [slot for _, slot in keras_archive.weight_slots(graph)][:4] == [
        "layers/flatten", "layers/normalization", "layers/dense", "layers/dropout"]


def test_snake_case_matches_keras_paths():
    assert keras_archive.snake_case("BatchNormalization") == "batch_normalization"
    assert keras_archive.snake_case("PReLU") == "p_re_lu"
    assert keras_archive.snake_case("InputLayer") == "input_layer"
    assert keras_archive.snake_case("ELU") == "elu"
    assert keras_archive.snake_case("LeakyReLU") == "leaky_re_lu"


def test_parameterised_activation_that_keras_cannot_name_is_refused(tmp_path):
    layers = [("InputLayer", layer_catalog.make_config("InputLayer", "x", batch_shape=[None, 2]), {}),
              ("Activation", layer_catalog.make_config(
                  "Activation", "act", activation={"class_name": "gelu", "config": {"approximate": True}}), {})]
    graph = sequential(layers)
    with pytest.raises(ValueError, match="gelu with parameters"):
        keras_archive.write_keras(graph, tmp_path / "g.keras")
    assert not (tmp_path / "g.keras").exists()
    layers[1] = ("Activation", layer_catalog.make_config(
        "Activation", "act", activation={"class_name": "leaky_relu", "config": {"negative_slope": 0.1}}), {})
    with pytest.raises(ValueError, match="use a Keras LeakyReLU layer"):
        keras_archive.write_keras(sequential(layers), tmp_path / "l.keras")
    # Defaults spelt out are fine: Keras's bare name means the same function.
    layers[1] = ("Activation", layer_catalog.make_config(
        "Activation", "act", activation={"class_name": "leaky_relu", "config": {"negative_slope": 0.2}}), {})
    keras_archive.write_keras(sequential(layers), tmp_path / "ok.keras")


def test_weights_that_do_not_fit_are_refused_before_writing(tmp_path):
    layers = [("InputLayer", layer_catalog.make_config("InputLayer", "x", batch_shape=[None, 2]), {}),
              ("Dense", layer_catalog.make_config("Dense", "d", units=3),
               {"kernel": np.zeros((3, 3), "float32"), "bias": np.zeros(3, "float32")})]
    with pytest.raises(ValueError, match="kernel has 3 rows but its input has 2"):
        keras_archive.write_keras(sequential(layers), tmp_path / "bad.keras")
    assert not (tmp_path / "bad.keras").exists()


# ---- model.save("m.keras") -------------------------------------------------------------------------------
import fastmlp  # noqa: E402


def _trained_compiled_model():
    """The compiled fixture, trained on in fastmlp for two more steps."""
    model = fastmlp.models.load_model(FIXTURES / "compiled_adam.keras")
    rng = np.random.default_rng(6)
    x = rng.normal(size=(16, 4)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 16)]
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    return model, x, y


def test_save_keras_round_trip_keeps_weights_and_optimizer_state(tmp_path):
    model, x, y = _trained_compiled_model()
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        assert sorted(archive.namelist()) == ["config.json", "metadata.json", "model.weights.h5"]
    loaded = fastmlp.models.load_model(tmp_path / "m.keras")
    assert type(loaded) is fastmlp.Sequential and loaded.optimizer.iterations == 6
    for ours, theirs in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(ours, theirs)
    for index in range(len(model._core.optimizer_parameters)):
        for ours, theirs in zip(model._core.optimizer.slots(index), loaded._core.optimizer.slots(index)):
            np.testing.assert_array_equal(ours, theirs)
    # Training on from the file is training on from the model.
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    loaded.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    assert_close("fit after the round trip", loaded.get_weights(), model.get_weights(), 1e-6, 1e-6)


@pytest.mark.parametrize("name", [name for name in MODELS if name != "activations"])
def test_save_keras_then_load_predicts_the_same(tmp_path, name):
    model = fastmlp.models.load_model(FIXTURES / f"{name}.keras")
    model.save(tmp_path / "again.keras")
    inputs, expected = keras_data(name)
    again = fastmlp.models.load_model(tmp_path / "again.keras")
    assert [layer.name for layer in again.layers] == [layer.name for layer in model.layers]
    assert_close(name, as_list(again.predict(model_inputs(inputs), verbose=0)), expected, RTOL, ATOL)


@KERAS_WARNINGS
def test_keras_loads_a_fastmlp_model_and_trains_on_alike(tmp_path):
    keras = import_keras()
    model, x, y = _trained_compiled_model()
    model.save(tmp_path / "m.keras")
    theirs = keras.saving.load_model(tmp_path / "m.keras")
    assert_close("Keras on fastmlp's file", theirs.predict(x, verbose=0), model.predict(x, verbose=0), RTOL, ATOL)
    assert int(theirs.optimizer.iterations) == 6
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    theirs.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    assert_close("fit in Keras and fastmlp", [np.asarray(w) for w in theirs.get_weights()], model.get_weights(),
                 RTOL, ATOL)


@KERAS_WARNINGS
def test_keras_loads_fastmlp_models_of_every_layer(tmp_path):
    keras = import_keras()
    layers = fastmlp.layers
    inputs = fastmlp.Input((6,), name="features")
    other = fastmlp.Input((3,), name="extra")
    h = layers.Dense(8, activation="gelu")(inputs)
    h = layers.BatchNormalization()(layers.AlphaDropout(0.1)(layers.Dropout(0.2)(h)))
    h = layers.PReLU()(layers.LayerNormalization()(h))
    h = layers.Activation({"class_name": "relu", "config": {"max_value": 2.0}})(layers.GaussianNoise(0.1)(h))
    h = layers.Activation({"class_name": "leaky_relu", "config": {"negative_slope": 0.1}})(h)
    h = layers.Activation({"class_name": "elu", "config": {"alpha": 0.5}})(h)
    mixed = [layers.Dense(3, activation="selu")(h), layers.Dense(3, activation="mish")(h), other]
    merged = [layers.Add()(mixed), layers.Subtract()(mixed[:2]), layers.Multiply()(mixed), layers.Average()(mixed),
              layers.Maximum()(mixed), layers.Minimum()(mixed)]
    joined = layers.Concatenate()(merged)
    out = layers.Softmax()(layers.Dense(4, activation="softsign")(joined))
    side = layers.Dense(2, activation="silu")(layers.Normalization(mean=[0.5] * 18, variance=[2.0] * 18)(joined))
    model = fastmlp.Model([inputs, other], [out, side], name="every_layer")
    rng = np.random.default_rng(3)
    x = [rng.normal(size=(10, 6)).astype(np.float32), rng.normal(size=(10, 3)).astype(np.float32)]
    model.save(tmp_path / "every.keras")
    theirs = keras.saving.load_model(tmp_path / "every.keras")
    assert_close("Keras on every layer", as_list(theirs.predict(x, verbose=0)), as_list(model.predict(x, verbose=0)),
                 RTOL, ATOL)


def test_what_a_keras_file_cannot_hold_is_refused(tmp_path):
    inputs = fastmlp.Input((4,))
    shared = fastmlp.layers.Dense(4)
    twice = fastmlp.Model(inputs, shared(shared(inputs)))
    with pytest.raises(ValueError, match="called more than once"):
        twice.save(tmp_path / "shared.keras")
    inner = fastmlp.Sequential([fastmlp.Input((4,)), fastmlp.layers.Dense(2)])
    nested = fastmlp.Model(inputs, inner(inputs))
    with pytest.raises(ValueError, match="model used as a layer"):
        nested.save(tmp_path / "nested.keras")
    approximate = fastmlp.Sequential([fastmlp.Input((4,)), fastmlp.layers.Dense(
        2, activation={"class_name": "gelu", "config": {"approximate": True}})])
    with pytest.raises(ValueError, match="gelu with parameters"):
        approximate.save(tmp_path / "gelu.keras")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


OPTIMIZERS = [("SGD", {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True}), ("SGD", {"learning_rate": 0.05}),
              ("RMSprop", {"learning_rate": 0.01, "momentum": 0.5, "centered": True}), ("Adam", {"amsgrad": True}),
              ("AdamW", {"learning_rate": 0.01}), ("Adamax", {}), ("Nadam", {}), ("Adagrad", {}),
              ("Adadelta", {"learning_rate": 1.0}), ("Lion", {})]


@KERAS_WARNINGS
@pytest.mark.parametrize("class_name,config", OPTIMIZERS, ids=lambda v: str(v))
def test_every_optimizer_state_crosses_both_ways(tmp_path, class_name, config):
    # Keras trains, fastmlp loads and trains on; fastmlp saves, Keras loads and trains on: both alike.
    keras = import_keras()
    rng = np.random.default_rng(12)
    x = rng.normal(size=(16, 4)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 16)]
    keras.utils.set_random_seed(2)
    theirs = keras.Sequential([keras.Input((4,)), keras.layers.Dense(5, activation="tanh"),
                               keras.layers.Dense(3, activation="softmax")])
    theirs.compile(optimizer=getattr(keras.optimizers, class_name)(**config), loss="categorical_crossentropy")
    theirs.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    theirs.save(tmp_path / "keras.keras")
    ours = fastmlp.models.load_model(tmp_path / "keras.keras")
    for model in (ours, theirs):
        model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    assert_close(f"{class_name}: Keras -> fastmlp, trained on", ours.get_weights(),
                 [np.asarray(w) for w in theirs.get_weights()], RTOL, ATOL)
    ours.save(tmp_path / "fastmlp.keras")
    back = keras.saving.load_model(tmp_path / "fastmlp.keras")
    for model in (ours, back):
        model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    assert int(back.optimizer.iterations) == ours.optimizer.iterations == 6
    assert_close(f"{class_name}: fastmlp -> Keras, trained on", [np.asarray(w) for w in back.get_weights()],
                 ours.get_weights(), RTOL, ATOL)


@KERAS_WARNINGS
def test_regularizers_cross_both_ways(tmp_path):
    keras = import_keras()
    ours = fastmlp.Sequential([fastmlp.Input((4,)), fastmlp.layers.Dense(
        3, kernel_regularizer=fastmlp.regularizers.L2(0.01), bias_regularizer="l1"),
        fastmlp.layers.PReLU(alpha_regularizer=fastmlp.regularizers.L1L2(0.1, 0.2))])
    ours.compile("adam", "mse")
    rng = np.random.default_rng(13)
    x, y = rng.random((16, 4), dtype=np.float32), rng.random((16, 3), dtype=np.float32)
    ours.fit(x, y, verbose=0)
    ours.save(tmp_path / "r.keras")
    theirs = keras.saving.load_model(tmp_path / "r.keras")
    assert theirs.layers[1].alpha_regularizer.get_config() == pytest.approx({"l1": 0.1, "l2": 0.2})
    # The loss holds the penalties: equal losses mean equal regularizers.
    assert theirs.evaluate(x, y, verbose=0) == pytest.approx(ours.evaluate(x, y, verbose=0), rel=1e-5)
    again = fastmlp.models.load_model(tmp_path / "r.keras")
    assert again.evaluate(x, y, verbose=0) == pytest.approx(ours.evaluate(x, y, verbose=0), rel=1e-6)


@KERAS_WARNINGS
def test_loss_and_metric_objects_cross_both_ways(tmp_path):
    keras = import_keras()
    theirs = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
    theirs.compile("sgd", loss=keras.losses.BinaryCrossentropy(label_smoothing=0.1),
                   metrics=[keras.metrics.AUC(), "accuracy", keras.metrics.Precision(name="prec")])
    theirs.save(tmp_path / "k.keras")
    ours = fastmlp.models.load_model(tmp_path / "k.keras")
    assert ours.loss.get_config()["label_smoothing"] == pytest.approx(0.1)
    rng = np.random.default_rng(14)
    x, y = rng.random((32, 4), dtype=np.float32), (rng.random((32, 1)) > 0.5).astype(np.float32)
    expected = theirs.evaluate(x, y, verbose=0, return_dict=True)
    ours.save(tmp_path / "f.keras")
    back = keras.saving.load_model(tmp_path / "f.keras")
    for name, logs in (("fastmlp", ours.evaluate(x, y, verbose=0, return_dict=True)),
                       ("Keras on fastmlp's file", back.evaluate(x, y, verbose=0, return_dict=True))):
        assert logs.keys() == expected.keys(), name
        for key in expected:
            assert logs[key] == pytest.approx(expected[key], rel=1e-5), (name, key)


def test_files_are_written_whole_or_not_at_all(tmp_path):
    pytest.importorskip("onnx")
    model = fastmlp.models.load_model(FIXTURES / "functional_mlp.keras")
    for name, write in (("m.keras", model.save), ("m.onnx", model.export)):
        with pytest.raises(fastmlp.saving.ModelFileError, match="cannot save model file .*no_such_directory"):
            write(tmp_path / "no_such_directory" / name)
        write(tmp_path / name)
        before = (tmp_path / name).read_bytes()
        inputs = fastmlp.Input((4,))
        shared = fastmlp.layers.Dense(4)
        with pytest.raises(ValueError, match="called more than once"):  # refused before anything is written
            getattr(fastmlp.Model(inputs, shared(shared(inputs))), write.__name__)(tmp_path / name)
        assert (tmp_path / name).read_bytes() == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["m.keras", "m.onnx"]  # no temporary left
