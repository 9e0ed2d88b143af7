"""fastmlp.sklearn's solver="lbfgs" (the core's full-batch L-BFGS, fastmlp/lbfgs.hpp) against scikit-learn's
(SciPy's L-BFGS-B), from the same initial weights: the same first step, the same minimum, the same
warnings and attributes, on every kind of target and on sparse input."""

import warnings

import numpy as np
import pytest
import scipy.sparse
from sklearn.datasets import load_digits, make_multilabel_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier
from sklearn.neural_network import MLPRegressor as SklearnMLPRegressor

from fastmlp.sklearn import MLPClassifier, MLPRegressor


@pytest.fixture(scope="module")
def digits():
    x, y = load_digits(return_X_y=True)
    return x[:400] / 16.0, y[:400]


def same_start(sklearn_class, ours_class, x, y, **params):
    """scikit-learn's estimator after one lbfgs iteration, and ours converted from it: both warm-start from
    the same weights."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs = sklearn_class(solver="lbfgs", warm_start=True, max_iter=1, random_state=0, **params).fit(x, y)
    return theirs, ours_class.from_sklearn(theirs)


def largest_difference(theirs, ours):
    return max(np.abs(a - b).max() for a, b in zip(theirs.coefs_ + theirs.intercepts_, ours.coefs_ + ours.intercepts_))


def fit_both(theirs, ours, x, y, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for estimator in (theirs, ours):
            estimator.set_params(**params).fit(x, y)


@pytest.mark.parametrize("activation", ["logistic", "tanh", "relu"])
def test_first_iteration_is_sklearns_step(digits, activation):
    # Without curvature pairs both try a step of unit length along -g and accept it when it meets the
    # Wolfe conditions, so one iteration from the same weights lands on the same weights: this checks the
    # objective (loss, penalty, gradient scale) and the first step together.
    x, y = digits
    theirs, ours = same_start(SklearnMLPClassifier, MLPClassifier, x, y, hidden_layer_sizes=(15,), alpha=1e-3,
                              activation=activation)
    fit_both(theirs, ours, x, y, max_iter=1)
    difference = largest_difference(theirs, ours)
    print(f"largest weight difference after one iteration: {difference:.2e}; loss {theirs.loss_} {ours.loss_}")
    assert difference < 1e-9
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-9)


def test_reaches_sklearns_minimum_on_digits(digits):
    x, y = digits
    # After the first steps the two line searches pick different steps, so the paths part; both end in the
    # same minimum (measured: 0.0580905 in 871 iterations, fastmlp 0.0580832 in 906).
    theirs, ours = same_start(SklearnMLPClassifier, MLPClassifier, x, y, hidden_layer_sizes=(10,), alpha=0.3)
    fit_both(theirs, ours, x, y, max_iter=2000, tol=1e-5)
    print(f"final loss: scikit-learn {theirs.loss_:.8f} in {theirs.n_iter_}, fastmlp {ours.loss_:.8f} in {ours.n_iter_}")
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-3)
    assert ours.n_iter_ < 2000
    np.testing.assert_array_equal(ours.predict(x), theirs.predict(x))


def test_limits_warn_as_sklearn(digits):
    x, y = digits
    for params, words in [({"max_iter": 3}, "STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT\n\nIncrease the number "
                           "of iterations to improve the convergence (max_iter=3).\nYou might also want to scale"),
                          ({"max_fun": 5}, "STOP: TOTAL NO. OF F,G EVALUATIONS EXCEEDS LIMIT\n\nYou might also")]:
        clf = MLPClassifier(solver="lbfgs", hidden_layer_sizes=(10,), random_state=0, **params)
        with pytest.warns(ConvergenceWarning) as caught:
            clf.fit(x, y)
        message = str(caught[0].message)
        assert message.startswith(f"lbfgs failed to converge after {clf.n_iter_} iteration(s) (status=1):\n"), message
        assert words in message
        assert len(clf.loss_curve_) == clf.n_iter_ and clf.loss_ == clf.loss_curve_[-1]
    assert clf.n_iter_ <= 5
    assert not hasattr(clf, "partial_fit")  # as scikit-learn's: lbfgs has no partial_fit


def test_multilabel_multioutput_sparse_and_warm_start(digits):
    x, y = digits
    xl, yl = make_multilabel_classification(n_samples=120, n_features=8, random_state=0)
    theirs, ours = same_start(SklearnMLPClassifier, MLPClassifier, xl, yl, hidden_layer_sizes=(6,))
    fit_both(theirs, ours, xl, yl, max_iter=1)
    assert largest_difference(theirs, ours) < 1e-9  # logistic outputs summed as scikit-learn does

    xr, yr = make_regression(n_samples=100, n_features=5, n_targets=2, random_state=0)
    yr = yr / yr.std(axis=0)
    params = dict(hidden_layer_sizes=(7,), activation="tanh", alpha=0.1)
    # Here the first unit step fails the Wolfe test, and the two line searches interpolate differently:
    # the paths part at once but end in the same minimum (measured: 0.00169369 and 0.00169366).
    theirs, ours = same_start(SklearnMLPRegressor, MLPRegressor, xr, yr[:, 0], **params)
    fit_both(theirs, ours, xr, yr[:, 0], max_iter=3000, tol=1e-6)
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        two = MLPRegressor(solver="lbfgs", max_iter=300, random_state=0, **params).fit(xr, yr)
    assert two.predict(xr).shape == (100, 2) and two.score(xr, yr) > 0.95

    dense = MLPClassifier(solver="lbfgs", hidden_layer_sizes=(8,), max_iter=20, random_state=0)
    sparse = MLPClassifier(solver="lbfgs", hidden_layer_sizes=(8,), max_iter=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        dense.fit(x, y)
        sparse.fit(scipy.sparse.csr_matrix(x), y)
        assert sparse.loss_ == pytest.approx(dense.loss_, rel=1e-9)
        sparse.set_params(warm_start=True, max_iter=5).fit(scipy.sparse.csr_matrix(x), y)
    assert sparse.n_iter_ == 5 and sparse.loss_ < dense.loss_  # continued from the 20 iterations' weights


def test_poisson_loss_matches_sklearn():
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(80, 3))
    y = rng.poisson(np.exp(x @ [0.5, -0.3, 1.0]))
    theirs, ours = same_start(SklearnMLPRegressor, MLPRegressor, x, y, loss="poisson", hidden_layer_sizes=(4,))
    assert ours.loss == "poisson" and ours.get_params() == theirs.get_params()
    fit_both(theirs, ours, x, y, max_iter=1)
    assert largest_difference(theirs, ours) < 1e-6  # Keras's Poisson loss takes log(p + 1e-7): measured 2e-8
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-6)  # the half deviance, constant terms included
    # With identity hidden units the network is a Poisson GLM, whose predictions at the minimum are unique.
    theirs, ours = same_start(SklearnMLPRegressor, MLPRegressor, x, y, loss="poisson", hidden_layer_sizes=(2,),
                              activation="identity", alpha=0.0)
    fit_both(theirs, ours, x, y, max_iter=500, tol=1e-8)
    np.testing.assert_allclose(ours.predict(x), theirs.predict(x), rtol=1e-4)
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-6)
