"""Keras's formulas of the built-in losses written with fastmlp.ops, for when a user's loss or metric
calls one on traced tensors (``keras.losses.binary_crossentropy(y_true, y_pred)`` inside a custom loss).
Each returns the per-sample values, as the core's loss of the same class computes them on arrays
(tests compare the two)."""

from fastmlp import ops

_EPSILON = 1e-7


def _mean_last(values):
    return ops.mean(values, axis=-1)


def _probabilities(y_pred, config):
    return ops.sigmoid(y_pred) if config.get("from_logits") else y_pred


def _smoothed(y_true, config, classes=None):
    smoothing = config.get("label_smoothing") or 0.0
    if not smoothing:
        return y_true
    if classes is None:  # binary: toward 0.5
        return ops.add(ops.multiply(y_true, 1.0 - smoothing), 0.5 * smoothing)
    return ops.add(ops.multiply(y_true, 1.0 - smoothing), smoothing / classes)


def _binary_crossentropy(y_true, y_pred, config):
    y_true = _smoothed(y_true, config)
    return _mean_last(ops.binary_crossentropy(y_true, y_pred, from_logits=bool(config.get("from_logits"))))


def _categorical_crossentropy(y_true, y_pred, config):
    y_true = _smoothed(y_true, config, classes=ops.shape(y_pred)[-1])
    return ops.categorical_crossentropy(y_true, y_pred, from_logits=bool(config.get("from_logits")))


def _sparse_categorical_crossentropy(y_true, y_pred, config):
    return ops.sparse_categorical_crossentropy(y_true, y_pred, from_logits=bool(config.get("from_logits")))


def _clipped(values):
    return ops.clip(values, _EPSILON, 1e30)


_FORMULAS = {
    "MeanSquaredError": lambda t, p, c: _mean_last(ops.square(ops.subtract(p, t))),
    "MeanAbsoluteError": lambda t, p, c: _mean_last(ops.abs(ops.subtract(p, t))),
    "MeanAbsolutePercentageError": lambda t, p, c: ops.multiply(
        _mean_last(ops.abs(ops.divide(ops.subtract(t, p), ops.maximum(ops.abs(t), _EPSILON)))), 100.0),
    "MeanSquaredLogarithmicError": lambda t, p, c: _mean_last(ops.square(ops.subtract(
        ops.log(ops.add(ops.maximum(p, _EPSILON), 1.0)), ops.log(ops.add(ops.maximum(t, _EPSILON), 1.0))))),
    "BinaryCrossentropy": _binary_crossentropy,
    "CategoricalCrossentropy": _categorical_crossentropy,
    "SparseCategoricalCrossentropy": _sparse_categorical_crossentropy,
    "Poisson": lambda t, p, c: _mean_last(ops.subtract(p, ops.multiply(t, ops.log(ops.add(p, _EPSILON))))),
    "KLDivergence": lambda t, p, c: ops.sum(ops.multiply(
        ops.clip(t, _EPSILON, 1.0), ops.log(ops.divide(ops.clip(t, _EPSILON, 1.0), ops.clip(p, _EPSILON, 1.0)))),
        axis=-1),
    "Hinge": lambda t, p, c: _mean_last(ops.maximum(ops.subtract(1.0, ops.multiply(_signed(t), p)), 0.0)),
    "SquaredHinge": lambda t, p, c: _mean_last(ops.square(ops.maximum(ops.subtract(1.0, ops.multiply(_signed(t), p)),
                                                                      0.0))),
}


def _signed(y_true):
    """Keras's hinge losses take labels in {0, 1} as {-1, 1}."""
    return ops.where(ops.equal(y_true, 0.0), -1.0, y_true)


def per_sample(class_name, config, y_true, y_pred):
    formula = _FORMULAS.get(class_name)
    if formula is None:
        raise TypeError(f"the loss {class_name} cannot be used inside a traced loss or metric yet; the losses that "
                        f"can are {', '.join(sorted(_FORMULAS))}")
    return formula(y_true, y_pred, config)
