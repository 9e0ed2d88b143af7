"""``fastmlp.losses.Loss``: Keras's base class for your own losses, and the wrapper Keras puts around a
loss function ``f(y_true, y_pred)``. Both are traced into the C++ loop: the graph of ``call`` (or of
the function) computes the per-sample losses, and the gradient comes from running it backward."""

import numpy as np

from fastmlp._naming import snake_case
from fastmlp.tracing.symbolic import is_traced

_REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "none", None)


def reduce_values(values, reduction, sample_weight=None):
    """Keras's reduction of a loss's values: weighted, then summed or averaged over every element."""
    from fastmlp import ops
    if sample_weight is not None:
        weight = sample_weight
        while ops.ndim(weight) < ops.ndim(values):
            weight = ops.expand_dims(weight, -1)
        values = ops.multiply(values, weight)
    if reduction in ("none", None):
        return values
    total = ops.sum(values)
    if reduction == "sum":
        return total if is_traced(total) else float(total)
    mean = ops.mean(values)
    return mean if is_traced(mean) else float(mean)


class Loss:
    """Subclass it and define ``call(y_true, y_pred)`` with ``fastmlp.ops``, returning the loss of each
    sample (or of each element: the reduction averages them all). ``reduction``: "sum_over_batch_size"
    (Keras's default, the only one a model trains with), "sum" or "none" when called on arrays."""

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        if reduction not in _REDUCTIONS:
            raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")
        self.name = name if name is not None else snake_case(type(self).__name__)
        self.reduction = reduction
        self.dtype = dtype

    def call(self, y_true, y_pred):
        raise NotImplementedError(f"{type(self).__name__} must define call(self, y_true, y_pred)")

    def __call__(self, y_true, y_pred, sample_weight=None):
        if not is_traced(y_true, y_pred):
            y_pred = np.asarray(y_pred, dtype=np.float64 if np.asarray(y_pred).dtype == np.float64 else np.float32)
            y_true = np.asarray(y_true, dtype=y_pred.dtype)
        return reduce_values(self.call(y_true, y_pred), self.reduction, sample_weight)

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def _traced_core(self, true_width, pred_width, dtype):
        """The core loss that runs ``call`` in C++ for targets of ``true_width`` and outputs of ``pred_width``
        columns."""
        from fastmlp.tracing.functions import traced_loss_core
        return traced_loss_core(self.call, true_width, pred_width, dtype, self._keras_class(), self.name)

    def _keras_class(self):
        from fastmlp.layers.tracing_layers import keras_class_of
        return keras_class_of(self)


class LossFunctionWrapper(Loss):
    """A loss function ``fn(y_true, y_pred, **kwargs)`` as a Loss (Keras's class of the same name)."""

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name=name if name is not None else getattr(fn, "__name__", None), reduction=reduction,
                         dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        return {**super().get_config(), "fn": getattr(self.fn, "__name__", repr(self.fn))}
