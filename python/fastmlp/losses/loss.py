"""The base class of every loss: a core loss plus Keras's reduction and name, which only matter when a
loss is called on arrays (models always train with "sum_over_batch_size")."""

import inspect

import numpy as np

from fastmlp import _registered
from fastmlp._convert import as_targets
from fastmlp.losses.user_loss import _REDUCTIONS, Loss
from fastmlp.tracing.symbolic import is_traced



def default_name(class_name):
    """Keras's default name of a loss class: its first lower-case alias ("mean_squared_error")."""
    aliases = _registered.entries("loss")[class_name]["aliases"]
    return next((alias for alias in aliases if alias.islower()), class_name)


def per_sample(core, y_true, y_pred):
    """The core loss's per-sample values for (y_true, y_pred), each (samples, outputs) or a vector: in
    float64 when y_pred is float64 (a float64 model's output), else in float32."""
    dtype = "float64" if getattr(y_pred, "dtype", None) == np.float64 else "float32"
    return core.per_sample(as_targets(y_true, "y_true", dtype), as_targets(y_pred, "y_pred", dtype))


class CoreLoss(_registered.CoreView, Loss):
    """A built-in loss, computed by the core. ``loss(y_true, y_pred, sample_weight=None)`` returns the
    per-sample losses reduced as ``reduction`` says: "sum_over_batch_size" (the default: the mean over
    samples of the weighted losses), "sum", or "none"/None (the weighted per-sample losses)."""

    _kind = "loss"

    def _create(self, arguments):
        reduction = arguments.pop("reduction")
        if reduction not in _REDUCTIONS:
            raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")
        arguments.pop("dtype", None)
        self.name = arguments.pop("name")
        self.reduction = reduction
        super()._create(arguments)

    @classmethod
    def _wrap(cls, core):
        view = super()._wrap(core)
        view.name, view.reduction = default_name(core.class_name), "sum_over_batch_size"
        return view

    def __call__(self, y_true, y_pred, sample_weight=None):
        if is_traced(y_true, y_pred):  # inside a user's loss or metric: the same formula, traced
            from fastmlp.losses import formulas
            from fastmlp.losses.user_loss import reduce_values
            return reduce_values(formulas.per_sample(self._core.class_name, self.get_config(), y_true, y_pred),
                                 self.reduction, sample_weight)
        values = per_sample(self._core, y_true, y_pred)
        if sample_weight is not None:
            values = values * np.asarray(sample_weight, dtype=values.dtype).reshape(-1)
        if self.reduction in ("none", None):
            return values
        if self.reduction == "sum":
            return float(np.sum(values))
        return float(np.mean(values))

    def get_config(self):
        return {**super().get_config(), "name": self.name, "reduction": self.reduction}


def python_parameters(class_name):
    """Keras's arguments of every loss class that the core does not hold."""
    keyword = inspect.Parameter.POSITIONAL_OR_KEYWORD
    return [inspect.Parameter("reduction", keyword, default="sum_over_batch_size"),
            inspect.Parameter("name", keyword, default=default_name(class_name)),
            inspect.Parameter("dtype", keyword, default=None)]
