"""Weight constraints, as in Keras: ``Dense(64, kernel_constraint=MaxNorm(3))``.

A constraint projects a weight after every optimizer step (in C++, inside the training loop, as
Keras's optimizer applies it after its update). Every constraint the C++ core registers is a class
here (``MaxNorm(max_value=2, axis=0)``, ``NonNeg()``, ``UnitNorm(axis=0)``,
``MinMaxNorm(min_value=0.0, max_value=1.0, rate=1.0, axis=0)``), also under Keras's function name
(``max_norm``). Layers take them as ``kernel_constraint``/``bias_constraint`` (Dense),
``beta_constraint``/``gamma_constraint`` (BatchNormalization, LayerNormalization) and
``alpha_constraint`` (PReLU).
"""

import inspect

import numpy as np

from fastmlp import _registered

_registry = _registered.registry("constraint")


class Constraint(_registered.CoreView):
    """Base class: ``constraint(w)`` is the projection of the weight ``w`` (a vector or a matrix), as a
    training step leaves it."""

    _kind = "constraint"

    def __call__(self, w):
        w = np.asarray(w)
        dtype = np.float64 if w.dtype == np.float64 else np.float32
        if w.ndim not in (1, 2):
            raise ValueError(f"{type(self).__name__} applies to weights of 1 or 2 axes (fastmlp's), got shape {w.shape}")
        values = np.ascontiguousarray(w.reshape(1, -1) if w.ndim == 1 else w, dtype=dtype)
        return self._core(values, w.ndim).reshape(w.shape)


globals().update(_registered.view_classes(
    "constraint", Constraint, __name__, lambda cls: _registered.describe(cls, "Keras's weight constraint")))
for _class_name, _entry in _registered.entries("constraint").items():
    for _alias in _entry["aliases"]:
        globals()[_alias] = globals()[_class_name]


def deserialize(config):
    """A Constraint from Keras's serialized form ({"class_name", "config"}) or a name."""
    return _registered.deserialize("constraint", config, globals(), get)


def get(identifier):
    """A Constraint from None, a name ("max_norm", "MaxNorm", ...), a class, a serialized config or an
    instance."""
    if identifier is None or isinstance(identifier, Constraint):
        return identifier
    if isinstance(identifier, str) and _registry.class_name_of(identifier) is not None:
        return globals()[_registry.class_name_of(identifier)]()
    if inspect.isclass(identifier) and issubclass(identifier, Constraint) and identifier._class_name is not None:
        return identifier()
    if isinstance(identifier, dict) and "class_name" in identifier:
        return deserialize(identifier)
    if callable(identifier):
        raise TypeError(f"{identifier!r} is a Python function; fastmlp applies constraints inside its C++ "
                        "training loop, so it takes only fastmlp.constraints objects (MaxNorm, NonNeg, UnitNorm, "
                        "MinMaxNorm) or their names")
    raise ValueError(f"unknown constraint {identifier!r}; use None, a name such as 'max_norm', or "
                     "fastmlp.constraints.MaxNorm/NonNeg/UnitNorm/MinMaxNorm(...)")


def _to_config(identifier):
    """A constraint as the core's config takes it: None or a serialized config."""
    constraint = get(identifier)
    return None if constraint is None else constraint.serialize()


def serialize(constraint):
    return None if constraint is None else get(constraint).serialize()


__all__ = ["Constraint", "deserialize", "get", "serialize",
           *(name for entry in _registered.entries("constraint").values() for name in (entry["class_name"], *entry["aliases"]))]
