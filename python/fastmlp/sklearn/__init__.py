"""scikit-learn estimators trained by fastmlp's C++ core: the same code as with scikit-learn, one import changed.

    from fastmlp.sklearn import MLPClassifier     # instead of: from sklearn.neural_network import MLPClassifier
    clf = MLPClassifier(hidden_layer_sizes=(50,), max_iter=100, random_state=0).fit(x_train, y_train)
    clf.score(x_test, y_test)

They take scikit-learn's constructor parameters with their meaning, expose the same fitted attributes,
and pass scikit-learn's ``check_estimator``; they work in Pipeline, GridSearchCV and cross_val_score,
and pickle. ``Perceptron`` is the classic perceptron learning rule with a step activation.

The MLPs convert to and from scikit-learn's own (``MLPClassifier.from_sklearn(fitted)``,
``estimator.to_sklearn()``), and ``register_skl2onnx_converters()`` lets skl2onnx convert pipelines
that hold them to ONNX.
"""

try:
    import sklearn as _sklearn  # noqa: F401 - only to give a helpful message when it is missing
except ImportError as error:  # pragma: no cover - scikit-learn is an optional dependency
    raise ImportError("fastmlp.sklearn needs scikit-learn: pip install scikit-learn") from error

from fastmlp.sklearn._mlp import MLPClassifier, MLPRegressor
from fastmlp.sklearn._perceptron import Perceptron



def register_skl2onnx_converters():
    """Registers fastmlp.sklearn's MLPClassifier and MLPRegressor with skl2onnx (``pip install
    'fastmlp[skl2onnx]'``), as a library that brings its own estimators does: afterwards
    ``skl2onnx.to_onnx(pipeline, X[:1])`` converts any pipeline that holds them, with the classifier's
    ``zipmap`` and ``nocl`` options. Calling it again changes nothing."""
    from fastmlp._interop.skl2onnx_converters import register_skl2onnx_converters as register
    register(MLPClassifier, MLPRegressor)


__all__ = ["MLPClassifier", "MLPRegressor", "Perceptron", "register_skl2onnx_converters"]
