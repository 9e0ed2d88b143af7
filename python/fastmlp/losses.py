"""Losses with Keras's names: classes (``CategoricalCrossentropy(from_logits=True)``), functions
returning per-sample losses (``mean_squared_error(y_true, y_pred)``), and string aliases ("mse").

All are computed by the C++ kernels used in training; a model's loss is reduced as Keras's default
"sum_over_batch_size": the mean of the per-sample losses (weighted by sample weights if given).
"""

import numpy as np

from fastmlp import _core
from fastmlp._convert import as_targets


# Keras's reductions of the per-sample losses; models always train with the default.
_REDUCTIONS = ("sum_over_batch_size", "sum", "none", None)


class Loss:
    """Base class. ``loss(y_true, y_pred, sample_weight=None)`` returns the per-sample losses reduced
    as ``reduction`` says: "sum_over_batch_size" (the default, the mean over samples of the weighted
    losses), "sum", or "none"/None (the weighted per-sample losses)."""

    def __init__(self, core, name, reduction="sum_over_batch_size"):
        if reduction not in _REDUCTIONS:
            raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")
        self._core = core
        self.name = name
        self.reduction = reduction

    def __call__(self, y_true, y_pred, sample_weight=None):
        per_sample = _per_sample(self._core, y_true, y_pred)
        if sample_weight is not None:
            per_sample = per_sample * np.asarray(sample_weight, dtype=np.float32).reshape(-1)
        if self.reduction in ("none", None):
            return per_sample
        if self.reduction == "sum":
            return float(np.sum(per_sample))
        return float(np.mean(per_sample))

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction, **getattr(self, "_config", {})}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _per_sample(core, y_true, y_pred):
    y_pred = as_targets(y_pred, "y_pred")
    y_true = as_targets(y_true, "y_true")
    return core.per_sample(y_true, y_pred)


def _named_class(class_name, loss_name, doc):
    def __init__(self, reduction="sum_over_batch_size", name=loss_name):
        Loss.__init__(self, _core.make_loss(loss_name), name, reduction)

    return type(class_name, (Loss,), {"__init__": __init__, "__doc__": doc})


MeanSquaredError = _named_class("MeanSquaredError", "mean_squared_error", "mean((y_pred - y_true)**2) over outputs.")
MeanAbsoluteError = _named_class("MeanAbsoluteError", "mean_absolute_error", "mean(|y_pred - y_true|) over outputs.")
MeanAbsolutePercentageError = _named_class(
    "MeanAbsolutePercentageError", "mean_absolute_percentage_error",
    "100 * mean(|y_true - y_pred| / max(|y_true|, epsilon)).")
MeanSquaredLogarithmicError = _named_class(
    "MeanSquaredLogarithmicError", "mean_squared_logarithmic_error",
    "mean((log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1))**2).")
Hinge = _named_class("Hinge", "hinge", "mean(max(1 - y_true * y_pred, 0)), {0, 1} labels read as {-1, 1}.")
SquaredHinge = _named_class("SquaredHinge", "squared_hinge", "mean(max(1 - y_true * y_pred, 0)**2).")
CategoricalHinge = _named_class("CategoricalHinge", "categorical_hinge",
                                "max(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0).")
LogCosh = _named_class("LogCosh", "log_cosh", "mean(log(cosh(y_pred - y_true))).")
KLDivergence = _named_class("KLDivergence", "kl_divergence", "sum(y_true * log(y_true / y_pred)), both clipped.")
Poisson = _named_class("Poisson", "poisson", "mean(y_pred - y_true * log(y_pred + epsilon)).")
CosineSimilarity = _named_class("CosineSimilarity", "cosine_similarity",
                                "-sum(l2_normalize(y_true) * l2_normalize(y_pred)): -1 for aligned rows.")


class Huber(Loss):
    """0.5 * e**2 where |e| <= delta, delta * (|e| - 0.5 * delta) elsewhere, e = y_pred - y_true."""

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss"):
        if not delta > 0:
            raise ValueError(f"Huber delta must be > 0, got {delta!r}")
        self._config = {"delta": float(delta)}
        super().__init__(_core.huber(float(delta)), name, reduction)


def _label_smoothing(value):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) or not 0 <= value <= 1:
        raise ValueError(f"label_smoothing must be a number in [0, 1], got {value!r}")
    return float(value)


class BinaryCrossentropy(Loss):
    """-(y log p + (1 - y) log(1 - p)), p clipped to [1e-7, 1 - 1e-7]; with ``from_logits`` the model's
    outputs are logits and the sigmoid is folded in (exact for any logit). ``label_smoothing`` s
    trains on ``y (1 - s) + s / 2``."""

    def __init__(self, from_logits=False, label_smoothing=0.0, reduction="sum_over_batch_size",
                 name="binary_crossentropy"):
        self._config = {"from_logits": bool(from_logits), "label_smoothing": _label_smoothing(label_smoothing)}
        super().__init__(_core.BinaryCrossentropy(**self._config), name, reduction)


class CategoricalCrossentropy(Loss):
    """-sum(y log p) over classes, p normalised and clipped; ``from_logits`` folds in a log-softmax.
    ``label_smoothing`` s trains on ``y (1 - s) + s / classes``."""

    def __init__(self, from_logits=False, label_smoothing=0.0, reduction="sum_over_batch_size",
                 name="categorical_crossentropy"):
        self._config = {"from_logits": bool(from_logits), "label_smoothing": _label_smoothing(label_smoothing)}
        super().__init__(_core.CategoricalCrossentropy(**self._config), name, reduction)


class SparseCategoricalCrossentropy(Loss):
    """Categorical cross-entropy with integer labels (one column) instead of one-hot rows."""

    def __init__(self, from_logits=False, reduction="sum_over_batch_size", name="sparse_categorical_crossentropy"):
        self._config = {"from_logits": bool(from_logits)}
        super().__init__(_core.SparseCategoricalCrossentropy(bool(from_logits)), name, reduction)


def _function(loss_name):
    core = _core.make_loss(loss_name)

    def loss(y_true, y_pred):
        return _per_sample(core, y_true, y_pred)

    loss.__name__ = loss.__qualname__ = loss_name
    loss.__doc__ = f"Per-sample {loss_name.replace('_', ' ')} (one value per row)."
    loss._fastmlp_name = loss_name
    return loss


mean_squared_error = mse = _function("mean_squared_error")
mean_absolute_error = mae = _function("mean_absolute_error")
mean_absolute_percentage_error = mape = _function("mean_absolute_percentage_error")
mean_squared_logarithmic_error = msle = _function("mean_squared_logarithmic_error")
hinge = _function("hinge")
squared_hinge = _function("squared_hinge")
categorical_hinge = _function("categorical_hinge")
log_cosh = logcosh = _function("log_cosh")


def huber(y_true, y_pred, delta=1.0):
    """Per-sample Huber loss (see ``Huber``)."""
    return _per_sample(Huber(delta)._core, y_true, y_pred)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0):
    """Per-sample binary cross-entropy, the mean over outputs (see ``BinaryCrossentropy``)."""
    return _per_sample(BinaryCrossentropy(from_logits, label_smoothing)._core, y_true, y_pred)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0):
    """Per-sample categorical cross-entropy (see ``CategoricalCrossentropy``)."""
    return _per_sample(CategoricalCrossentropy(from_logits, label_smoothing)._core, y_true, y_pred)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False):
    """Per-sample cross-entropy with integer labels (see ``SparseCategoricalCrossentropy``)."""
    return _per_sample(SparseCategoricalCrossentropy(from_logits)._core, y_true, y_pred)


for _loss_function in (huber, binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy):
    _loss_function._fastmlp_name = _loss_function.__name__
huber_loss = huber

kl_divergence = kld = _function("kl_divergence")
poisson = _function("poisson")
cosine_similarity = _function("cosine_similarity")


# Keras 3's short names, upper case included, beyond those the core knows ("mse", "kld", ...).
_ALIASES = {"bce": "binary_crossentropy", "BCE": "binary_crossentropy", "MSE": "mse", "MAE": "mae",
            "MAPE": "mape", "MSLE": "msle", "KLD": "kld"}
_CLASSES_BY_NAME = {cls.__name__: cls for cls in (
    MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredLogarithmicError, Hinge,
    SquaredHinge, CategoricalHinge, LogCosh, KLDivergence, Poisson, CosineSimilarity, Huber, BinaryCrossentropy,
    CategoricalCrossentropy, SparseCategoricalCrossentropy)}


def get(identifier):
    """A loss object from a name or alias ("mse", "kld", ...), a Loss, or one of this module's functions."""
    if isinstance(identifier, Loss):
        if identifier.reduction != "sum_over_batch_size":
            raise ValueError(f"models train with reduction='sum_over_batch_size' (Keras's default); the loss "
                             f"{identifier.name!r} has reduction={identifier.reduction!r}")
        return identifier
    if isinstance(identifier, str):
        if identifier in _CLASSES_BY_NAME:  # Keras also takes class names: loss="MeanSquaredError"
            return _CLASSES_BY_NAME[identifier]()
        identifier = _ALIASES.get(identifier, identifier)
    name = identifier if isinstance(identifier, str) else getattr(identifier, "_fastmlp_name", None)
    if name is None:
        if identifier is None:
            raise ValueError("compile() needs a loss, such as loss='categorical_crossentropy'")
        raise TypeError(f"loss must be a name such as 'mse', a fastmlp.losses.Loss or a fastmlp.losses function; "
                        f"got {identifier!r} (custom Python losses cannot run inside the C++ training loop)")
    loss = Loss(_core.make_loss(name), name)
    return loss
