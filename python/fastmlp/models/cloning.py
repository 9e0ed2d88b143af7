"""clone_model: a new model with another model's architecture, as Keras's clone_model."""

from fastmlp import layers as layers_module


def clone_model(model, input_tensors=None, clone_function=None):
    """A new Sequential with ``model``'s architecture and fresh weights, as Keras's clone_model.

    Args:
        model: the Sequential to copy.
        input_tensors: an ``Input`` to use instead of the model's own input shape.
        clone_function: called on each layer to make its copy (default: a new layer from its config,
            so with every parameter the same and newly initialised weights); return the layer itself to
            share it.
    """
    from fastmlp.models.sequential import Sequential
    if not isinstance(model, Sequential):
        raise TypeError(f"clone_model expects a fastmlp Sequential, got {model!r}")
    if input_tensors is not None and not isinstance(input_tensors, layers_module.InputLayer):
        raise TypeError(f"input_tensors must be a fastmlp Input, such as Input((64,)); got {input_tensors!r}")
    clone_function = clone_function or (lambda layer: type(layer).from_config(layer.get_config()))
    clone = Sequential(name=model.name)
    if input_tensors is not None:
        clone.add(input_tensors)
    elif model.input_shape is not None:
        clone.add(layers_module.Input(model.input_shape[1:]))
    for layer in model.layers:
        clone.add(clone_function(layer))
    return clone
