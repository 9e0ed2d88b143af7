"""Optimizers with Keras's names, arguments, defaults and update formulas (run in C++).

There is a class for every optimizer the C++ core registers (SGD, Adam, AdamW, RMSprop, Adagrad,
Adadelta, Adamax, Nadam, Lion), with Keras's signature; ``get("adam")`` takes its lower-case name.
"""

from fastmlp import _registered
from fastmlp.optimizers import schedules
from fastmlp.optimizers.optimizer import Optimizer, signature

_registry = _registered.registry("optimizer")

for _class_name in _registered.entries("optimizer"):
    _cls = type(_class_name, (Optimizer,), {"_class_name": _class_name, "__module__": __name__,
                                            "__signature__": signature(_class_name)})
    _cls.__doc__ = _registered.describe(_cls, "Keras's optimizer")
    globals()[_class_name] = _cls


def get(identifier):
    """An optimizer from a name ("adam", "sgd", "rmsprop", ...), an Optimizer, Keras's serialized form, or a
    Keras 3 optimizer object of a class fastmlp has (by its get_config())."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        class_name = _registry.class_name_of(identifier.lower()) or _registry.class_name_of(identifier)
        if class_name is None:
            _registry.create(identifier, None)  # raises with the valid names
        return globals()[class_name]()
    if isinstance(identifier, dict) and "class_name" in identifier:
        return deserialize(identifier)
    keras = _registered.keras_config("optimizer", identifier, globals())  # a Keras 3 optimizer, by its config
    if keras is not None:
        return globals()[keras[0]].from_config(keras[1])
    raise TypeError(f"optimizer must be a name such as 'adam' or a fastmlp.optimizers.Optimizer, got {identifier!r}")


def deserialize(config):
    return _registered.view_of(_registry.deserialize(config), globals())


def serialize(optimizer):
    return get(optimizer).serialize()


__all__ = ["Optimizer", "deserialize", "get", "schedules", "serialize", *_registered.entries("optimizer")]
