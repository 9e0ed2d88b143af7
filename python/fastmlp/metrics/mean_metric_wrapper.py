"""MeanMetricWrapper: a metric function ``fn(y_true, y_pred)`` as a metric, the mean of its values over
every sample seen, as Keras wraps a function given to ``compile(metrics=[fn])``. The function is traced
once for the model's output into a graph the C++ loop runs on each batch."""

import numpy as np

from fastmlp.tracing.symbolic import is_traced


class MeanMetricWrapper:
    def __init__(self, fn, name=None, dtype=None, **kwargs):
        self.fn = fn
        self.name = name if name is not None else getattr(fn, "__name__", "metric")
        self.dtype = dtype
        self._fn_kwargs = kwargs
        self.reset_state()

    def _values(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    # ---- Keras's stateful API on arrays --------------------------------------------------------------
    def update_state(self, y_true, y_pred, sample_weight=None):
        values = np.asarray(self._values(np.asarray(y_true, np.float32), np.asarray(y_pred, np.float32)), np.float64)
        values = values.reshape(len(values), -1).mean(axis=1) if values.ndim > 1 else values.reshape(-1)
        weights = np.ones_like(values) if sample_weight is None else \
            np.broadcast_to(np.asarray(sample_weight, np.float64).reshape(-1), values.shape)
        self._total += float(np.sum(values * weights))
        self._count += float(np.sum(weights))

    def result(self):
        return self._total / self._count if self._count else 0.0

    def reset_state(self):
        self._total, self._count = 0.0, 0.0

    def __call__(self, y_true, y_pred, sample_weight=None):
        if is_traced(y_true, y_pred):
            return self._values(y_true, y_pred)
        self.update_state(y_true, y_pred, sample_weight)
        return self.result()

    @property
    def higher_is_better(self):
        # Keras's "auto" mode: accuracies and AUCs improve upward, everything else downward.
        return any(word in self.name for word in ("acc", "auc", "precision", "recall"))

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "fn": getattr(self.fn, "__name__", repr(self.fn))}

    def _traced_core(self, true_width, pred_width, dtype):
        from fastmlp.tracing.functions import traced_metric_core
        return traced_metric_core(self._values, self.name, true_width, pred_width, dtype, self.higher_is_better)
