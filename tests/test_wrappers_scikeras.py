"""Driving fastmlp models from scikit-learn the scikeras way: routed parameters in fastmlp's own wrappers
(hidden=..., optimizer__learning_rate=..., epochs=...), and the real scikeras wrappers given fastmlp models,
which compile them with Keras 3's optimizer, loss and metric objects."""

import os
import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import fastmlp as fm
from fastmlp.wrappers import SKLearnClassifier, SKLearnRegressor

os.environ.setdefault("KERAS_BACKEND", "torch")
# Keras on torch reads its variables through torch 2.13's __array__, which NumPy 2 warns about: Keras's
# business, not these tests'.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword")


@pytest.fixture(scope="module")
def data():
    x, y = make_classification(160, 12, n_informative=8, random_state=0)
    return x.astype(np.float32), y


def build(X, y, hidden=8):
    model = fm.Sequential([fm.layers.Input((X.shape[1],)), fm.layers.Dense(hidden, activation="relu"),
                           fm.layers.Dense(y.shape[1], activation="softmax")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    return model


def test_routed_parameters_reach_the_model_the_optimizer_and_fit(data):
    x, y = data
    clf = SKLearnClassifier(build, hidden=5, optimizer="adam", optimizer__learning_rate=0.02, epochs=3,
                            fit__batch_size=40)
    params = clf.get_params()
    assert {"hidden": 5, "optimizer": "adam", "optimizer__learning_rate": 0.02, "epochs": 3,
            "fit__batch_size": 40}.items() <= params.items()
    assert clone(clf).get_params() == params
    clf.fit(x, y)
    assert clf.model_.layers[0].units == 5
    assert type(clf.model_.optimizer).__name__ == "Adam"
    assert clf.model_.optimizer.learning_rate == pytest.approx(0.02)
    assert len(clf.history_["loss"]) == 3
    assert clf.set_params(hidden=7, optimizer__learning_rate=0.1).fit(x, y).model_.layers[0].units == 7
    pipe = Pipeline([("scale", StandardScaler()), ("clf", SKLearnClassifier(build, epochs=2))])
    search = GridSearchCV(pipe, {"clf__hidden": [4, 6], "clf__optimizer__learning_rate": [0.01, 0.1]}, cv=2).fit(x, y)
    assert set(search.best_params_) == {"clf__hidden", "clf__optimizer__learning_rate"}
    best = search.best_estimator_
    assert best.named_steps["clf"].model_.layers[0].units == search.best_params_["clf__hidden"]
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(best)).predict_proba(x), best.predict_proba(x))
    with pytest.raises(ValueError, match="colour"):
        SKLearnClassifier(build, colour="red").fit(x, y)


def uncompiled(X, y, width):
    return fm.Sequential([fm.layers.Input((X.shape[1],)), fm.layers.Dense(width, activation="relu"),
                          fm.layers.Dense(1)])


def test_model_function_without_compile_takes_loss_and_optimizer():
    x, y = make_regression(120, 6, random_state=0)
    x, y = x.astype(np.float32), (y / y.std()).astype(np.float32)

    reg = SKLearnRegressor(uncompiled, width=16, loss="mse", optimizer="adam", optimizer__learning_rate=0.01,
                           epochs=30).fit(x, y)
    assert reg.score(x, y) > 0.9
    restored = pickle.loads(pickle.dumps(reg))
    np.testing.assert_array_equal(restored.predict(x), reg.predict(x))


def test_compile_takes_keras_objects_by_their_config():
    keras = pytest.importorskip("keras")
    model = fm.Sequential([fm.layers.Input((3,)), fm.layers.Dense(2, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.5, beta_1=0.8, clipnorm=1.0),
                  loss=keras.losses.SparseCategoricalCrossentropy(ignore_class=None),
                  metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")])
    assert model.compiled
    assert (model.optimizer.learning_rate, model.optimizer.beta_1, model.optimizer.clipnorm) == (0.5, 0.8, 1.0)
    assert type(model.loss).__name__ == "SparseCategoricalCrossentropy"
    assert [m.name for m in model.compiled_metrics] == ["acc"]
    model.compile(optimizer="sgd", loss=keras.losses.mean_squared_error)  # a Keras loss function, by name
    assert type(model.loss).__name__ == "MeanSquaredError" or model.loss.__name__ == "mean_squared_error"
    with pytest.raises(ValueError, match="use_ema"):
        model.compile(optimizer=keras.optimizers.Adam(use_ema=True), loss="mse")


def get_model(hidden_layer_dim, meta):  # scikeras's quickstart, with fastmlp's layers
    model = fm.models.Sequential()
    model.add(fm.layers.Dense(meta["n_features_in_"], input_shape=(meta["n_features_in_"],)))
    model.add(fm.layers.Activation("relu"))
    model.add(fm.layers.Dense(hidden_layer_dim))
    model.add(fm.layers.Activation("relu"))
    model.add(fm.layers.Dense(meta["n_classes_"]))
    model.add(fm.layers.Activation("softmax"))
    return model


def get_regressor(meta, compile_kwargs):
    model = fm.Sequential([fm.layers.Input((meta["n_features_in_"],)), fm.layers.Dense(16, activation="relu"),
                           fm.layers.Dense(1)])
    model.compile(**compile_kwargs)
    return model


def test_scikeras_quickstart_with_a_fastmlp_model(data):
    wrappers = pytest.importorskip("scikeras.wrappers")
    x, y = data

    clf = wrappers.KerasClassifier(get_model, loss="sparse_categorical_crossentropy", hidden_layer_dim=16,
                                   optimizer="adam", optimizer__learning_rate=0.01, epochs=10, verbose=0)
    pipe = Pipeline([("scale", StandardScaler()), ("clf", clf)])
    search = GridSearchCV(pipe, {"clf__hidden_layer_dim": [8, 16]}, cv=2).fit(x, y)
    best = search.best_estimator_
    assert isinstance(best.named_steps["clf"].model_, fm.Sequential)
    assert best.named_steps["clf"].model_.optimizer.learning_rate == pytest.approx(0.01)
    assert best.score(x, y) > 0.8
    restored = pickle.loads(pickle.dumps(best))
    np.testing.assert_allclose(restored.predict_proba(x), best.predict_proba(x))

    # A model function that compiles with what scikeras hands it: Keras 3 optimizer and loss objects.
    xr, yr = make_regression(120, 6, random_state=0)
    xr, yr = xr.astype(np.float32), (yr / yr.std()).astype(np.float32)
    reg = wrappers.KerasRegressor(get_regressor, loss="mse", optimizer="adam", optimizer__learning_rate=0.02,
                                  epochs=40, verbose=0).fit(xr, yr)
    assert type(reg.model_.optimizer).__name__ == "Adam" and reg.model_.optimizer.learning_rate == pytest.approx(0.02)
    assert reg.score(xr, yr) > 0.9
