"""Layers with Keras's names and arguments. There is a class for every layer the C++ core registers
(Dense, Activation, Dropout, GaussianNoise, BatchNormalization, LayerNormalization, PReLU, Flatten),
with Keras's signature; each holds its C++ layer (``self._core``), which owns the weights."""

from fastmlp import _registered
from fastmlp.layers.input_layer import Input, InputLayer
from fastmlp.layers.layer import PYTHON_PARAMETERS, Layer

_registry = _registered.registry("layer")

globals().update(_registered.view_classes(
    "layer", Layer, __name__, lambda cls: _registered.describe(cls, "Keras's layer"),
    skip=("name", "trainable"), extra=PYTHON_PARAMETERS))


def _wrap(core):
    """The Python layer around a C++ layer that already holds its weights (from a model file)."""
    cls = globals().get(core.class_name)
    if cls is None:
        raise ValueError(f"fastmlp has no Python layer for the C++ layer type {core.class_name!r}")
    return cls._wrap(core)


def deserialize(config):
    """A layer from Keras's serialized form: {"class_name": "Dense", "config": {...}}."""
    cls = globals().get(config.get("class_name"))
    if not (isinstance(cls, type) and issubclass(cls, Layer)):
        raise ValueError(f"unknown layer class {config.get('class_name')!r}")
    return cls.from_config(config.get("config") or {})


def serialize(layer):
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


__all__ = ["Input", "InputLayer", "Layer", "deserialize", "serialize", *_registered.entries("layer")]
