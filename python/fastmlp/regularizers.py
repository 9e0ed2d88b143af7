"""Weight penalties added to the loss, as in Keras: ``Dense(64, kernel_regularizer=L2(0.01))``.

Every regularizer the C++ core registers is a class here (``L1(l1=0.01)``, ``L2(l2=0.01)``,
``L1L2(l1=0.0, l2=0.0)``), also under its lower-case name (``l2``).
"""

import numpy as np

from fastmlp import _registered

_registry = _registered.registry("regularizer")


class Regularizer(_registered.CoreView):
    """Base class: ``regularizer(x)`` is the penalty of the array ``x``, as training adds it."""

    _kind = "regularizer"

    def __call__(self, x):
        x = np.asarray(x)
        x = np.ascontiguousarray(np.atleast_2d(x), dtype=np.float64 if x.dtype == np.float64 else np.float32)
        return float(self._core(x.reshape(-1, x.shape[-1])))


globals().update(_registered.view_classes(
    "regularizer", Regularizer, __name__, lambda cls: _registered.describe(cls, "Keras's regularizer")))
for _class_name, _entry in _registered.entries("regularizer").items():
    for _alias in _entry["aliases"]:
        globals()[_alias] = globals()[_class_name]


def deserialize(config):
    """An Regularizer from Keras's serialized form ({"class_name", "config"}) or a name."""
    return _registered.deserialize("regularizer", config, globals(), get)


def get(identifier):
    """A Regularizer from None, a name ("l1", "l2", "l1_l2"), a serialized config or an instance."""
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    if isinstance(identifier, str) and _registry.class_name_of(identifier) is not None:
        return globals()[_registry.class_name_of(identifier)]()
    if isinstance(identifier, dict) and "class_name" in identifier:
        return deserialize(identifier)
    raise ValueError(f"unknown regularizer {identifier!r}; use None, 'l1', 'l2', 'l1_l2' or "
                     "fastmlp.regularizers.L1/L2/L1L2(...)")


def _to_config(identifier):
    """A regularizer as the core's config takes it: None, a name or a serialized config."""
    regularizer = get(identifier)
    return None if regularizer is None else regularizer.serialize()


def serialize(regularizer):
    return None if regularizer is None else get(regularizer).serialize()


__all__ = ["Regularizer", "deserialize", "get", "serialize",
           *(name for entry in _registered.entries("regularizer").values() for name in (entry["class_name"], *entry["aliases"]))]
