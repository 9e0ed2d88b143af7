"""The serialization registry (register_keras_serializable, custom_object_scope, serialize/deserialize
_keras_object) and model.to_json / model_from_json, checked against real Keras 3 both ways."""

import json
import threading

import numpy as np
import pytest
from interop_fixtures import import_keras

import fastmlp as fm
from fastmlp import layers, saving

# Keras on torch 2.13 converts tensors through an __array__ that NumPy 2 warns about.
KERAS = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")


@pytest.fixture
def clean_registry():
    before = dict(saving.get_custom_objects())
    names = dict(saving._GLOBAL_CUSTOM_NAMES)
    yield
    saving.get_custom_objects().clear()
    saving.get_custom_objects().update(before)
    saving._GLOBAL_CUSTOM_NAMES.clear()
    saving._GLOBAL_CUSTOM_NAMES.update(names)


class Scaler:
    """A user's object with a config, as Keras's guide registers one."""

    def __init__(self, factor=1.0):
        self.factor = factor

    def get_config(self):
        return {"factor": self.factor}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@KERAS
def test_register_and_look_up_as_keras_does(clean_registry):
    keras = import_keras()
    ours = saving.register_keras_serializable(package="my_package")(Scaler)
    assert ours is Scaler and Scaler._registered_name == "my_package>Scaler"
    assert saving.get_registered_name(Scaler) == "my_package>Scaler"
    assert saving.get_registered_object("my_package>Scaler") is Scaler
    assert saving.get_custom_objects()["my_package>Scaler"] is Scaler
    assert saving.get_registered_name(np.mean) == "mean"  # unregistered: its own name, as Keras

    def double(x):
        return 2 * x

    saving.register_keras_serializable(name="twice")(double)
    assert saving.get_registered_name(double) == "Custom>twice"

    class NoConfig:
        pass

    with pytest.raises(ValueError, match="get_config"):
        saving.register_keras_serializable()(NoConfig)
    with pytest.raises(ValueError, match="get_config"):
        keras.saving.register_keras_serializable()(NoConfig)
    # Registering again (a notebook cell run twice) replaces the object, as Keras 3 does.
    saving.register_keras_serializable(package="my_package", name="Scaler")(Scaler)
    keras.saving.register_keras_serializable(package="fastmlp_test", name="Scaler")(Scaler)
    keras.saving.register_keras_serializable(package="fastmlp_test", name="Scaler")(Scaler)
    # The serialized form of a registered object, field for field as Keras writes it.
    expected = keras.saving.serialize_keras_object(Scaler(2.5))
    got = saving.serialize_keras_object(Scaler(2.5))
    assert got == {**expected, "registered_name": "my_package>Scaler"}
    back = saving.deserialize_keras_object(got)
    assert isinstance(back, Scaler) and back.factor == 2.5
    assert saving.serialize_keras_object(double) == keras.saving.serialize_keras_object(
        keras.saving.register_keras_serializable(name="twice")(double))
    assert saving.deserialize_keras_object(saving.serialize_keras_object(double)) is double


def test_custom_object_scope_is_scoped_and_per_thread():
    config = {"module": "somewhere", "class_name": "Scaler", "config": {"factor": 3.0}, "registered_name": "x>Scaler"}
    with pytest.raises(TypeError, match="register_keras_serializable"):
        saving.deserialize_keras_object(config)
    seen = {}
    with saving.custom_object_scope({"x>Scaler": Scaler}) as scope:
        assert isinstance(scope, saving.CustomObjectScope)
        assert saving.deserialize_keras_object(config).factor == 3.0
        with saving.CustomObjectScope({"other": len}):  # nested: adds to the outer scope
            assert saving.get_registered_object("x>Scaler") is Scaler
            assert saving.get_registered_object("other") is len
        assert saving.get_registered_object("other") is None
        thread = threading.Thread(target=lambda: seen.update(found=saving.get_registered_object("x>Scaler")))
        thread.start()
        thread.join()
    assert seen == {"found": None}  # another thread does not see this thread's scope
    assert saving.get_registered_object("x>Scaler") is None
    assert saving.deserialize_keras_object(config, custom_objects={"Scaler": Scaler}).factor == 3.0
    # A module named in a config is never imported: an unknown class is an error, not an import.
    with pytest.raises(TypeError, match="Could not locate class"):
        saving.deserialize_keras_object({"module": "os", "class_name": "system", "config": {}, "registered_name": None})
    with pytest.raises(ValueError, match="lambda"):
        saving.deserialize_keras_object({"class_name": "__lambda__", "config": {"value": "..."}})


@KERAS
def test_builtin_objects_serialize_as_keras_and_read_both_ways():
    keras = import_keras()
    pairs = [
        (fm.losses.MeanSquaredError(), keras.losses.MeanSquaredError()),
        (fm.losses.BinaryCrossentropy(from_logits=True), keras.losses.BinaryCrossentropy(from_logits=True)),
        (fm.metrics.Precision(thresholds=0.3), keras.metrics.Precision(thresholds=0.3)),
        (fm.initializers.GlorotUniform(seed=4), keras.initializers.GlorotUniform(seed=4)),
        (fm.regularizers.L2(0.1), keras.regularizers.L2(0.1)),
        (fm.optimizers.Adam(learning_rate=0.01), keras.optimizers.Adam(learning_rate=0.01)),
        (fm.optimizers.SGD(momentum=0.9), keras.optimizers.SGD(momentum=0.9)),
        (layers.Dense(3, activation="relu", name="d"), keras.layers.Dense(3, activation="relu", name="d")),
    ]
    for ours, theirs in pairs:
        label = type(ours).__name__
        ours_config = saving.serialize_keras_object(ours)
        theirs_config = keras.saving.serialize_keras_object(theirs)
        assert ours_config["class_name"] == theirs_config["class_name"], label
        assert ours_config["module"].startswith("keras."), label
        # Keras reads fastmlp's form back into the same object, and fastmlp reads Keras's.
        from_ours = keras.saving.deserialize_keras_object(json.loads(json.dumps(ours_config)))
        assert type(from_ours) is type(theirs), label
        from_theirs = saving.deserialize_keras_object(json.loads(json.dumps(theirs_config)))
        assert type(from_theirs) is type(ours), label
        # Every option both sides have survives the trip (learning_rate as float32 in Keras).
        shared = [key for key, value in ours.get_config().items()
                  if key in theirs.get_config() and not isinstance(value, dict) and key != "dtype"]
        assert len(shared) >= 1, label
        for key in shared:
            assert from_theirs.get_config()[key] == pytest.approx(theirs.get_config()[key]), f"{label}.{key}"
            assert from_ours.get_config()[key] == pytest.approx(ours.get_config()[key]), f"{label}.{key} in Keras"
    assert saving.serialize_keras_object(fm.activations.relu) == keras.saving.serialize_keras_object(
        keras.activations.relu)
    assert saving.deserialize_keras_object(keras.saving.serialize_keras_object(keras.activations.relu)) is \
        fm.activations.relu
    assert saving.serialize_keras_object([1, "a", None, (2.0,)]) == [1, "a", None, (2.0,)]
    array = saving.serialize_keras_object(np.arange(3.0))
    np.testing.assert_array_equal(saving.deserialize_keras_object(array), np.arange(3.0))


def _fastmlp_models():
    fm.utils.set_random_seed(5)
    sequential = fm.Sequential([fm.Input((4,)), layers.Dense(8, activation="relu", name="hidden"),
                                layers.Dropout(0.2), layers.Dense(2, activation="softmax", name="out")], name="seq")
    inputs = fm.Input((4,), name="x")
    hidden = layers.Dense(6, activation="tanh", name="h")(inputs)
    outputs = layers.Dense(1, name="y")(layers.Concatenate()([hidden, inputs]))
    return [sequential, fm.Model(inputs, outputs, name="func")]


@KERAS
def test_to_json_reads_in_keras_and_back():
    keras = import_keras()
    x = np.random.default_rng(1).normal(size=(5, 4)).astype(np.float32)
    for model in _fastmlp_models():
        text = model.to_json()
        serialized = json.loads(text)
        assert set(serialized) >= {"module", "class_name", "config", "registered_name"}
        assert json.loads(model.to_json(indent=2)) == serialized  # kwargs go to json.dumps
        theirs = keras.models.model_from_json(text)
        assert [layer.name for layer in theirs.layers] == [layer.name for layer in model.layers]
        # What Keras writes for the same model: the same keys, and each layer under the same locators.
        keras_json = json.loads(theirs.to_json())
        assert set(serialized) == set(keras_json)
        assert [(e["module"], e["class_name"], e["registered_name"], e.get("inbound_nodes"))
                for e in serialized["config"]["layers"]] == \
            [(e["module"], e["class_name"], e["registered_name"], e.get("inbound_nodes"))
             for e in keras_json["config"]["layers"]]
        theirs.set_weights(model.get_weights())
        np.testing.assert_allclose(theirs.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
        ours = fm.models.model_from_json(text)
        assert type(ours) is type(model) and [layer.name for layer in ours.layers] == \
            [layer.name for layer in model.layers]
        ours.set_weights(model.get_weights())
        np.testing.assert_allclose(ours.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
        # Keras's own JSON of the same architecture reads into fastmlp.
        back = fm.models.model_from_json(theirs.to_json())
        back.set_weights(model.get_weights())
        np.testing.assert_allclose(back.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    # A compiled model's JSON holds its compile_config, which both sides compile from, as Keras does.
    model = _fastmlp_models()[0]
    model.compile(fm.optimizers.Adam(0.01), "categorical_crossentropy", metrics=["accuracy"])
    text = model.to_json()
    ours, theirs = fm.models.model_from_json(text), keras.models.model_from_json(text)
    assert (type(ours.optimizer).__name__, ours.loss) == ("Adam", "categorical_crossentropy")
    assert type(theirs.optimizer).__name__ == "Adam" and theirs.loss == "categorical_crossentropy"
    assert float(ours.optimizer.learning_rate) == pytest.approx(float(theirs.optimizer.learning_rate))
    k_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    k_model.compile("sgd", "mse", metrics=["mae"])
    ours = fm.models.model_from_json(k_model.to_json())
    assert (type(ours.optimizer).__name__, ours.loss, [m.name for m in ours.compiled_metrics]) == ("SGD", "mse", ["mae"])
    for bad in ("{", "[1, 2]", '{"class_name": "Nope", "config": {}}'):
        with pytest.raises((ValueError, TypeError)):
            fm.models.model_from_json(bad)


def test_custom_objects_reach_layer_lookups(clean_registry):
    # A user's subclass of a built-in layer, registered or given as custom_objects, is found by the
    # loaders' lookups (layers.deserialize, Sequential.from_config, model_from_config).
    class ScaledDense(layers.Dense):
        pass

    ScaledDense.__module__ = "user_code"
    entry = {"class_name": "ScaledDense", "config": layers.Dense(3, name="sd").get_config()}
    with pytest.raises(ValueError, match="custom_objects"):
        layers.deserialize(entry)
    made = layers.deserialize(entry, custom_objects={"ScaledDense": ScaledDense})
    assert type(made) is ScaledDense and made.name == "sd"
    config = {"name": "m", "layers": [{"class_name": "InputLayer", "config": {"batch_shape": [None, 2]}}, entry]}
    model = fm.Sequential.from_config(config, custom_objects={"ScaledDense": ScaledDense})
    assert type(model.layers[0]) is ScaledDense
    saving.register_keras_serializable("pkg")(ScaledDense)
    registered = {**entry, "registered_name": "pkg>ScaledDense"}
    assert type(layers.deserialize(registered)) is ScaledDense
    model = fm.models.model_from_config({"class_name": "Sequential", "config": {**config, "layers": [
        config["layers"][0], registered]}})
    assert type(model.layers[0]) is ScaledDense


def test_bad_configs_are_clear_errors():
    cases = [({"class_name": 5, "config": {}}, TypeError, "string"),
             ({"class_name": "Dense", "config": "x"}, TypeError, "must be a dict"),
             ({"class_name": "function", "config": "no_such_function"}, TypeError, "Could not locate function"),
             ({"class_name": "Dense", "config": {"units": -1, "name": "a"}}, ValueError, "units"),
             ({"class_name": "Adam", "config": {"beta_1": "x"}}, TypeError, "beta_1"),
             (b"bytes", TypeError, "parse")]
    for config, error, match in cases:
        with pytest.raises(error, match=match):
            saving.deserialize_keras_object(config)
    for obj, error in ((3j, TypeError), (object(), TypeError), (lambda x: x, ValueError)):
        with pytest.raises(error):
            saving.serialize_keras_object(obj)
    # Every fastmlp form reads back: Keras's and fastmlp's own {"class_name", "config"}.
    for obj in (layers.Dense(3, kernel_regularizer="l2", name="d"), fm.losses.Huber(delta=2.0),
                fm.optimizers.Adam(learning_rate=fm.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5))):
        for form in (saving.serialize_keras_object(obj), obj.serialize() if hasattr(obj, "serialize")
                     else layers.serialize(obj)):
            assert saving.deserialize_keras_object(form).get_config() == obj.get_config()


def test_loaders_take_keras_custom_objects(tmp_path, monkeypatch):
    from fastmlp.models import loading
    model = _fastmlp_models()[0]
    model.compile("adam", "categorical_crossentropy")
    path = tmp_path / "m.fmlp"
    model.save(path)
    loaded = fm.models.load_model(path, None, False)  # Keras's order: filepath, custom_objects, compile
    assert loaded.optimizer is None and loaded.built
    # custom_objects are in force while the file is read: every lookup inside the loader sees them.
    seen = []
    original = loading._load_model
    monkeypatch.setattr(loading, "_load_model", lambda *args: (seen.append(saving.get_registered_object("S")),
                                                                original(*args))[1])
    loaded = saving.load_model(path, custom_objects={"S": Scaler}, safe_mode=True)
    assert seen == [Scaler] and loaded.optimizer is not None
    assert saving.get_registered_object("S") is None  # and only then
    config = model.get_config()
    with pytest.raises(TypeError, match="dicts"):
        fm.Sequential.from_config(config, custom_objects=[Scaler])
    assert type(fm.Sequential.from_config(config, custom_objects={"S": Scaler})) is fm.Sequential


def test_a_users_layer_comes_back_by_registered_name_or_custom_objects(tmp_path, clean_registry):
    class Scale(fm.layers.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

        def call(self, inputs):
            return inputs * self.w * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    x = np.random.default_rng(2).normal(size=(4, 3)).astype(np.float32)
    model = fm.Sequential([fm.Input((3,)), Scale(3.0, name="scale"), layers.Dense(2, name="d")])
    model.layers[0].w.assign(np.array([1.0, -2.0, 0.5]))
    path = tmp_path / "m.fmlp"
    model.save(path)
    expected = model.predict(x, verbose=0)
    # Unregistered: only custom_objects (by class name) gives the class back; the file is never read as code.
    assert type(fm.models.load_model(path).layers[0]) is not Scale
    loaded = fm.models.load_model(path, custom_objects={"Scale": Scale})
    assert type(loaded.layers[0]) is Scale and loaded.layers[0].factor == 3.0
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, rtol=1e-6)
    np.testing.assert_array_equal(loaded.layers[0].w.numpy(), [1.0, -2.0, 0.5])
    # Registered (as the decorator does, before the layer is made): the file names "pkg>Scale", and loading
    # finds the class with no argument.
    saving.register_keras_serializable("pkg")(Scale)
    model = fm.Sequential([fm.Input((3,)), Scale(3.0, name="scale"), layers.Dense(2, name="d")])
    model.save(path)
    loaded = fm.models.load_model(path)
    assert type(loaded.layers[0]) is Scale
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
