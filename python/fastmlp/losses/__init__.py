"""Losses with Keras's names: classes (``CategoricalCrossentropy(from_logits=True)``), functions
returning per-sample losses (``mean_squared_error(y_true, y_pred)``), and string aliases ("mse").

There is a class for every loss the C++ core registers, with Keras's parameters and defaults, and a
function for each of its lower-case names. A model's loss is reduced as Keras's default
"sum_over_batch_size": the mean of the per-sample losses (weighted by sample weights if given).
"""

import inspect

from fastmlp import _registered
from fastmlp.losses import formulas
from fastmlp.losses.loss import CoreLoss, per_sample, python_parameters
from fastmlp.losses.user_loss import Loss, LossFunctionWrapper
from fastmlp.tracing.symbolic import is_traced

_registry = _registered.registry("loss")


def _view_class(class_name):
    cls = type(class_name, (CoreLoss,), {
        "_class_name": class_name, "__module__": __name__,
        "__signature__": _registered.signature("loss", class_name, extra=python_parameters(class_name))})
    cls.__doc__ = _registered.describe(cls, "Keras's loss")
    return cls


def _function(name, class_name, defaults):
    """fastmlp.losses.<name>(y_true, y_pred, **parameters): the per-sample losses."""
    keyword = inspect.Parameter.POSITIONAL_OR_KEYWORD
    signature = inspect.Signature([inspect.Parameter("y_true", keyword), inspect.Parameter("y_pred", keyword)] +
                                  [inspect.Parameter(key, keyword, default=value) for key, value in defaults.items()])

    def loss(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        y_true, y_pred = bound.arguments.pop("y_true"), bound.arguments.pop("y_pred")
        if is_traced(y_true, y_pred):  # inside a user's loss or metric
            return formulas.per_sample(class_name, dict(bound.arguments), y_true, y_pred)
        return per_sample(_registry.create(class_name, dict(bound.arguments)), y_true, y_pred)

    loss.__name__ = loss.__qualname__ = name
    loss.__signature__ = signature
    loss.__module__ = __name__
    loss.__doc__ = f"Per-sample ``{name}{signature}`` (one value per row), as ``{class_name}`` computes it."
    loss._fastmlp_loss = class_name
    return loss


for _class_name, _entry in _registered.entries("loss").items():
    globals()[_class_name] = _view_class(_class_name)
    for _alias in _entry["aliases"]:
        globals()[_alias] = _function(_alias, _class_name, _entry["defaults"])


def get(identifier):
    """A loss from a name or alias ("mse", "MeanSquaredError", ...), a Loss (built-in or your own
    subclass), one of this module's functions, any function ``f(y_true, y_pred)`` (wrapped, as Keras
    wraps it, and traced into the C++ loop), or Keras's serialized form."""
    if isinstance(identifier, CoreLoss):
        if identifier.reduction != "sum_over_batch_size":
            raise ValueError(f"models train with reduction='sum_over_batch_size' (Keras's default); the loss "
                             f"{identifier.name!r} has reduction={identifier.reduction!r}")
        return identifier
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, dict) and "class_name" in identifier:
        return deserialize(identifier)
    class_name = getattr(identifier, "_fastmlp_loss", None)
    if class_name is None and isinstance(identifier, str):
        class_name = _registry.class_name_of(identifier)
        if class_name is None:
            _registry.create(identifier, None)  # raises with the valid names
    if class_name is None:
        if identifier is None:
            raise ValueError("compile() needs a loss, such as loss='categorical_crossentropy'")
        if callable(identifier):
            return LossFunctionWrapper(identifier)
        raise TypeError(f"loss must be a name such as 'mse', a fastmlp.losses.Loss or a function "
                        f"f(y_true, y_pred); got {identifier!r}")
    return globals()[class_name]()


def deserialize(config):
    """A Loss from Keras's serialized form ({"class_name", "config"}) or a name."""
    if isinstance(config, str):
        return get(config)
    cls = globals().get(_registry.class_name_of(config["class_name"]) or "")
    if cls is None:
        _registry.create(config["class_name"], None)  # raises with the valid names
    return cls.from_config(config.get("config") or {})


def identifier_of(core):
    """What compile() is given for a core loss, as Keras gives it back after loading: its name when
    it has its defaults ("categorical_crossentropy"), else the Loss."""
    loss = _registered.view_of(core, globals())
    return loss.name if core.config == _registered.entries("loss")[core.class_name]["defaults"] else loss


def serialize(loss):
    return get(loss).serialize()


__all__ = ["Loss", "LossFunctionWrapper", "deserialize", "get", "serialize",
           *_registered.entries("loss"), *(a for e in _registered.entries("loss").values() for a in e["aliases"])]
