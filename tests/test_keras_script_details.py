"""Small things Keras scripts rely on, against real Keras 3 (KERAS_BACKEND=torch): a learning-rate
schedule called on an array of steps (tutorials plot ``schedule(np.arange(n))``), the initializer
``Constant(np.log([p]))`` of a one-element array (the imbalanced-data tutorial's output bias), and
``model.losses``/``layer.losses``, the weight penalties for the current weights."""

import numpy as np
import pytest

import fastmlp as fm
from conftest import assert_close

S = fm.optimizers.schedules


# Keras's variables and torch emit deprecation notices under NumPy 2 (and Keras warns as it builds).
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")


SCHEDULES = [("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 7, "decay_rate": 0.5}),
             ("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 7, "decay_rate": 0.5,
                                   "staircase": True}),
             ("InverseTimeDecay", {"initial_learning_rate": 0.1, "decay_steps": 5, "decay_rate": 0.3}),
             ("CosineDecay", {"initial_learning_rate": 0.2, "decay_steps": 30, "alpha": 0.1}),
             ("PiecewiseConstantDecay", {"boundaries": [4, 9], "values": [1.0, 0.5, 0.1]})]


@pytest.mark.parametrize("class_name, arguments", SCHEDULES, ids=[f"{c}{i}" for i, (c, _) in enumerate(SCHEDULES)])
def test_a_schedule_on_an_array_of_steps_returns_the_array_of_rates(keras, class_name, arguments):
    ours, theirs = getattr(S, class_name)(**arguments), getattr(keras.optimizers.schedules, class_name)(**arguments)
    steps = np.arange(40)
    rates = ours(steps)
    assert isinstance(rates, np.ndarray) and rates.dtype == np.float32 and rates.shape == (40,)
    # Keras's, step by step (its PiecewiseConstantDecay does not take an array).
    expected = np.array([float(theirs(int(step))) for step in steps], dtype=np.float32)
    assert_close(f"{class_name} rates", rates, expected, rtol=1e-6, atol=1e-9)
    if class_name != "PiecewiseConstantDecay":
        assert_close(f"{class_name} on an array, as Keras", rates, np.asarray(theirs(steps)), rtol=1e-6, atol=1e-9)
    # Any shape, any integer dtype, and whole floats; a scalar stays a Python float.
    np.testing.assert_array_equal(ours(steps.reshape(4, 10).astype(np.int32)), rates.reshape(4, 10))
    np.testing.assert_array_equal(ours(steps.astype(np.float64)), rates)
    np.testing.assert_array_equal(ours([0, 5]), rates[[0, 5]])
    assert isinstance(ours(5), float) and ours(np.int64(5)) == pytest.approx(float(rates[5]))
    assert ours(np.arange(0)).shape == (0,)


def test_a_schedule_refuses_what_is_not_a_step_count():
    schedule = S.ExponentialDecay(0.1, 10, 0.5)
    with pytest.raises(ValueError, match="whole step counts"):
        schedule(np.array([1.0, 2.5]))
    with pytest.raises(ValueError, match="whole step counts"):
        schedule(float("nan"))
    with pytest.raises(TypeError, match="step counts"):
        schedule(np.array([True, False]))
    with pytest.raises(TypeError, match="step counts"):
        schedule("3")


def test_constant_of_a_one_element_array_is_its_number(keras, rng, tmp_path):
    pos, neg = 30, 970
    initial_bias = np.log([pos / neg])
    layer = fm.layers.Dense(1, activation="sigmoid", bias_initializer=fm.initializers.Constant(initial_bias))
    model = fm.Sequential([fm.layers.Input((4,)), layer])
    assert layer.bias == pytest.approx(np.float32(initial_bias[0]))
    assert layer.get_config()["bias_initializer"] == {"class_name": "Constant",
                                                      "config": {"value": pytest.approx(initial_bias[0])}}
    assert fm.initializers.Constant(np.float32(2.5))((2,)).tolist() == [2.5, 2.5]
    assert fm.initializers.Constant([[3]]).value == 3.0
    with pytest.raises(ValueError, match="one number"):
        fm.initializers.Constant(np.ones(3))
    with pytest.raises(TypeError):
        fm.initializers.Constant("high")
    # Keras writes the array as {"class_name": "__numpy__", ...} in its files; fastmlp reads it.
    theirs = keras.Sequential([keras.Input((4,)), keras.layers.Dense(
        1, activation="sigmoid", bias_initializer=keras.initializers.Constant(initial_bias))])
    theirs.save(tmp_path / "bias.keras")
    loaded = fm.models.load_model(tmp_path / "bias.keras")
    assert loaded.layers[0].get_config()["bias_initializer"]["config"]["value"] == pytest.approx(initial_bias[0])
    x = rng.normal(size=(5, 4)).astype(np.float32)
    assert_close("the loaded model", loaded.predict(x, verbose=0), np.asarray(theirs.predict(x, verbose=0)),
                 rtol=1e-6, atol=1e-7)
    # and a fresh layer from that config starts at the same bias
    assert fm.layers.Dense.from_config(loaded.layers[0].get_config()).get_config()["bias_initializer"] == \
        loaded.layers[0].get_config()["bias_initializer"]


def regularized(lib):
    r = lib.regularizers
    return [lib.layers.Dense(5, kernel_regularizer=r.L2(0.1), bias_regularizer=r.L1(0.2),
                             activity_regularizer=r.L2(0.3)),
            lib.layers.BatchNormalization(gamma_regularizer=r.L1L2(l1=0.01, l2=0.02)),
            lib.layers.Dense(3),
            lib.layers.PReLU(alpha_regularizer="l2"),
            lib.layers.Dense(1, kernel_regularizer="l1")]


def test_model_losses_and_layer_losses_are_keras_weight_penalties(keras, rng):
    theirs = keras.Sequential([keras.Input((4,)), *regularized(keras)])
    ours = fm.Sequential([fm.layers.Input((4,)), *regularized(fm)])
    weights = [rng.normal(size=np.shape(w)).astype(np.float32) for w in theirs.get_weights()]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    # Keras lists the penalty of each regularized trainable weight (activity penalties appear only
    # after a call, which neither model has had).
    expected = [float(v) for v in theirs.losses]
    assert len(ours.losses) == len(expected) == 5
    assert_close("model.losses", np.array(ours.losses), np.array(expected), rtol=1e-5, atol=1e-7)
    for mine, layer in zip(ours.layers, theirs.layers):
        assert len(mine.losses) == len(layer.losses), layer.name
        if layer.losses:
            assert_close(f"{layer.name}.losses", np.array(mine.losses), np.array([float(v) for v in layer.losses]),
                         rtol=1e-5, atol=1e-7)
    assert ours.layers[2].losses == [] and all(isinstance(v, float) for v in ours.losses)
    # The penalties are of the current weights, and training adds their sum to the loss.
    ours.layers[0].kernel[...] = 0
    assert ours.losses[0] == 0.0
    ours.layers[1].trainable = False  # a frozen weight is not trained, and Keras does not list it
    assert len(ours.losses) == 4 and ours.layers[1].losses == []
    free = fm.Sequential([fm.layers.Input((4,)), fm.layers.Dense(5), fm.layers.Dense(1)])
    assert free.losses == [] and fm.layers.Dense(3).losses == []
    # A float64 model's penalties are taken in float64.
    wide = fm.Sequential([fm.layers.Input((2,), dtype="float64"),
                          fm.layers.Dense(1, kernel_regularizer=fm.regularizers.L2(1.0), dtype="float64")])
    wide.set_weights([np.array([[1e-5], [1.0]]), np.zeros(1)])
    assert wide.losses[0] == pytest.approx(1.0 + 1e-10, rel=1e-13, abs=0)  # 1.0 in float32
