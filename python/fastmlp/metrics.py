"""Metrics with Keras's names, computed in C++ as the epoch runs. Pass names (``metrics=["accuracy"]``)
or these objects (``metrics=[Precision(name="prec")]``); the history key is the name."""

import numbers

from fastmlp._naming import snake_case


class Metric:
    """Names a metric the C++ core computes; ``name`` is the key shown in logs and history."""

    _kind = None

    def __init__(self, name=None):
        self.name = name or snake_case(type(self).__name__)

    def get_config(self):
        return {"name": self.name}


def _metric(class_name, kind, doc):
    return type(class_name, (Metric,), {"_kind": kind, "__doc__": doc})


Accuracy = _metric("Accuracy", "accuracy", "Accuracy, resolved from the loss as Keras resolves 'accuracy'.")
BinaryAccuracy = _metric("BinaryAccuracy", "binary_accuracy", "Mean of (y_pred > 0.5) == y_true.")
CategoricalAccuracy = _metric("CategoricalAccuracy", "categorical_accuracy", "argmax(y_pred) == argmax(y_true).")
SparseCategoricalAccuracy = _metric("SparseCategoricalAccuracy", "sparse_categorical_accuracy",
                                    "argmax(y_pred) == the integer label.")
TopKCategoricalAccuracy = _metric("TopKCategoricalAccuracy", "top_k_categorical_accuracy",
                                  "The true class is among the k highest predictions (k=5 by default).")
MeanSquaredError = _metric("MeanSquaredError", "mse", "mean((y_pred - y_true)**2).")
MeanAbsoluteError = _metric("MeanAbsoluteError", "mae", "mean(|y_pred - y_true|).")
Precision = _metric("Precision", "precision", "TP / (TP + FP) over the epoch, each output thresholded at 0.5.")
Recall = _metric("Recall", "recall", "TP / (TP + FN) over the epoch, each output thresholded at 0.5.")
AUC = _metric("AUC", "auc", "Area under the ROC curve from 200 thresholds (Keras's interpolation rule).")
AUC.__init__ = lambda self, name="auc": Metric.__init__(self, name)


def _top_k_init(self, k=5, name="top_k_categorical_accuracy"):
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise TypeError(f"TopKCategoricalAccuracy k must be a positive integer, got {k!r}")
    if k < 1:
        raise ValueError(f"TopKCategoricalAccuracy k must be >= 1, got {k}")
    Metric.__init__(self, name)
    self.k = int(k)
    # The C++ core's name for this metric: plain for Keras's default k, with the k otherwise.
    self._kind = "top_k_categorical_accuracy" if self.k == 5 else f"top_k_categorical_accuracy(k={self.k})"


def _top_k_config(self):
    return {"name": self.name, "k": self.k}


TopKCategoricalAccuracy.__init__ = _top_k_init
TopKCategoricalAccuracy.get_config = _top_k_config


# Whether a larger value is better ("up") or worse ("down"), Keras's Metric._direction.
_DOWN = {"mse", "mean_squared_error", "mae", "mean_absolute_error"}


def direction(kind):
    """"up" or "down" for a C++ metric name, as the auto mode of EarlyStopping reads it."""
    return "down" if kind in _DOWN else "up"


def resolve(identifier):
    """(C++ metric name, display name) for a metric name or object."""
    if isinstance(identifier, str):
        return identifier, identifier
    if isinstance(identifier, Metric):
        return identifier._kind, identifier.name
    raise TypeError(f"metrics must be names such as 'accuracy' or fastmlp.metrics objects; got {identifier!r} "
                    "(custom Python metrics cannot run inside the C++ training loop)")
