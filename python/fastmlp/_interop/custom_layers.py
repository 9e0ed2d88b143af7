"""Users' own layers (fastmlp.Layer subclasses, traced into the core) in Keras files.

Written as Keras writes a registered custom layer: the class's registered name, its ``get_config()``, its
variables in ``layer.weights`` order. Read back by that registered name only, through fastmlp's
registry (``fastmlp.saving.register_keras_serializable``, or ``custom_objects``): a file never makes
Python import a module it names. A layer whose class is not registered is refused, naming it.

A node of the neutral graph holds what the rest of the interop code needs to know of such a layer in
``node.custom``: {"class", "module", "registered_name", "graph" (the traced graph, for ONNX), "output_shape",
"weights": {name: shape}, "trainable": [names]}, found by building a throwaway instance for the input
shape when reading.
"""

import numpy as np


def _saving():
    from fastmlp import saving
    return saving


def is_custom(layer):
    """Whether ``layer`` is a user's layer (not one of fastmlp's built-in ones)."""
    from fastmlp.layers.layer import CoreLayer
    from fastmlp.layers.user_layer import Layer
    return isinstance(layer, Layer) and not isinstance(layer, CoreLayer)


def describe(layer):
    """(config, weights, custom) of a traced user layer, for a Keras or ONNX file; ValueError for a call
    that uses built-in layers (a model inside the layer, which neither file holds)."""
    cls = type(layer)
    registered = _saving().get_registered_name(cls)
    if layer.__dict__.get("_functional") is not None or layer._core is None:
        raise ValueError(f"layer {layer.name!r} ({cls.__name__}) calls built-in layers inside its call(); a Keras "
                         "file cannot hold that yet: save the model as .fmlp")
    specs = layer._core.config["graph"]["weights"]
    names = [spec["name"] for spec in specs]
    weights = {name: np.array(variable) for name, variable in zip(names, layer.weights)}
    config = {**layer.get_config(), "name": layer.name, "trainable": layer.trainable, "dtype": layer.dtype}
    custom = {"class": cls, "module": cls.__module__, "registered_name": registered,
              "graph": layer._core.config["graph"], "output_shape": [None, *layer._output_sample_shape],
              "weights": {name: tuple(array.shape) for name, array in weights.items()},
              "trainable": [spec["name"] for spec in specs if spec["trainable"]]}
    return config, weights, custom


def require_registered(node):
    """A Keras file names a user's layer by its registered name: ValueError for a class without one."""
    if ">" not in (node.custom.get("registered_name") or ""):
        raise ValueError(f"layer {node.name!r} is a {node.class_name}, a class of yours that is not registered: "
                         "decorate it with @fastmlp.saving.register_keras_serializable() (and the Keras twin of "
                         "it with keras.saving.register_keras_serializable) so that a Keras file can name it")


def registered_class(entry):
    """The user Layer class a Keras file's layer entry names by its registered name, or None."""
    from fastmlp.layers.user_layer import Layer
    name = entry.get("registered_name") if isinstance(entry, dict) else None
    if not isinstance(name, str) or ">" not in name:
        return None
    lookup = getattr(_saving(), "get_registered_object", None)
    cls = lookup(name) if lookup is not None else None
    return cls if isinstance(cls, type) and issubclass(cls, Layer) else None


def _probe(node, input_shapes):
    """Builds a throwaway instance of a node's class for its input shape: its output shape and weights."""
    custom = node.custom
    if "weights" in custom:
        return custom
    config = {key: value for key, value in node.config.items() if key != "dtype"}
    layer = custom["class"].from_config(config)
    shapes = [tuple(shape) for shape in input_shapes]
    output = layer.compute_output_shape(shapes[0] if len(shapes) == 1 else shapes)
    specs = layer._core.config["graph"]["weights"]
    custom.update(output_shape=list(output), weights={spec["name"]: tuple(spec["shape"]) for spec in specs},
                  trainable=[spec["name"] for spec in specs if spec["trainable"]])
    return custom


def output_shape(node, input_shapes):
    return tuple(_probe(node, input_shapes)["output_shape"])


def weight_shapes(node, input_shape):
    return dict(node.custom["weights"])


def weight_names(node):
    """The names of a node's arrays: a custom layer's from its probe, else the catalog's."""
    from fastmlp._interop import layer_catalog
    if node.custom is not None:
        return list(node.custom["weights"])
    return layer_catalog.weight_names(node.class_name, node.config)
