"""Lambda: Keras's layer that wraps a function of tensors (written with fastmlp.ops), traced into the
core like any user layer; and the layers Keras makes when an op is applied to KerasTensors."""

import itertools

from fastmlp.layers.keras_tensor import KerasTensor
from fastmlp.layers.user_layer import Layer

_op_names = itertools.count()


class Lambda(Layer):
    """``Lambda(function, output_shape=None, mask=None, arguments=None)``: ``function(inputs, **arguments)``
    as a layer. The function is traced once per input shape; a model file keeps the traced graph (not
    the function), so a saved model with Lambda layers loads and runs without the function's code."""

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda needs a function, got {function!r}")
        self.function = function
        self.arguments = dict(arguments or {})
        self._declared_output_shape = output_shape

    def call(self, inputs):
        return self.function(inputs, **self.arguments)

    def get_config(self):
        name = getattr(self.function, "__name__", repr(self.function))
        return {**super().get_config(), "function": name, "arguments": None}


def op_layer(name, args, kwargs):
    """``ops.<name>(*args, **kwargs)`` where some arguments are KerasTensors: a Lambda layer of the op,
    called on those tensors."""
    from fastmlp import ops
    function = getattr(ops, name).__wrapped__
    tensors = []

    def collect(value):
        if isinstance(value, KerasTensor):
            tensors.append(value)
        elif isinstance(value, (list, tuple)):
            for item in value:
                collect(item)

    for value in (*args, *kwargs.values()):
        collect(value)

    def substitute(value, symbols):
        if isinstance(value, KerasTensor):
            return next(symbols)
        if isinstance(value, (list, tuple)):
            return type(value)(substitute(item, symbols) for item in value)
        return value

    def apply(inputs):
        symbols = iter(inputs if len(tensors) > 1 else [inputs])
        new_args = [substitute(a, symbols) for a in args]
        new_kwargs = {k: substitute(v, symbols) for k, v in kwargs.items()}
        return function(*new_args, **new_kwargs)

    layer = Lambda(apply, name=f"{name}_{next(_op_names)}")
    return layer(tensors if len(tensors) > 1 else tensors[0])
