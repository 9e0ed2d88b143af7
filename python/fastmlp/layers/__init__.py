"""Layers with Keras's names and arguments. There is a class for every layer the C++ core registers
(Dense, Activation, Softmax, Dropout, AlphaDropout, GaussianNoise, BatchNormalization,
LayerNormalization, Normalization, PReLU, Flatten, and the merge layers Concatenate, Add, Subtract,
Multiply, Average, Maximum and Minimum), with Keras's signature; each holds its C++ layer
(``self._core``), which owns the weights. Layers are called on KerasTensors (the functional API) or
on arrays; merge layers on a list, or through the functions concatenate, add, subtract, multiply,
average, maximum and minimum."""

from fastmlp import _registered
from fastmlp.layers.input_layer import Input, InputLayer
from fastmlp.layers.keras_tensor import KerasTensor
from fastmlp.layers.lambda_layer import Lambda
from fastmlp.layers.layer import PYTHON_PARAMETERS, CoreLayer
from fastmlp.layers.user_layer import Layer
from fastmlp.layers.normalization import Normalization

_registry = _registered.registry("layer")

globals().update(_registered.view_classes(
    "layer", CoreLayer, __name__, lambda cls: _registered.describe(cls, "Keras's layer"),
    skip=("name", "trainable"), extra=PYTHON_PARAMETERS))

# Keras serializes a model used as a layer under the model's class name.
_MODEL_CLASSES = ("Sequential", "Functional", "Model")


def _wrap(core):
    """The Python layer around a C++ layer that already holds its weights (from a model file)."""
    if core.class_name in _MODEL_CLASSES:
        from fastmlp.models.model import Model
        model = Model._from_core(core.model, compile=False)
        model._as_layer = core
        return model
    if core.class_name == "TracedLayer":
        from fastmlp.layers import tracing_layers
        return tracing_layers.restore(core, globals()["TracedLayer"]._wrap)
    cls = globals().get(core.class_name)
    if cls is None:
        raise ValueError(f"fastmlp has no Python layer for the C++ layer type {core.class_name!r}")
    return cls._wrap(core)


def deserialize(config, custom_objects=None):
    """A layer (or a model used as one) from Keras's serialized form: {"class_name": "Dense", "config": {...}}.
    A class fastmlp lacks is looked up by its registered name, then its class name, in ``custom_objects``,
    the custom_object_scope and the objects registered with fastmlp.saving.register_keras_serializable."""
    from fastmlp import saving
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str):
        raise TypeError(f"layers.deserialize expects {{'class_name': ..., 'config': ...}}, got {config!r}")
    with saving.custom_object_scope(custom_objects):
        if config["class_name"] in _MODEL_CLASSES:
            from fastmlp.models.loading import model_from_config
            return model_from_config(config)
        for key in (config.get("registered_name"), config["class_name"]):
            found = saving.get_registered_object(key) if isinstance(key, str) else None
            if found is not None:
                return found.from_config(config.get("config") or {})
        cls = globals().get(config["class_name"])
        if not (isinstance(cls, type) and issubclass(cls, Layer)):
            raise ValueError(f"unknown layer class {config['class_name']!r}; register a custom layer with "
                             "fastmlp.saving.register_keras_serializable or pass it in custom_objects")
        return cls.from_config(config.get("config") or {})


def serialize(layer):
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def _merge_function(class_name):
    def merge(inputs, **kwargs):
        return globals()[class_name](**kwargs)(inputs)

    merge.__name__ = merge.__qualname__ = class_name.lower()
    merge.__doc__ = f"Keras's ``{class_name.lower()}(inputs, **kwargs)``: ``{class_name}(**kwargs)(inputs)``."
    return merge


_MERGES = ("Concatenate", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum")
for _name in _MERGES:
    globals()[_name.lower()] = _merge_function(_name)

__all__ = ["Input", "InputLayer", "KerasTensor", "Lambda", "Layer", "deserialize", "serialize",
           *(name.lower() for name in _MERGES), *_registered.entries("layer")]
