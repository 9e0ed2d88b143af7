"""scikit-learn estimators trained by fastmlp's C++ core: the same code as with scikit-learn, one import changed.

    from fastmlp.sklearn import MLPClassifier     # instead of: from sklearn.neural_network import MLPClassifier
    clf = MLPClassifier(hidden_layer_sizes=(50,), max_iter=100, random_state=0).fit(x_train, y_train)
    clf.score(x_test, y_test)

They take scikit-learn's constructor parameters with their meaning, expose the same fitted attributes,
and pass scikit-learn's ``check_estimator``; they work in Pipeline, GridSearchCV and cross_val_score,
and pickle. ``Perceptron`` is the classic perceptron learning rule with a step activation.
"""

try:
    import sklearn as _sklearn  # noqa: F401 - only to give a helpful message when it is missing
except ImportError as error:  # pragma: no cover - scikit-learn is an optional dependency
    raise ImportError("fastmlp.sklearn needs scikit-learn: pip install scikit-learn") from error

from fastmlp.sklearn._mlp import MLPClassifier, MLPRegressor
from fastmlp.sklearn._perceptron import Perceptron

__all__ = ["MLPClassifier", "MLPRegressor", "Perceptron"]
