"""Models and every configurable object pickle and copy, as Keras 3's do: a Sequential travels as the
bytes of its model file (weights, compile state, optimizer state and generators), so that a copy
predicts the same and trains on exactly as the original; deep copies are independent. The
scikit-learn estimators pickle through the same bytes, without temporary files."""

import copy
import pickle
import tempfile

import numpy as np
import pytest

import fastmlp as fm

L = fm.layers


def trained_model(rng):
    fm.utils.set_random_seed(7)
    model = fm.Sequential([L.Input((5,)), L.Dense(8, activation="relu"), L.Dropout(0.2),
                           L.BatchNormalization(), L.Dense(3, activation="softmax")], name="pickled")
    model.compile(optimizer=fm.optimizers.Adam(0.01), loss="categorical_crossentropy", metrics=["accuracy"])
    x = rng.normal(size=(40, 5)).astype(np.float32)
    y = fm.utils.to_categorical(rng.integers(0, 3, 40), 3)
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    return model, x, y


def test_a_pickled_model_predicts_and_trains_on_exactly_as_the_original(rng):
    model, x, y = trained_model(rng)
    restored = pickle.loads(pickle.dumps(model))
    assert restored.get_config() == model.get_config() and restored.name == "pickled"
    assert restored.predict(x, verbose=0).tobytes() == model.predict(x, verbose=0).tobytes()
    assert restored.optimizer.iterations == model.optimizer.iterations == 10
    assert restored.loss == "categorical_crossentropy" and restored.compiled_metrics == ["accuracy"]
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    restored.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert all(a.tobytes() == b.tobytes() for a, b in zip(model.get_weights(), restored.get_weights()))


def test_deep_copies_are_independent(rng):
    model, x, _ = trained_model(rng)
    twin = copy.deepcopy(model)
    expected = model.predict(x, verbose=0)
    twin.layers[0].kernel[...] = 0
    assert model.predict(x, verbose=0).tobytes() == expected.tobytes()
    assert twin.layers[0] is not model.layers[0] and twin.optimizer is not model.optimizer


def test_unbuilt_and_uncompiled_models_pickle_as_their_architecture():
    model = fm.Sequential([L.Dense(4, activation="elu"), L.Dense(1)], name="unbuilt")
    restored = pickle.loads(pickle.dumps(model))
    assert not restored.built and restored.get_config() == model.get_config()


@pytest.mark.parametrize("make", [
    lambda: L.Dense(3, activation="relu", kernel_regularizer=fm.regularizers.L2(0.1)),
    lambda: fm.optimizers.Lion(0.002, beta_2=0.95),
    lambda: fm.optimizers.SGD(fm.optimizers.schedules.CosineDecay(0.1, 20, warmup_target=0.2, warmup_steps=5)),
    lambda: fm.losses.Huber(delta=2.0, name="h"),
    lambda: fm.metrics.TopKCategoricalAccuracy(k=2),
    lambda: fm.initializers.VarianceScaling(2.0, mode="fan_out", seed=3),
    lambda: fm.regularizers.L1L2(0.1, 0.2),
    lambda: fm.optimizers.schedules.PiecewiseConstantDecay([3, 6], [0.3, 0.2, 0.1]),
], ids=["layer", "optimizer", "optimizer with schedule", "loss", "metric", "initializer", "regularizer", "schedule"])
def test_every_kind_of_object_pickles_with_its_config(make):
    original = make()
    restored = pickle.loads(pickle.dumps(original))
    assert type(restored) is type(original) and restored.get_config() == original.get_config()
    assert copy.deepcopy(original).get_config() == original.get_config()


def test_a_built_layer_copies_with_its_weights():
    model = fm.Sequential([L.Input((3,)), L.Dense(2)])
    layer = model.layers[0]
    twin = pickle.loads(pickle.dumps(layer))
    assert all(np.array_equal(a, b) for a, b in zip(twin.get_weights(), layer.get_weights()))


def test_scikit_learn_estimators_pickle_without_temporary_files(monkeypatch):
    from sklearn.datasets import load_digits
    from sklearn.exceptions import ConvergenceWarning
    from fastmlp.sklearn import MLPClassifier
    digits = load_digits()
    x, y = digits.data[:300] / 16, digits.target[:300]
    with pytest.warns(ConvergenceWarning):  # max_iter=5, on purpose: a quick fit
        clf = MLPClassifier(hidden_layer_sizes=(20,), max_iter=5, random_state=0).fit(x, y)

    def refuse(*args, **kwargs):
        raise AssertionError("pickling touched a temporary file")
    for name in ("mkstemp", "mkdtemp", "TemporaryDirectory", "NamedTemporaryFile", "TemporaryFile"):
        monkeypatch.setattr(tempfile, name, refuse)
    restored = pickle.loads(pickle.dumps(clf))
    restored.partial_fit(x, y)  # the optimizer's state came along: training goes on
    assert np.array_equal(pickle.loads(pickle.dumps(clf)).predict_proba(x), clf.predict_proba(x))
    assert restored.coefs_[0].shape == (64, 20)
