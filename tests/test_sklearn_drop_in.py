"""fastmlp.sklearn as a drop-in for scikit-learn's MLPs where code reads or writes their attributes: the
iteration counts of warm-started and partial fits, the early-stopping attributes, weights assigned by
hand, diverging fits, one-class targets and MLPRegressor's loss parameter, each against scikit-learn's
own estimator doing the same."""

import inspect
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier
from sklearn.neural_network import MLPRegressor as SklearnMLPRegressor

from fastmlp.sklearn import MLPClassifier, MLPRegressor

PAIRS = [(MLPClassifier, SklearnMLPClassifier), (MLPRegressor, SklearnMLPRegressor)]


@pytest.fixture(scope="module")
def iris():
    x, y = load_iris(return_X_y=True)
    return x, y


@pytest.mark.parametrize("ours_class, theirs_class", PAIRS)
def test_n_iter_counts_the_last_fit(iris, ours_class, theirs_class):
    x, y = iris
    counts = []
    for cls in (ours_class, theirs_class):
        estimator = cls(hidden_layer_sizes=(3,), solver="sgd", warm_start=True, max_iter=3, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            estimator.fit(x, y)
            estimator.fit(x, y)
        after_fits = (estimator.n_iter_, estimator.t_, len(estimator.loss_curve_))
        estimator.partial_fit(x, y)
        counts.append((after_fits, (estimator.n_iter_, estimator.t_, len(estimator.loss_curve_))))
    assert counts[0] == counts[1] == (((3, 900, 6), (1, 1050, 7)))


@pytest.mark.parametrize("ours_class, theirs_class", PAIRS)
def test_validation_attributes_without_early_stopping_are_none(iris, ours_class, theirs_class):
    x, y = iris
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours, theirs = (cls(max_iter=2, random_state=0).fit(x, y) for cls in (ours_class, theirs_class))
    assert ours.validation_scores_ is None and theirs.validation_scores_ is None
    assert ours.best_validation_score_ is None and theirs.best_validation_score_ is None


def test_assigned_weights_are_the_model():
    # scikit-learn's worked example (its test_fit): weights assigned to an unfitted estimator, then one
    # partial_fit step; and assigning coefs_ of a fitted one changes its predictions.
    x, y = np.array([[0.6, 0.8, 0.7]]), np.array([0])
    results = []
    for cls in (MLPClassifier, SklearnMLPClassifier):
        mlp = cls(solver="sgd", learning_rate_init=0.1, alpha=0.1, activation="logistic", random_state=1,
                  max_iter=1, hidden_layer_sizes=2, momentum=0)
        mlp.coefs_ = [np.array([[0.1, 0.2], [0.3, 0.1], [0.5, 0]]), np.array([[0.1], [0.2]])]
        mlp.intercepts_ = [np.array([0.1, 0.1]), np.array([1.0])]
        mlp.n_features_in_, mlp.n_outputs_, mlp.n_layers_, mlp.out_activation_ = 3, 1, 3, "logistic"
        mlp.n_iter_, mlp.t_, mlp.best_loss_, mlp.loss_curve_, mlp._no_improvement_count = 0, 0, np.inf, [], 0
        mlp.partial_fit(x, y, classes=[0, 1])
        mlp.coefs_[1] = np.array([[2.0], [-3.0]])  # an item replaced, then the whole list
        first = mlp.predict_proba(x)[0, 1]
        mlp.intercepts_ = [np.array([0.0, 0.5]), np.array([-1.0])]
        results.append((first, mlp.predict_proba(x)[0, 1]))
    print(results)
    np.testing.assert_allclose(results[0], results[1], rtol=1e-12)
    fitted = MLPClassifier(hidden_layer_sizes=(2,), max_iter=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fitted.fit(x.repeat(4, 0) + np.arange(4)[:, None], [0, 1, 0, 1])
    with pytest.raises(ValueError, match="shapes"):
        fitted.coefs_ = [np.zeros((3, 5)), np.zeros((5, 1))]
        fitted.predict(x)


def test_non_finite_weights_raise_sklearns_error():
    rng = np.random.RandomState(0)
    x = np.finfo(np.float64).max * rng.uniform(size=(10, 2))
    with pytest.raises(ValueError, match="Solver produced non-finite parameter weights"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            MLPRegressor().fit(x, rng.standard_normal(size=10))


def test_one_class_fits_as_sklearn(iris):
    x, _ = iris
    y = np.full(len(x), "only")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours, theirs = (cls(max_iter=5, random_state=0).fit(x, y) for cls in (MLPClassifier, SklearnMLPClassifier))
    assert list(ours.classes_) == list(theirs.classes_) == ["only"]
    assert set(ours.predict(x)) == {"only"} and ours.predict_proba(x).shape == theirs.predict_proba(x).shape


def test_diverging_fit_with_early_stopping_scores_nan(iris):
    x, y = iris
    params = dict(hidden_layer_sizes=100, activation="identity", solver="sgd", learning_rate_init=1, max_iter=20,
                  early_stopping=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, theirs = (cls(**params).fit(x, y) for cls in (MLPRegressor, SklearnMLPRegressor))
    assert np.isnan(ours.validation_scores_[-1]) and np.isnan(theirs.validation_scores_[-1])
    assert isinstance(ours.validation_scores_[-1], float)
    assert np.isfinite(ours.predict(x)).all()  # the best weights, from before it diverged


def test_regressor_takes_sklearns_parameters():
    assert str(inspect.signature(MLPRegressor.__init__)) == str(inspect.signature(SklearnMLPRegressor.__init__))
    theirs = SklearnMLPRegressor(loss="poisson", hidden_layer_sizes=(7,), max_iter=3)
    assert MLPRegressor(**theirs.get_params()).get_params() == theirs.get_params()
    with pytest.raises(ValueError, match="loss"):
        MLPRegressor(loss="absolute_error").fit([[0.0], [1.0]], [0.0, 1.0])


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
def test_partial_fit_skips_only_checks_already_passed(iris, cls):
    # Later partial_fit calls on arrays that are already validated take a short path (tests/.. the
    # per-call overhead: ~25 ms -> ~2-3 ms on this machine); lists take the full one. Both train alike,
    # and the short path still refuses what validation refuses.
    x, y = iris
    checked, quick = cls(hidden_layer_sizes=(5,), random_state=0), cls(hidden_layer_sizes=(5,), random_state=0)
    first = {"classes": [0, 1, 2]} if cls is MLPClassifier else {}
    checked.partial_fit(x.tolist(), y.tolist(), **first)
    quick.partial_fit(x, y, **first)
    for block in range(3):
        rows = slice(50 * block, 50 * block + 50)
        checked.partial_fit(x[rows].tolist(), y[rows].tolist())
        quick.partial_fit(x[rows], y[rows])
    for a, b in zip(checked.coefs_ + checked.intercepts_, quick.coefs_ + quick.intercepts_):
        np.testing.assert_array_equal(a, b)
    bad = x.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        quick.partial_fit(bad, y)
    with pytest.raises(ValueError, match="features"):
        quick.partial_fit(x[:, :3], y)
    if cls is MLPClassifier:
        with pytest.raises(ValueError, match="classes not in"):
            quick.partial_fit(x, y + 1)
