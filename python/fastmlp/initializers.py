"""Weight initializers with Keras's names, formulas, defaults and seeds.

Every initializer the C++ core registers is a class here (``GlorotUniform(seed=None)``, ...), also under
its function name (``glorot_uniform``). A name, a class or a config all draw in C++: unseeded, from the
model's generator, so one seed fixes every weight; seeded, the same values at every call, as in
Keras 3. A layer also takes any callable ``f(shape, dtype=None)`` returning an array, run in Python.
"""

import numpy as np

from fastmlp import _dtypes, _random, _registered

_registry = _registered.registry("initializer")


def _fans(shape):
    """Keras's fans: a vector's length twice, a matrix's rows and columns, times the receptive field."""
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    return shape[-2] * receptive, shape[-1] * receptive


class Initializer(_registered.CoreView):
    """Base class: ``initializer(shape, dtype=None)`` returns an array of ``shape``, of ``dtype``
    ("float32" or "float64"; None: floatx(), as in Keras), drawn as a layer of that dtype draws it."""

    _kind = "initializer"

    def __call__(self, shape, dtype=None):
        shape = tuple(int(d) for d in shape)
        if any(d < 0 for d in shape):
            raise ValueError(f"an initializer needs a shape of sizes >= 0, got {shape}")
        fan_in, fan_out = _fans(shape)
        rows = int(np.prod(shape[:-1])) if len(shape) > 1 else 1
        cols = shape[-1] if shape else 1
        dtype = _dtypes.standardize(dtype, type(self).__name__)
        return self._core.fill(rows, cols, fan_in, fan_out, _random.draw_seed(), dtype).reshape(shape)


def constant_value(value):
    """Constant's value as the core takes it, a number: Keras's tutorials give a one-element array
    (``Constant(np.log([pos / neg]))``, broadcast over the bias), and Keras's files write an array as
    {"class_name": "__numpy__", "config": {"value": [...]}}. Several values are refused: Keras would
    broadcast them over the weight's shape, which a fastmlp initializer config cannot hold."""
    if isinstance(value, dict) and value.get("class_name") == "__numpy__":
        value = (value.get("config") or {}).get("value")
    if isinstance(value, (bool, str)) or value is None:
        return value  # the core names the type it wants
    array = np.asarray(value)
    if array.dtype.kind not in "iuf":
        return value
    if array.size != 1:
        raise ValueError(f"Constant value must be one number (or an array of one element), got an array of shape "
                         f"{array.shape}")
    return float(array.reshape(-1)[0])


class Constant(Initializer):
    """Keras's initializer ``Constant(value=0.0)``: every element ``value``. A one-element array, as
    Keras's tutorials give it (``Constant(np.log([pos / neg]))``), is taken as its number."""

    _class_name = "Constant"
    __signature__ = _registered.signature("initializer", "Constant")

    def _create(self, arguments):
        arguments["value"] = constant_value(arguments["value"])
        super()._create(arguments)


globals().update(_registered.view_classes(
    "initializer", Initializer, __name__, lambda cls: _registered.describe(cls, "Keras's initializer")))
for _class_name, _entry in _registered.entries("initializer").items():
    for _alias in _entry["aliases"]:
        globals()[_alias] = globals()[_class_name]


def deserialize(config):
    """An Initializer from Keras's serialized form ({"class_name", "config"}) or a name."""
    return _registered.deserialize("initializer", config, globals(), get)


def get(identifier):
    """An Initializer from a name ("glorot_uniform", "GlorotUniform"), a serialized config, an
    Initializer, or any callable f(shape, dtype=None), which is returned as it is."""
    if isinstance(identifier, str):
        class_name = _registry.class_name_of(identifier)
        if class_name is None:
            _registry.create(identifier, None)  # raises with the valid names
        return globals()[class_name]()
    if isinstance(identifier, dict) and "class_name" in identifier:
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise TypeError(f"initializer must be a name such as 'glorot_uniform', a fastmlp.initializers object or "
                    f"a callable f(shape, dtype=None); got {identifier!r}")


def _to_config(identifier):
    """An initializer as the core's config takes it (a name or a serialized config)."""
    if isinstance(identifier, str) or (isinstance(identifier, dict) and "class_name" in identifier):
        return identifier
    if isinstance(identifier, Initializer):
        return identifier.serialize()
    raise TypeError(f"initializer must be a name such as 'glorot_uniform' or a fastmlp.initializers object, "
                    f"got {identifier!r}")


def serialize(initializer):
    if isinstance(initializer, Initializer):
        return initializer.serialize()
    if isinstance(initializer, str):
        return initializer
    return getattr(initializer, "__name__", repr(initializer))


__all__ = ["Initializer", "deserialize", "get", "serialize",
           *(name for entry in _registered.entries("initializer").values() for name in (entry["class_name"], *entry["aliases"]))]
