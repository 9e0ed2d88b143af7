"""Turning a user's layer into a core layer: its call traced into a graph (a TracedLayer whose weights
are the layer's Variables, moved into C++ memory), or, when the call uses built-in layers, into a
small functional model of those layers and of the ops between them."""

import json

import numpy as np

from fastmlp import _dtypes, _random
from fastmlp.layers.user_layer import NeedsFunctionalTrace
from fastmlp.tracing import Tracer
from fastmlp.tracing.symbolic import SymbolicTensor


def keras_class_of(layer):
    """What a model file keeps of the Python class a traced layer came from, so that loading can give the
    user's object back: its class and registered names and its config (None where get_config fails)."""
    cls = type(layer)
    try:
        from fastmlp import saving
        registered = saving.get_registered_name(cls)
    except (ImportError, AttributeError):
        registered = f"{cls.__module__}>{cls.__qualname__}"
    try:
        config = layer.get_config()
        json.dumps(config)  # the config crosses into the core's JSON
    except (NotImplementedError, TypeError, ValueError):
        config = None
    return {"class_name": cls.__name__, "registered_name": registered, "config": config}


def _output_of(tracer, output, owner):
    if isinstance(output, (list, tuple)):
        raise ValueError(f"{owner}: call() returned {len(output)} tensors; a traced layer returns one")
    if not isinstance(output, SymbolicTensor) or output._tracer is not tracer:
        raise ValueError(f"{owner}: call() must return a tensor computed from its inputs with fastmlp.ops, got "
                         f"{output!r}")
    if not output._dims or output._dims[0] != -1 or any(d < 0 for d in output._dims[1:]):
        raise ValueError(f"{owner}: call() must return a batch of samples (shape (None, ...)), got shape "
                         f"{output.shape}")
    return output


def attach_variables(core, tracer):
    """Moves each Variable the trace read into the core's memory: from now on it views its weight."""
    for variable, name in zip(tracer.variables, tracer.weight_names):
        variable._attach(lambda name=name: dict(core.weights)[name], f"{core.name}/{variable.name}")


def trace_function_layer(layer, sample_shapes, call, keras_class):
    """The TracedLayer core for ``call(inputs)`` traced on inputs of ``sample_shapes``, built, its weights
    taken from the Variables the call read; returns (core, output sample shape)."""
    with Tracer(layer.dtype) as tracer:
        inputs = [tracer.input(s) for s in sample_shapes]
        for variable in layer.weights:  # the weights in Keras's order (get_weights), used or not
            tracer.weight(variable)
        output = call(inputs[0] if len(inputs) == 1 else inputs)
    output = _output_of(tracer, output, f"layer {layer.name!r}")
    added = [loss._node for loss in tracer.added_losses if not loss._dims or all(d == 1 for d in loss._dims)]
    if len(added) != len(tracer.added_losses):
        raise ValueError(f"layer {layer.name!r}: add_loss takes a number per batch (reduce over the batch, "
                         "as with ops.mean or ops.sum)")
    tracer.spec.set_outputs([output._node, *added])
    core = _dtypes.core(layer.dtype).registries["layer"].create(
        "TracedLayer", {"graph": tracer.spec.config, "keras_class": keras_class, "name": layer.name,
                        "trainable": layer.trainable})
    core.build_inputs([int(np.prod(s)) for s in sample_shapes], _random.draw_seed())
    attach_variables(core, tracer)
    return core, tuple(output.shape[1:])


def _call(layer):
    """layer.call with its defaults (a call that takes ``training`` sees its default, None): one graph
    serves training and inference, so a call that branches on ``training`` is traced once."""
    return lambda inputs: layer.call(inputs)


def trace_layer(layer, sample_shapes):
    layer._ensure_built([(None, *s) for s in sample_shapes])
    try:
        core, output_shape = trace_function_layer(layer, sample_shapes, _call(layer), keras_class_of(layer))
    except NeedsFunctionalTrace:
        _trace_functional(layer, sample_shapes)
        return
    layer.__dict__.update(_core=core, _traced_for=list(sample_shapes), _output_sample_shape=output_shape)


def _trace_functional(layer, sample_shapes):
    """The call on KerasTensors: built-in layers become nodes, the ops between them op layers, and the
    whole a functional model used as this layer."""
    from fastmlp.layers.input_layer import Input
    from fastmlp.models.model import Model
    inputs = [Input(shape=s, dtype=layer.dtype) for s in sample_shapes]
    output = layer.call(inputs[0] if len(inputs) == 1 else inputs)
    model = Model(inputs[0] if len(inputs) == 1 else inputs, output, name=layer.name)
    layer.__dict__.update(_functional=model, _traced_for=list(sample_shapes),
                          _output_sample_shape=tuple(model.output_shape[1:]))


def _registered_class(name):
    """The class registered under ``name`` (fastmlp.saving's registry, Keras's register_keras_serializable),
    or None: a file never makes Python import a module it names."""
    from fastmlp import saving
    lookup = getattr(saving, "get_registered_object", None)
    return None if lookup is None or not name else lookup(name)


def restore(core, generic):
    """The Python layer for a TracedLayer from a model file: the user's class when it is registered under
    the name the file gives (its Variables then view the loaded weights), else ``generic(core)``, a view
    that predicts and trains the same without the class."""
    keras_class = core.config.get("keras_class") or {}
    cls = _registered_class(keras_class.get("registered_name"))
    if cls is None or keras_class.get("config") is None:
        return generic(core)
    layer = cls.from_config(keras_class["config"])
    graph = core.config["graph"]
    shapes = [tuple(node["shape"][1:]) for node in graph["nodes"] if node["op"] == "input"]
    layer._ensure_built([(None, *shape) for shape in shapes])
    names = [weight["name"] for weight in graph["weights"]]
    variables = layer.weights
    if len(variables) != len(names):
        raise ValueError(f"layer {core.name!r}: the file holds {len(names)} weights, {cls.__name__} makes "
                         f"{len(variables)}; was the class changed since the model was saved?")
    for variable, name in zip(variables, names):
        variable._adopt(lambda name=name: dict(core.weights)[name], f"{core.name}/{variable.name}")
    layer.__dict__.update(_core=core, _user_name=core.name, _traced_for=[tuple(s) for s in shapes],
                          _output_sample_shape=_output_shape(core))
    return layer


def _output_shape(core):
    """A traced layer's output sample shape, from its graph."""
    from fastmlp import _core
    spec = _core.graph.Spec.from_config(core.config["graph"])
    return tuple(spec.shape(spec.outputs[0])[1:])
