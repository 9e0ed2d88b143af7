"""The base class of every metric, with Keras's stateful API.

A built-in metric (``Precision()``, ``AUC()``, made from the C++ registry) names a metric the core
computes as the epoch runs; used on its own (``m.update_state(y_true, y_pred)``, ``m.result()``) it
keeps its running state in a float64 NumPy buffer and adds each batch to it with the C++ metric's own
accumulate and result, so the numbers are those fit logs.

A user's subclass (``class MyMetric(fastmlp.metrics.Metric)``) is Keras's: ``__init__`` calls
``super().__init__(name=..., dtype=...)`` and creates its state with ``add_variable``; ``update_state``
and ``result`` run eagerly on NumPy arrays, the variables being ``fastmlp.Variable`` objects kept in
``self._metric_variables`` in creation order.
"""

import numpy as np

from fastmlp import _dtypes, _registered
from fastmlp._naming import snake_case, unique_name
from fastmlp.variables import Variable, _dtype_name

# Keras's variables of the built-in metrics, as parts of the core's state (how each metric lays its
# state out is in cpp/src/metrics): "split" cuts the state into equal consecutive parts, "interleaved"
# takes every n-th number (AUC keeps its four counts side by side per threshold). The others are
# means: the state's one number is Keras's "total", and the sample count its "count".
_STATE_PARTS = {
    "Precision": ("split", ("true_positives", "false_positives")),
    "Recall": ("split", ("true_positives", "false_negatives")),
    "AUC": ("interleaved", ("true_positives", "false_positives", "true_negatives", "false_negatives")),
    **{name: ("split", ("accumulator",)) for name in ("TruePositives", "FalsePositives", "TrueNegatives",
                                                      "FalseNegatives")},
}

# The mean metrics whose Keras function compares outputs one by one, without reducing the last axis.
_ELEMENTWISE = ("Accuracy", "BinaryAccuracy")


class Metric(_registered.CoreView):
    """Keras's metric: ``update_state(y_true, y_pred, sample_weight=None)`` adds a batch,
    ``result()`` gives the value so far (a float, or an array for a metric of several values),
    ``reset_state()`` starts again, ``m(y_true, y_pred)`` does both (and returns the running result,
    as Keras's ``__call__``), ``variables`` holds the state.

    Built-in metrics name what the C++ core computes during fit (``name``: the key in logs and
    history; ``higher_is_better``: which way it improves). Subclass this class to write a metric in
    Python, as in Keras: ``super().__init__(name=name, dtype=dtype)``, then ``add_variable``.
    """

    _kind = "metric"

    def __init__(self, *args, **kwargs):
        if self._class_name is not None:  # a built-in metric (or a user's subclass of one)
            super().__init__(*args, **kwargs)
            self._dtype = _dtypes.floatx()
        else:
            self._init_metric(*args, **kwargs)

    def _init_metric(self, dtype=None, name=None):
        # Keras's Metric.__init__(dtype=None, name=None).
        object.__setattr__(self, "_metric_variables", [])
        object.__setattr__(self, "_metrics", [])
        self._name = name or unique_name(snake_case(type(self).__name__))
        self._dtype = _dtypes.floatx() if dtype is None else _dtype_name(dtype, f"metric {self._name!r}")

    def _is_builtin(self):
        return "_core" in self.__dict__

    def __setattr__(self, name, value):
        # Variables and metrics set as attributes are the metric's state, as Keras tracks them.
        tracked = self.__dict__.get("_metric_variables")
        if tracked is not None and isinstance(value, Variable) and not any(value is v for v in tracked):
            tracked.append(value)
        metrics = self.__dict__.get("_metrics")
        if metrics is not None and isinstance(value, Metric) and value is not self and \
                not any(value is m for m in metrics):
            metrics.append(value)
        super().__setattr__(name, value)

    # ---- what every metric shows -----------------------------------------------------------------
    @property
    def name(self):
        return self._core.name if self._is_builtin() else self.__dict__["_name"]

    @name.setter
    def name(self, value):
        if self._is_builtin():
            raise AttributeError("a built-in metric's name is fixed when it is created (pass name=...)")
        self.__dict__["_name"] = str(value)

    @property
    def dtype(self):
        return self.__dict__.get("_dtype", "float32")

    @property
    def higher_is_better(self):
        """Which way the metric improves, for the "auto" mode of EarlyStopping and ModelCheckpoint. A user's
        metric: Keras's ``_direction`` ("up" or "down") when the class sets one, else guessed from the name
        as for metric functions (accuracies, AUC, precision and recall go up)."""
        if self._is_builtin():
            return self._core.higher_is_better
        direction = getattr(self, "_direction", None)
        if direction in ("up", "down"):
            return direction == "up"
        return any(word in self.name for word in ("acc", "auc", "precision", "recall"))

    @property
    def variables(self):
        """The metric's state as fastmlp.Variables (non-trainable), in Keras's order."""
        if self._is_builtin():
            return self._builtin_variables()
        self._check_super_called()
        variables = list(self._metric_variables)
        for metric in self._metrics:
            variables.extend(metric.variables)
        return variables

    # ---- a user's metric -------------------------------------------------------------------------
    def _check_super_called(self):
        if "_metric_variables" not in self.__dict__ and not self._is_builtin():
            raise RuntimeError("You forgot to call `super().__init__()` in the `__init__()` method. Go add it!")

    def add_variable(self, shape, initializer="zeros", dtype=None, aggregation="sum", name=None):
        """A new state variable of ``shape`` (``()`` for a number), filled by ``initializer`` (a name,
        a fastmlp initializer or a callable), in ``dtype`` (the metric's when None); non-trainable, as
        Keras makes a metric's variables."""
        self._check_super_called()
        if self._is_builtin():
            raise TypeError(f"{type(self).__name__} keeps its state in the C++ metric; subclass "
                            "fastmlp.metrics.Metric to write a metric with variables of its own")
        variable = Variable("zeros" if initializer is None else initializer, shape=tuple(shape),
                            dtype=self.dtype if dtype is None else dtype, trainable=False, aggregation=aggregation,
                            synchronization="on_read", name=name)
        variable._path = f"{self.name.replace('/', '>')}/{variable.name}"
        self._metric_variables.append(variable)
        return variable

    def add_weight(self, shape=(), initializer=None, dtype=None, name=None):
        """Keras's older name for ``add_variable``."""
        return self.add_variable(shape=shape, initializer=initializer, dtype=dtype, name=name)

    # ---- the stateful API ------------------------------------------------------------------------
    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds a batch to the state. ``sample_weight``: one weight per sample (or a number for the
        whole batch), as Keras weights the batch's values or confusion counts."""
        if not self._is_builtin():
            raise NotImplementedError
        # Keras's confusion metrics, Accuracy and BinaryAccuracy score every output (a 1-D batch is a
        # column); the others reduce the last axis (a 1-D batch is one sample).
        class_name = self._core.class_name
        y_true, y_pred = _pair(y_true, y_pred, class_name in _STATE_PARTS or class_name in _ELEMENTWISE)
        weights = _weights(sample_weight, len(y_pred), y_pred.dtype)
        buffer = self._buffer()
        if self._core.class_name == "Accuracy":
            # Keras's Accuracy used on its own compares values exactly (in fit, "accuracy" is the
            # accuracy the loss calls for, which the core resolves).
            if y_true.shape != y_pred.shape:
                raise ValueError(f"Accuracy needs y_true and y_pred of one shape, got {y_true.shape} and "
                                 f"{y_pred.shape}")
            added = np.zeros(1)
            values = (y_true == y_pred).mean(axis=1)
            added[0] = values.sum() if weights is None or np.ndim(weights) == 0 else values @ weights
        else:
            added = np.zeros(self._core.state_size)
            self._core.accumulate(y_true, y_pred, added, None if np.ndim(weights) == 0 else weights)
        if weights is None:
            count = float(len(y_pred))
        elif np.ndim(weights) == 0:
            # Keras: a number weighs the batch, which counts as one sample of that weight (its mean
            # value), or multiplies every confusion count.
            count = float(weights)
            added *= float(weights) if self._core.class_name in _STATE_PARTS else float(weights) / len(y_pred)
        else:
            count = float(weights.sum(dtype=np.float64))
        buffer[:-1] += added
        buffer[-1] += count

    def result(self):
        """The metric's value so far: a float, or an array of one value per threshold."""
        if not self._is_builtin():
            raise NotImplementedError
        buffer = self._buffer()
        if self._core.class_name == "Accuracy":
            values = np.array([buffer[0] / buffer[1] if buffer[1] else 0.0])
        else:
            values = self._core.result(np.ascontiguousarray(buffer[:-1]), float(buffer[-1]))
        return float(values[0]) if len(values) == 1 else values

    def reset_state(self):
        """Starts the state again: every variable set to zeros, as Keras's reset_state does."""
        if self._is_builtin():
            self._buffer()[...] = 0
            return
        for variable in self.variables:
            variable.assign(np.zeros(variable.shape, dtype=variable.value.dtype))

    def __call__(self, y_true, y_pred, sample_weight=None):
        """``update_state`` then ``result()``, as Keras's ``metric(y_true, y_pred)``."""
        self._check_super_called()
        self.update_state(y_true, y_pred, sample_weight=sample_weight)
        return self.result()

    # ---- a built-in metric's state -------------------------------------------------------------
    def _buffer(self):
        """The metric's state used on its own: the core's state numbers, then the sample count (or the
        total sample weight), in float64 (made on first use; metrics of a loaded model come without)."""
        buffer = self.__dict__.get("_state")
        if buffer is None:
            buffer = np.zeros((1 if self._core.class_name == "Accuracy" else self._core.state_size) + 1)
            self.__dict__["_state"] = buffer
        return buffer

    def _builtin_variables(self):
        buffer = self._buffer()
        layout, names = _STATE_PARTS.get(self._core.class_name, ("mean", ("total", "count")))
        if layout == "mean":
            parts = {"total": lambda: buffer[0:1].reshape(()), "count": lambda: buffer[-1:].reshape(())}
        elif layout == "split":
            size = (len(buffer) - 1) // len(names)
            parts = {name: (lambda i=i: buffer[i * size:(i + 1) * size]) for i, name in enumerate(names)}
        else:
            parts = {name: (lambda i=i: buffer[:-1].reshape(-1, len(names))[:, i]) for i, name in enumerate(names)}
        cache = self.__dict__.setdefault("_state_variables", [])
        if not cache:
            cache.extend(Variable._view(parts[name], name, f"{self.name}/{name}", trainable=False) for name in names)
        return list(cache)

    # ---- configuration ---------------------------------------------------------------------------
    def get_config(self):
        if self._is_builtin():
            return super().get_config()
        return {"name": self.name, "dtype": self.dtype}

    def serialize(self):
        if self._is_builtin():
            return super().serialize()
        return {"class_name": type(self).__name__, "config": self.get_config()}

    def __repr__(self):
        if self._is_builtin():
            return super().__repr__()
        return f"<{type(self).__name__} name={self.name}>"


def _as_array(value, who, dtype=None):
    array = np.asarray(value.value if isinstance(value, Variable) else value)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{who} must hold numbers, got an array of dtype {array.dtype}")
    return array if dtype is None else np.ascontiguousarray(array, dtype=dtype)


def _pair(y_true, y_pred, elementwise):
    """y_true and y_pred as 2-D arrays of one float dtype (float64 when y_pred is, else float32, as
    Keras computes in its float32). A 1-D y_pred is one sample of that many outputs for a metric whose
    Keras function reduces the last axis, and a column (one output per sample) for one that scores
    every output (``elementwise``); a 1-D y_true next to a 2-D y_pred is a column."""
    y_pred = _as_array(y_pred, "y_pred")
    dtype = np.float64 if y_pred.dtype == np.float64 else np.float32
    y_pred = np.ascontiguousarray(y_pred, dtype=dtype)
    y_true = _as_array(y_true, "y_true", dtype)
    if y_pred.ndim == 0 or y_true.ndim == 0:
        y_pred, y_true = y_pred.reshape(1, -1), y_true.reshape(1, -1)
    elif y_pred.ndim == 1:
        y_pred = y_pred.reshape(-1, 1) if elementwise else y_pred.reshape(1, -1)
        y_true = y_true.reshape(y_pred.shape) if y_true.size == y_pred.size else y_true.reshape(-1, 1)
    elif y_true.ndim == 1:
        y_true = y_true.reshape(-1, 1)
    if y_pred.ndim > 2 or y_true.ndim > 2:
        # Rows are samples: later axes are outputs, as a dense network's targets are.
        y_pred, y_true = y_pred.reshape(len(y_pred), -1), y_true.reshape(len(y_true), -1)
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true and y_pred must hold the same number of samples, got {len(y_true)} and {len(y_pred)}")
    return np.ascontiguousarray(y_true), np.ascontiguousarray(y_pred)


def _weights(sample_weight, rows, dtype):
    """None, a number (weighing the whole batch), or one weight per sample in ``dtype``."""
    if sample_weight is None:
        return None
    weights = _as_array(sample_weight, "sample_weight")
    if weights.ndim == 0:
        return float(weights)
    if weights.ndim == 2 and weights.shape[1] == 1:
        weights = weights[:, 0]
    if weights.shape != (rows,):
        raise ValueError(f"sample_weight must hold one weight per sample ({rows}), got shape {weights.shape}")
    return np.ascontiguousarray(weights, dtype=dtype)
