"""scikit-learn MLPs into fastmlp (fastmlp.models.from_sklearn: probabilities equal predict_proba) and
plain-MLP models back out as fitted scikit-learn estimators (fastmlp.models.to_sklearn)."""

import warnings

import numpy as np
import pytest
from conftest import assert_close

pytest.importorskip("sklearn")

from sklearn.datasets import load_digits  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.neural_network import MLPClassifier, MLPRegressor  # noqa: E402

import fastmlp.sklearn  # noqa: E402
from fastmlp._interop import from_sklearn, layer_catalog, to_sklearn  # noqa: E402
from fastmlp._interop.errors import UnsupportedLayerError  # noqa: E402
from fastmlp._interop.graph import sequential  # noqa: E402

pytestmark = pytest.mark.filterwarnings(f"ignore::{ConvergenceWarning.__module__}.{ConvergenceWarning.__name__}")
TOL = 1e-5  # float32 weights against scikit-learn's float64


@pytest.fixture(scope="module")
def digits():
    x, y = load_digits(return_X_y=True)
    return x[:400] / 16.0, y[:400]


def _tasks(x, y):
    return {
        "multiclass": (MLPClassifier, y, {}),
        "binary": (MLPClassifier, y % 2, {"activation": "tanh"}),
        "binary strings": (MLPClassifier, np.where(y > 4, "big", "small"), {"activation": "logistic"}),
        "multilabel": (MLPClassifier, np.stack([y % 2, y > 4, y == 0], axis=1), {"activation": "relu"}),
        "regression": (MLPRegressor, x[:, 20] - x[:, 30], {"activation": "identity"}),
        "two targets": (MLPRegressor, x[:, [20, 30]], {"activation": "tanh"}),
        "poisson": (MLPRegressor, np.round(3 * x[:, 20]), {"loss": "poisson"}),
    }


def _network_as_sklearn_reports_it(estimator, x):
    out = fastmlp.models.from_sklearn(estimator).predict(x, verbose=0)
    if hasattr(estimator, "predict_proba"):
        if out.shape[1] == 1:
            out = np.hstack([1.0 - out, out])  # one sigmoid unit: scikit-learn reports [1 - p, p]
        return out, estimator.predict_proba(x)
    return out, estimator.predict(x).reshape(out.shape)


@pytest.mark.parametrize("task", ["multiclass", "binary", "binary strings", "multilabel", "regression", "two targets",
                                  "poisson"])
def test_sklearn_estimators_into_the_graph(digits, task):
    x, y = digits
    kind, targets, parameters = _tasks(x, y)[task]
    estimator = kind(hidden_layer_sizes=(16, 9), max_iter=40, random_state=0, **parameters).fit(x, targets)
    graph = from_sklearn.graph_from_sklearn(estimator)
    assert [node.class_name for node in graph.layers] == ["InputLayer", "Dense", "Dense", "Dense"]
    ours, theirs = _network_as_sklearn_reports_it(estimator, x)
    assert_close(f"{task}: graph vs scikit-learn", ours, theirs, TOL, TOL)
    assert graph.compile.optimizer.class_name == "Adam"
    assert graph.compile.optimizer.config["learning_rate"] == estimator.learning_rate_init


@pytest.mark.parametrize("task", ["multiclass", "binary", "multilabel", "regression"])
def test_fastmlp_sklearn_estimators_into_the_graph(digits, task):
    x, y = digits
    _, targets, parameters = _tasks(x, y)[task]
    kind = fastmlp.sklearn.MLPRegressor if task == "regression" else fastmlp.sklearn.MLPClassifier
    estimator = kind(hidden_layer_sizes=(12,), max_iter=10, random_state=0, solver="sgd", **parameters)
    estimator.fit(x, targets)
    graph = from_sklearn.graph_from_sklearn(estimator)
    ours, theirs = _network_as_sklearn_reports_it(estimator, x)
    assert_close(f"fastmlp.sklearn {task}", ours, theirs, TOL, TOL)
    assert graph.compile.optimizer.class_name == "SGD"


@pytest.mark.parametrize("task", ["multiclass", "binary strings", "multilabel", "regression", "two targets",
                                  "poisson"])
def test_graph_back_to_sklearn(digits, task):
    x, y = digits
    kind, targets, parameters = _tasks(x, y)[task]
    original = kind(hidden_layer_sizes=(10,), max_iter=30, random_state=1, **parameters).fit(x, targets)
    graph = from_sklearn.graph_from_sklearn(original)
    classes = original.classes_ if kind is MLPClassifier and task != "multilabel" else None
    rebuilt = to_sklearn.sklearn_from_graph(graph, classes=classes)
    assert type(rebuilt) is kind
    if kind is MLPClassifier:
        np.testing.assert_array_equal(rebuilt.predict(x), original.predict(x))
        assert_close(f"{task} rebuilt probabilities", rebuilt.predict_proba(x), original.predict_proba(x), TOL, TOL)
    else:
        assert_close(f"{task} rebuilt predictions", rebuilt.predict(x), original.predict(x), TOL, TOL)
    # The rebuilt estimator trains on (warm_start keeps the imported weights as its starting point).
    rebuilt.set_params(warm_start=True, max_iter=2)
    before = rebuilt.score(x, targets)
    rebuilt.fit(x, targets)
    assert np.isfinite(rebuilt.score(x, targets)) and np.isfinite(before)


def test_fastmlp_estimator_out_to_sklearn(digits):
    x, y = digits
    estimator = fastmlp.sklearn.MLPClassifier(hidden_layer_sizes=(12,), max_iter=10, random_state=0).fit(x, y)
    rebuilt = to_sklearn.sklearn_from_graph(from_sklearn.graph_from_sklearn(estimator), classes=estimator.classes_)
    assert isinstance(rebuilt, MLPClassifier)
    np.testing.assert_array_equal(rebuilt.predict(x), estimator.predict(x))
    assert_close("fastmlp -> scikit-learn", rebuilt.predict_proba(x), estimator.predict_proba(x), TOL, TOL)


def test_unfitted_estimator_is_refused():
    with pytest.raises(ValueError, match="not fitted"):
        from_sklearn.graph_from_sklearn(MLPClassifier())


def test_unknown_activation_is_named():
    class Strange:
        coefs_ = [np.zeros((2, 2))]
        intercepts_ = [np.zeros(2)]
        activation = "relu"
        out_activation_ = "cube"
    with pytest.raises(UnsupportedLayerError, match="'cube'"):
        from_sklearn.graph_from_sklearn(Strange())


def test_graphs_that_are_not_sklearn_mlps_are_refused():
    def graph(*layers):
        return sequential([("InputLayer", layer_catalog.make_config("InputLayer", "x", batch_shape=[None, 3]), {})]
                          + list(layers))
    dense = ("Dense", layer_catalog.make_config("Dense", "d", units=2, activation="softmax"),
             {"kernel": np.zeros((3, 2)), "bias": np.zeros(2)})
    dropout = ("Dropout", layer_catalog.make_config("Dropout", "drop", rate=0.1), {})
    with pytest.raises(ValueError, match="'drop' is a Dropout"):
        to_sklearn.sklearn_from_graph(graph(dropout, dense))
    gelu = ("Dense", layer_catalog.make_config("Dense", "h", units=3, activation="gelu"),
            {"kernel": np.zeros((3, 3)), "bias": np.zeros(3)})
    with pytest.raises(ValueError, match="hidden activations"):
        to_sklearn.sklearn_from_graph(graph(gelu, dense))
    with pytest.raises(ValueError, match="needs 2 classes"):
        to_sklearn.sklearn_from_graph(graph(dense), classes=["a", "b", "c"])


# ---- the public conversions ---------------------------------------------------------------------------
def test_from_sklearn_model_is_compiled_as_sklearn_trains(digits):
    x, y = digits
    estimator = MLPClassifier(hidden_layer_sizes=(16,), max_iter=20, random_state=0, learning_rate_init=0.01,
                              beta_1=0.8).fit(x, y)
    model = fastmlp.models.from_sklearn(estimator)
    assert isinstance(model, fastmlp.Sequential) and [layer.units for layer in model.layers] == [16, 10]
    assert type(model.optimizer).__name__ == "Adam" and model.optimizer.learning_rate == pytest.approx(0.01)
    assert model.optimizer.get_config()["beta_1"] == pytest.approx(0.8)
    assert model.loss == "categorical_crossentropy"
    targets = np.eye(10, dtype=np.float32)[y]
    before = model.evaluate(x, targets, verbose=0)
    model.fit(x, targets, epochs=5, verbose=0)
    assert model.evaluate(x, targets, verbose=0) < before
    assert fastmlp.models.from_sklearn(estimator, compile=False).optimizer is None


@pytest.mark.parametrize("task", ["multiclass", "binary strings", "regression"])
def test_to_sklearn_from_a_fastmlp_model(digits, task):
    x, y = digits
    kind, targets, parameters = _tasks(x, y)[task]
    original = kind(hidden_layer_sizes=(10,), max_iter=30, random_state=1, **parameters).fit(x, targets)
    model = fastmlp.models.from_sklearn(original)
    classes = original.classes_ if kind is MLPClassifier else None
    rebuilt = fastmlp.models.to_sklearn(model, classes=classes)
    assert type(rebuilt) is kind
    method = "predict_proba" if kind is MLPClassifier else "predict"
    assert_close(f"{task} out again", getattr(rebuilt, method)(x), getattr(original, method)(x), TOL, TOL)
    with pytest.raises(ValueError, match="not a scikit-learn multi-layer perceptron"):
        fastmlp.models.to_sklearn(fastmlp.Sequential([fastmlp.Input((3,)), fastmlp.layers.Dense(
            4, activation="gelu"), fastmlp.layers.Dense(1)]))


@pytest.mark.parametrize("task", ["multiclass", "binary strings", "multilabel", "regression", "two targets"])
def test_fastmlp_estimators_to_and_from_sklearn(digits, task):
    x, y = digits
    kind, targets, parameters = _tasks(x, y)[task]
    original = kind(hidden_layer_sizes=(12,), max_iter=30, random_state=0, **parameters).fit(x, targets)
    ours = getattr(fastmlp.sklearn, kind.__name__).from_sklearn(original)
    assert ours.get_params() == original.get_params()
    assert ours.n_iter_ == original.n_iter_ and ours.n_features_in_ == original.n_features_in_
    method = "predict_proba" if kind is MLPClassifier else "predict"
    assert_close(f"{task} into fastmlp.sklearn", getattr(ours, method)(x), getattr(original, method)(x), TOL, TOL)
    if kind is MLPClassifier:
        np.testing.assert_array_equal(ours.predict(x), original.predict(x))
    back = ours.to_sklearn()
    assert type(back) is kind
    assert_close(f"{task} back to scikit-learn", getattr(back, method)(x), getattr(original, method)(x), TOL, TOL)
    # Both train on from the converted weights.
    ours.set_params(warm_start=True, max_iter=2)
    ours.fit(x, targets)
    back.set_params(warm_start=True, max_iter=2)
    back.fit(x, targets)
    assert np.isfinite(ours.score(x, targets)) and np.isfinite(back.score(x, targets))


def test_from_sklearn_refuses_what_it_cannot_carry(digits):
    x, y = digits
    with pytest.raises(TypeError, match="takes a sklearn.neural_network.MLPClassifier"):
        fastmlp.sklearn.MLPClassifier.from_sklearn(MLPRegressor(max_iter=2).fit(x, y))
    with pytest.raises(ValueError):
        fastmlp.sklearn.MLPClassifier.from_sklearn(MLPClassifier())


def test_poisson_regressor_converts_both_ways(digits):
    x, _ = digits
    counts = np.round(3 * x[:, 20])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        poisson = MLPRegressor(loss="poisson", max_iter=5, hidden_layer_sizes=(4,), random_state=0).fit(x, counts)
    ours = fastmlp.sklearn.MLPRegressor.from_sklearn(poisson)
    assert ours.loss == "poisson" and ours.out_activation_ == "exp"
    assert_close("poisson into fastmlp.sklearn", ours.predict(x), poisson.predict(x), TOL, TOL)
    assert_close("poisson back to scikit-learn", ours.to_sklearn().predict(x), poisson.predict(x), TOL, TOL)
