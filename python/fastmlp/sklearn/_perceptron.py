"""The classic perceptron: a step unit ``h(x) = 1 if w.x + b > 0 else 0`` trained by Rosenblatt's rule
``w <- w + eta0 * (y - h(x)) * x`` (and ``b <- b + eta0 * (y - h(x))``), one sample at a time.

The rule is online by definition (each update changes the next prediction), so it runs as a loop over
samples in NumPy, vectorised over classes; it is meant for the small problems the perceptron is taught
with (logic gates, linearly separable data), not for speed. Multiclass problems train one unit per class
(one-vs-rest) and predict the class with the largest ``w.x + b``.

As scikit-learn's Perceptron, float32 input gives float32 weights (``coef_``, ``intercept_``) and any other
input float64; the first fit fixes the dtype, later input is converted to it.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval
from sklearn.utils.multiclass import unique_labels
from sklearn.utils.validation import check_is_fitted, validate_data

# scikit-learn's choice: float32 input stays float32, anything else becomes float64.
_DTYPES = (np.float64, np.float32)


class Perceptron(ClassifierMixin, BaseEstimator):
    """Rosenblatt's perceptron with scikit-learn's estimator API.

    Args:
        eta0: the learning rate ``a`` of the rule.
        max_iter: the most epochs (passes over the data) that ``fit`` runs.
        tol: stop once the fraction of misclassified samples in an epoch has not fallen by more than
            ``tol`` for ``n_iter_no_change`` epochs (None: only stop at max_iter or an epoch without
            mistakes).
        shuffle: visit the samples in a new random order each epoch.
        random_state: seed (or ``numpy.random.RandomState``) of that order.
        n_iter_no_change: epochs without improvement before stopping.

    Attributes: ``coef_`` (1 or n_classes, n_features), ``intercept_``, ``classes_``, ``n_iter_``,
    ``t_`` (updates counted in samples seen), ``n_features_in_``.
    """

    _parameter_constraints = {
        "eta0": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, *, eta0=1.0, max_iter=1000, tol=1e-3, shuffle=True, random_state=0, n_iter_no_change=5):
        self.eta0 = eta0
        self.max_iter = max_iter
        self.tol = tol
        self.shuffle = shuffle
        self.random_state = random_state
        self.n_iter_no_change = n_iter_no_change

    def fit(self, X, y):
        """Trains from zero weights until an epoch makes no mistake, the stopping rule fires or
        ``max_iter`` epochs have run. Returns self."""
        self._validate_params()
        X, y = validate_data(self, X, y, dtype=_DTYPES)
        self._start(unique_labels(y), X.shape[1], X.dtype)
        converged = self._epochs(X, y, self.max_iter)
        if not converged:
            warnings.warn(f"Maximum number of iteration reached before convergence ({self.max_iter} epochs). "
                          "Consider increasing max_iter to improve the fit.", ConvergenceWarning)
        return self

    def partial_fit(self, X, y, classes=None):
        """One epoch of the rule over (X, y); the first call needs ``classes``."""
        self._validate_params()
        first_call = not hasattr(self, "classes_")
        if first_call and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        X, y = validate_data(self, X, y, dtype=_DTYPES, reset=first_call)
        if first_call:
            self._start(unique_labels(classes), X.shape[1], X.dtype)
        elif len(np.setdiff1d(unique_labels(y), self.classes_)):
            raise ValueError(f"`y` has classes not in `self.classes_` ({self.classes_}): {unique_labels(y)}")
        self._epochs(X.astype(self.coef_.dtype, copy=False), y, 1)
        return self

    def _start(self, classes, n_features, dtype):
        if len(classes) < 2:
            raise ValueError(f"Perceptron needs at least two classes, but only one class is present: {classes}")
        self.classes_ = np.asarray(classes)
        units = 1 if len(classes) == 2 else len(classes)
        self.coef_ = np.zeros((units, n_features), dtype=dtype)
        self.intercept_ = np.zeros(units, dtype=dtype)
        self.n_iter_ = 0
        self.t_ = 0
        self._rng = check_random_state(self.random_state)
        self._best_error = np.inf
        self._no_improvement_count = 0

    def _targets(self, y):
        """0/1 targets, one column per unit: y == classes_[1] for two classes, one-hot otherwise."""
        dtype = self.coef_.dtype
        if len(self.classes_) == 2:
            return (y == self.classes_[1]).astype(dtype).reshape(-1, 1)
        return (y.reshape(-1, 1) == self.classes_.reshape(1, -1)).astype(dtype)

    def _epochs(self, X, y, epochs):
        """Runs up to ``epochs`` epochs; True when training stopped because it converged."""
        targets = self._targets(y)
        weights, bias = self.coef_, self.intercept_  # updated in place
        for _ in range(epochs):
            order = self._rng.permutation(len(X)) if self.shuffle else np.arange(len(X))
            mistakes = 0
            for i in order:
                error = targets[i] - (weights @ X[i] + bias > 0)  # y - h(x): -1, 0 or 1 per unit
                if error.any():
                    weights += self.eta0 * np.outer(error, X[i])
                    bias += self.eta0 * error
                    mistakes += 1
            self.n_iter_ += 1
            self.t_ += len(X)
            if mistakes == 0:
                return True
            if self.tol is not None and self._no_progress(mistakes / len(X)):
                return True
        return False

    def _no_progress(self, error_rate):
        """scikit-learn's rule: too many epochs in a row whose error rate did not beat the best by tol."""
        if error_rate > self._best_error - self.tol:
            self._no_improvement_count += 1
        else:
            self._no_improvement_count = 0
        self._best_error = min(self._best_error, error_rate)
        return self._no_improvement_count >= self.n_iter_no_change

    def decision_function(self, X):
        """``w.x + b`` per row (one column per class when there are more than two), in the weights' dtype."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=_DTYPES, reset=False).astype(self.coef_.dtype, copy=False)
        scores = X @ self.coef_.T + self.intercept_
        return scores.ravel() if scores.shape[1] == 1 else scores

    def predict(self, X):
        """The step unit's class: classes_[1] where ``w.x + b > 0`` (the largest score for multiclass)."""
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]
