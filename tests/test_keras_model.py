"""Keras's model utilities: get_layer, clone_model, layer configs, clear_session and backend."""

import numpy as np
import pytest

import fastmlp as fm

L = fm.layers


def image_model():
    return fm.Sequential([fm.Input((4, 3)), L.Flatten(), L.Dense(8, activation="relu", kernel_regularizer="l2"),
                          L.BatchNormalization(), L.Dropout(0.2), L.PReLU(), L.Dense(3, activation="softmax")],
                         name="images")


def test_get_layer_by_name_or_index():
    model = image_model()
    assert model.get_layer(index=0) is model.layers[0] and model.get_layer(index=-1) is model.layers[-1]
    assert model.get_layer(model.layers[3].name) is model.layers[3]
    model.add(L.Dense(2, name="head"))
    assert model.get_layer("head") is model.layers[-1]
    with pytest.raises(ValueError, match="no layer named 'missing'"):
        model.get_layer("missing")
    with pytest.raises(ValueError, match="out of range"):
        model.get_layer(index=7)
    with pytest.raises(ValueError, match="a name or an index"):
        model.get_layer()
    with pytest.raises(ValueError, match="exactly one"):
        model.get_layer("head", index=0)


def test_clone_model_copies_the_architecture_with_new_weights(rng):
    fm.utils.set_random_seed(0)
    model = image_model()
    clone = fm.models.clone_model(model)
    assert clone.name == "images" and clone.input_shape == (None, 4, 3)
    assert [type(layer) for layer in clone.layers] == [type(layer) for layer in model.layers]
    assert [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]
    assert clone.count_params() == model.count_params()
    assert isinstance(clone.layers[1].kernel_regularizer, fm.regularizers.L2)
    assert not np.array_equal(clone.get_weights()[0], model.get_weights()[0])  # initialised afresh
    clone.set_weights(model.get_weights())
    x = rng.uniform(size=(5, 4, 3)).astype(np.float32)
    np.testing.assert_array_equal(clone.predict(x, verbose=0), model.predict(x, verbose=0))

    shared = fm.models.clone_model(model, clone_function=lambda layer: layer)
    assert all(a is b for a, b in zip(shared.layers, model.layers))
    flat = fm.models.clone_model(model, input_tensors=fm.Input((12,)))
    assert flat.input_shape == (None, 12) and flat.predict(x.reshape(5, 12), verbose=0).shape == (5, 3)
    with pytest.raises(TypeError, match="Sequential"):
        fm.models.clone_model("model")


def test_layer_from_config_round_trips():
    for layer in image_model().layers:
        again = type(layer).from_config(layer.get_config())
        assert again.get_config() == layer.get_config()


def test_clear_session_restarts_automatic_names():
    fm.backend.clear_session()
    first = [L.Dense(2).name, L.Dense(2).name, fm.Sequential().name]
    fm.utils.clear_session()
    assert [L.Dense(2).name, L.Dense(2).name, fm.Sequential().name] == first == ["dense", "dense_1", "sequential"]
    assert fm.backend.floatx() == "float32"
