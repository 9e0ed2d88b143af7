"""clone_model: a new model with another model's architecture, as Keras's clone_model."""

from fastmlp import layers as layers_module
from fastmlp.layers.input_layer import input_layer_of
from fastmlp.layers.keras_tensor import flatten


def clone_model(model, input_tensors=None, clone_function=None):
    """A new model with ``model``'s architecture and fresh weights, as Keras's clone_model.

    Args:
        model: the Sequential or functional Model to copy.
        input_tensors: an ``Input`` (a list of them for a functional model of several inputs) to use
            instead of the model's own inputs.
        clone_function: called on each layer to make its copy (default: a new layer from its config,
            so with every parameter the same and newly initialised weights); return the layer itself to
            share it.
    """
    from fastmlp.models.model import Model
    from fastmlp.models.sequential import Sequential
    if not isinstance(model, Model):
        raise TypeError(f"clone_model expects a fastmlp Sequential or Model, got {model!r}")
    clone_function = clone_function or _fresh_copy
    if isinstance(model, Sequential):
        if input_tensors is not None and input_layer_of(input_tensors) is None:
            raise TypeError(f"input_tensors must be a fastmlp Input, such as Input((64,)); got {input_tensors!r}")
        clone = Sequential(name=model.name)
        if input_tensors is not None:
            clone.add(input_tensors)
        elif model.input_shape is not None:
            clone.add(layers_module.Input(model.input_shape[1:], dtype=model.dtype))
        for layer in model.layers:
            clone.add(clone_function(layer))
        return clone
    # A functional model: its calls replayed, in order, on copies of its layers (a shared layer is
    # copied once and called as often as the original was).
    core = model._core
    if input_tensors is None:
        inputs = [layers_module.Input(tuple(shape), name=name, dtype=model.dtype)
                  for name, shape in zip(core.input_names, core.input_shapes)]
    else:
        inputs, _ = flatten(input_tensors, "input_tensors")
        if len(inputs) != len(core.input_names):
            raise ValueError(f"the model has {len(core.input_names)} inputs, input_tensors holds {len(inputs)}")
    tensors, copies = list(inputs), {}
    for layer_index, sources in core.calls:
        layer = model._layers[layer_index]
        if id(layer) not in copies:
            copies[id(layer)] = clone_function(layer)
        copy = copies[id(layer)]
        arguments = [tensors[source] for source in sources]
        tensors.append(copy(arguments if _takes_list(copy, len(arguments)) else arguments[0]))
    outputs = [tensors[t] for t in core.outputs]
    if model._output_keys is not None:
        outputs = dict(zip(model._output_keys, outputs))
    return Model(inputs, outputs[0] if isinstance(outputs, list) and len(outputs) == 1 else outputs, name=model.name)


def _fresh_copy(layer):
    """A new layer with ``layer``'s parameters (Keras's default clone_function); a Lambda keeps its function,
    which no config can hold."""
    from fastmlp.layers.lambda_layer import Lambda
    if isinstance(layer, Lambda):
        return Lambda(layer.function, arguments=layer.arguments, dtype=layer.dtype)
    return type(layer).from_config(layer.get_config())


def _takes_list(layer, count):
    """Whether a copy is called on a list: a user's layer not traced yet takes one when it has several inputs."""
    if layer.__dict__.get("_core", True) is None and layer.__dict__.get("_functional") is None:
        return count > 1
    return layer._layer_core().takes_list
