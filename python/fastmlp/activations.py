"""Activation functions with Keras's names: ``fastmlp.activations.relu(x)`` or ``activation="relu"``.

There is one function per activation the C++ core registers, with Keras's parameters and defaults
(``relu(x, negative_slope=0.0, max_value=None, threshold=0.0)``); each computes with the kernels used
in training, so what you see here is what a layer computes. A layer takes the function itself
(``activation=fastmlp.activations.gelu``), its name, or a ``functools.partial`` of it to set parameters
(``functools.partial(fastmlp.activations.relu, max_value=6.0)``).
"""

import functools
import inspect

import numpy as np

from fastmlp import _registered
from fastmlp._convert import as_float_array

_registry = _registered.registry("activation")


@functools.lru_cache(maxsize=256)
def _core_activation(name, parameters):
    return _registry.create(name, dict(parameters))


def _last_axis_only(name, parameters, ndim):
    """The parameters with an ``axis`` that names x's last axis made -1, the one the kernels compute
    along; any other axis is a ValueError (the kernels see rows of features)."""
    if "axis" not in parameters:
        return parameters
    axis, rank = parameters["axis"], max(ndim, 1)
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)) or not -rank <= axis < rank or \
            axis % rank != rank - 1:
        raise ValueError(f"{name} computes along the last axis of x (axis=-1 or {rank - 1} for an array of "
                         f"{ndim} dimensions); got axis={axis!r}")
    return {key: value for key, value in parameters.items() if key != "axis"}


def _apply(name, x, parameters):
    # A float64 array stays float64 (the kernels compute in either); anything else is computed in float32.
    array = as_float_array(x, "x", "float64" if getattr(x, "dtype", None) == np.float64 else "float32")
    parameters = _last_axis_only(name, parameters, array.ndim)
    core = _core_activation(name, tuple(sorted(parameters.items())))
    shape = array.shape
    matrix = array.reshape(1, -1) if array.ndim < 2 else array.reshape(-1, shape[-1])
    result = core(np.ascontiguousarray(matrix))
    if result.shape[1] == matrix.shape[1]:
        return result.reshape(shape)
    return result.reshape(shape[:-1] + (result.shape[1],))  # glu: the last axis halved


def _function(name, entry):
    """fastmlp.activations.<name>: the activation's kernel on an array, with its parameters as keywords."""
    parameters = [inspect.Parameter("x", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    parameters += [inspect.Parameter(key, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=value)
                   for key, value in entry["defaults"].items()]
    signature = inspect.Signature(parameters)

    def activation(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        x = bound.arguments.pop("x")
        changed = {key: value for key, value in bound.arguments.items() if value != entry["defaults"][key]}
        return _apply(name, x, changed)

    activation.__name__ = activation.__qualname__ = name
    activation.__signature__ = signature
    activation.__module__ = __name__
    activation.__doc__ = f"Keras's ``{name}{signature}``, computed by fastmlp's C++ kernel."
    activation._fastmlp_name = name
    return activation


for _class_name, _entry in _registered.entries("activation").items():
    for _name in (_class_name, *_entry["aliases"]):
        globals()[_name] = _function(_name, _entry)


def _parameters_of(partial):
    """The parameters a functools.partial of one of these functions sets, checked against its signature."""
    bound = inspect.signature(partial.func).bind(None, **partial.keywords)  # unknown names: TypeError
    arguments = dict(bound.arguments)
    del arguments["x"]
    return arguments


# fastmlp's layers that apply an activation of the same parameters, by class name.
_LAYER_ACTIVATIONS = {"ReLU": "relu", "LeakyReLU": "leaky_relu", "ELU": "elu"}


def _to_config(identifier):
    """An activation given as None (linear), a name, one of this module's functions or a
    functools.partial of one, as the core's config takes it: a name, or {"class_name", "config"}."""
    if identifier is None:
        return "linear"
    if isinstance(identifier, str):
        if _registry.class_name_of(identifier) is None:
            _registry.create(identifier, None)  # the core's message lists the valid names
        return identifier
    if isinstance(identifier, dict):
        return identifier
    name = getattr(identifier, "_fastmlp_name", None)
    if name is not None:
        return name
    if isinstance(identifier, functools.partial) and not identifier.args:
        name = getattr(identifier.func, "_fastmlp_name", None)
        if name is not None:
            return {"class_name": name, "config": _parameters_of(identifier)}
    # Keras takes any callable, its activation layers too: Activation(layers.ReLU(max_value=6.0)).
    from fastmlp import layers
    if isinstance(identifier, layers.Layer) and type(identifier).__name__ in _LAYER_ACTIVATIONS:
        config = identifier.get_config()
        return {"class_name": _LAYER_ACTIVATIONS[type(identifier).__name__],
                "config": {key: value for key, value in config.items() if key not in ("name", "trainable", "dtype")}}
    raise TypeError(f"activation must be a name such as 'relu', a function from fastmlp.activations (or a "
                    f"functools.partial of one, to set its parameters) or None; got {identifier!r} "
                    "(custom Python activations cannot run inside the C++ training loop)")


def _from_config(config):
    """The function for an activation config: ``relu``, or a functools.partial of it with its parameters."""
    if isinstance(config, str):
        return globals()[config] if config in globals() else get(config)
    function = get(config["class_name"])
    parameters = config.get("config") or {}
    return functools.partial(function, **parameters) if parameters else function


def get(identifier):
    """Keras's ``activations.get``: the function for a name (None: linear), or the function or partial
    itself. Raises ValueError for an unknown name, TypeError for anything else."""
    if identifier is None:
        return globals()["linear"]
    if isinstance(identifier, str):
        class_name = _registry.class_name_of(identifier)
        if class_name is None:
            _registry.create(identifier, None)  # raises with the valid names
        return globals()[identifier]
    _to_config(identifier)  # raises TypeError for what cannot be an activation
    return identifier


def serialize(activation):
    """The name of an activation (with its parameters when they differ from the defaults)."""
    config = _to_config(activation)
    if isinstance(config, dict):
        defaults = _registered.entry("activation", config["class_name"])["defaults"]
        if {**defaults, **(config.get("config") or {})} == defaults:
            return config["class_name"]
    return config


def deserialize(config):
    return _from_config(config)


__all__ = ["deserialize", "get", "serialize",
           *(name for entry in _registered.entries("activation").values() for name in (entry["class_name"], *entry["aliases"]))]
