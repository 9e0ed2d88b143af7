"""Calling a layer, as Keras scripts do: on KerasTensors (the functional API: the call is recorded and
the layer built for their widths) or on arrays (the layer's output computed at once, the layer built
on first use). A model used as a layer is called the same way."""

import numpy as np

from fastmlp import _dtypes, _random
from fastmlp._convert import as_float_array
from fastmlp.eager import eager
from fastmlp.layers.keras_tensor import KerasTensor, flatten, is_symbolic
from fastmlp.layers.user_layer import NeedsFunctionalTrace
from fastmlp.tracing.symbolic import is_traced


def _tensors_of(layer, inputs):
    """The list of inputs a call passes: a list for a layer that takes several (a merge layer)."""
    takes_list = layer._layer_core().takes_list
    if takes_list:
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"{type(layer).__name__} layer {layer.name!r} is called on a list of tensors, such as "
                             f"{type(layer).__name__}()([a, b]); got {type(inputs).__name__}")
        return list(inputs)
    if isinstance(inputs, (list, tuple)):
        if len(inputs) != 1:
            raise ValueError(f"{type(layer).__name__} layer {layer.name!r} takes one input, got a list of "
                             f"{len(inputs)}; merge them first (Concatenate, Add, ...)")
        return list(inputs)
    return [inputs]


def _ensure_built(layer, widths):
    core = layer._layer_core()
    if not core.built:
        core.build_inputs(list(widths), _random.draw_seed())
        layer._build()
    elif list(core.input_dims) != list(widths):
        raise ValueError(f"layer {layer.name!r} was built for inputs of {list(core.input_dims)} features, it is "
                         f"called on {list(widths)} (a layer keeps the widths of its first call)")


def _output_shape(layer, tensors_shape):
    from fastmlp.layers import Flatten
    traced = getattr(layer, "_output_sample_shape", None)
    if traced is not None:  # a user's layer: the shape its call was traced to return
        return (None, *traced)
    if isinstance(layer, Flatten):
        return (None, int(np.prod(tensors_shape[1:])))
    return (None, layer._layer_core().output_dim)


def call_symbolic(layer, inputs):
    tensors = _tensors_of(layer, inputs)
    tensors, _ = flatten(tensors, f"the inputs of layer {layer.name!r}")
    from fastmlp.layers import Flatten
    for tensor in tensors:
        if tensor.ndim > 2 and not isinstance(layer, Flatten) and getattr(layer, "_traced_for", None) is None:
            raise ValueError(f"layer {layer.name!r} is called on samples of shape {tensor.shape[1:]}; fastmlp's "
                             "layers take rows of features: put a Flatten() layer first")
    _ensure_built(layer, [t.width for t in tensors])
    output = KerasTensor(_output_shape(layer, tensors[0].shape), layer, tensors)
    remember_call(layer, output)
    return output


def remember_call(layer, output, replace=False):
    """Keeps the first call's input and output tensors: Keras's layer.input and layer.output."""
    if replace or layer.__dict__.get("_first_output") is None:
        layer.__dict__["_first_output"] = output


def call_eager(layer, inputs, training):
    """The layer's output for arrays, through a one-call model in the core (its output is computed
    exactly as inside any model)."""
    arrays = [as_float_array(a, f"the input of layer {layer.name!r}", layer.dtype) for a in _tensors_of(layer, inputs)]
    for array in arrays:
        if array.ndim < 2:
            raise ValueError(f"layer {layer.name!r} takes a batch of samples (2-D: samples, features), got shape "
                             f"{array.shape}")
        if len(array) != len(arrays[0]):
            raise ValueError("the inputs of one call must hold the same number of samples")
    flat = [np.ascontiguousarray(a.reshape(len(a), -1)) for a in arrays]
    was_built = layer._layer_core().built
    if was_built:
        _ensure_built(layer, [a.shape[1] for a in flat])
    graph = _dtypes.core(layer.dtype).Model(_random.draw_seed())
    ids = [graph.input([a.shape[1]]) for a in flat]
    graph.set_outputs([graph.call(layer._layer_core(), ids)])
    if not was_built:
        layer._build()
    if len(flat[0]) == 0:
        return np.zeros((0, graph.output_dims[0]), dtype=_dtypes.numpy_dtype(layer.dtype))
    outputs = graph.call_training(flat) if training else graph.predict(flat, 0)
    return eager(outputs[0])


def call_layer(layer, inputs, training=None, **kwargs):
    mask = kwargs.pop("mask", None)
    if mask is not None:
        raise ValueError("masks are not supported: fastmlp's dense layers take every feature of every sample")
    if kwargs:
        raise TypeError(f"a layer call got unexpected arguments: {', '.join(kwargs)}")
    if is_traced(inputs):  # a built-in layer inside a user layer's call: trace that call functionally
        raise NeedsFunctionalTrace(layer.name)
    if is_symbolic(inputs):
        return call_symbolic(layer, inputs)
    return call_eager(layer, inputs, bool(training))


def build_layer(layer, input_shape):
    """Keras's layer.build(input_shape): ``(None, 64)``, or a list of shapes for a merge layer."""
    shapes = list(input_shape) if input_shape and isinstance(input_shape[0], (list, tuple)) else [input_shape]
    widths = []
    for shape in shapes:
        dims = tuple(shape)[1:]
        if not dims or any(d is None or int(d) < 1 for d in dims):
            raise ValueError(f"build() needs input shapes such as (None, 64), got {input_shape!r}")
        widths.append(int(np.prod([int(d) for d in dims])))
    _ensure_built(layer, widths)
