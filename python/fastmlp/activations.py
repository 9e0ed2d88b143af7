"""Activation functions with Keras's names: ``fastmlp.activations.relu(x)`` or ``activation="relu"``.

Each function computes with the C++ kernels used in training, so what you see here is what a
layer computes. Pass the function itself (``activation=fastmlp.activations.gelu``) or its name.
"""

import functools
import inspect
import math

import numpy as np

from fastmlp import _core
from fastmlp._convert import as_float_array


def _apply(core_activation, x):
    array = as_float_array(x, "x")
    shape = array.shape
    matrix = array.reshape(1, -1) if array.ndim < 2 else array.reshape(-1, shape[-1])
    return core_activation(np.ascontiguousarray(matrix)).reshape(shape)


def _named(name, doc, **parameters):
    def activation(x, **overrides):
        return _apply(_make(name, **{**parameters, **overrides}), x)

    activation.__name__ = activation.__qualname__ = name
    activation.__doc__ = doc
    activation._fastmlp_name = name
    return activation


def _make(name, **parameters):
    if name == "relu" and parameters:
        max_value = parameters.get("max_value")
        return _core.Activation.relu(float(parameters.get("negative_slope", 0.0)),
                                     math.inf if max_value is None else float(max_value),
                                     float(parameters.get("threshold", 0.0)))
    if name == "leaky_relu" and parameters:
        return _core.Activation.leaky_relu(float(parameters["negative_slope"]))
    if name == "elu" and parameters:
        return _core.Activation.elu(float(parameters["alpha"]))
    if name == "gelu" and parameters:
        return _core.Activation.gelu(bool(parameters["approximate"]))
    if parameters:
        raise TypeError(f"{name}() takes no parameters besides x; got {sorted(parameters)}")
    return _core.Activation.from_name(name)


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """``x`` above ``threshold`` (capped at ``max_value``), ``negative_slope * (x - threshold)`` below."""
    return _apply(_make("relu", negative_slope=negative_slope, max_value=max_value, threshold=threshold), x)


relu._fastmlp_name = "relu"


def leaky_relu(x, negative_slope=0.2):
    """``x`` for x > 0, ``negative_slope * x`` otherwise."""
    return _apply(_make("leaky_relu", negative_slope=negative_slope), x)


leaky_relu._fastmlp_name = "leaky_relu"


def elu(x, alpha=1.0):
    """``x`` for x > 0, ``alpha * (exp(x) - 1)`` otherwise."""
    return _apply(_make("elu", alpha=alpha), x)


elu._fastmlp_name = "elu"

linear = _named("linear", "The identity.")
sigmoid = _named("sigmoid", "1 / (1 + exp(-x)).")
tanh = _named("tanh", "Hyperbolic tangent.")
selu = _named("selu", "scale * elu(x, alpha) with the self-normalising constants.")
softplus = _named("softplus", "log(1 + exp(x)), computed without overflow.")
softsign = _named("softsign", "x / (1 + |x|).")
softmax = _named("softmax", "exp(x) / sum(exp(x)) over the last axis.")
silu = _named("silu", "x * sigmoid(x).")
swish = silu


def gelu(x, approximate=False):
    """``x * Phi(x)``, Phi the standard normal CDF: the exact (erf) form, Keras's default, or with
    ``approximate=True`` the tanh approximation ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``."""
    return _apply(_make("gelu", approximate=approximate), x)


gelu._fastmlp_name = "gelu"
hard_sigmoid = _named("hard_sigmoid", "relu6(x + 3) / 6, Keras 3's definition.")
exponential = _named("exponential", "exp(x).")


def get(identifier):
    """The C++ activation for a name, one of this module's functions, or None (linear)."""
    if identifier is None:
        return _core.Activation.from_name("linear")
    if isinstance(identifier, str):
        return _core.Activation.from_name(identifier)
    if isinstance(identifier, _core.Activation):
        return identifier
    name = getattr(identifier, "_fastmlp_name", None)
    if name is not None:
        return _core.Activation.from_name(name)
    # functools.partial(fastmlp.activations.relu, max_value=6.0): the function with its parameters set.
    if isinstance(identifier, functools.partial) and not identifier.args:
        name = getattr(identifier.func, "_fastmlp_name", None)
        if name is not None:
            bound = inspect.signature(identifier.func).bind(None, **identifier.keywords)  # unknown names: TypeError
            bound.apply_defaults()
            parameters = dict(bound.arguments)
            del parameters["x"]
            parameters.update(parameters.pop("overrides", {}))  # the parameterless functions' **overrides
            return _make(name, **parameters)
    raise TypeError(f"activation must be a name such as 'relu', a function from fastmlp.activations (or a "
                    f"functools.partial of one, to set its parameters) or None; "
                    f"got {identifier!r} (custom Python activations cannot run inside the C++ training loop)")


def serialize(activation):
    """The name of an activation given as name, function or C++ object."""
    return get(activation).name
