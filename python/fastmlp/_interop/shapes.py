"""Shape inference over a model graph: the shape of every layer's output, batch axis as None.

Writers need it (Keras's config records each layer's input shape; ONNX declares its outputs), and it
checks a graph before anything runs: a Dense kernel that does not fit its input is reported here
with both layers named, rather than as a NumPy broadcasting error later.
"""

import math

import numpy as np

from fastmlp._interop import activations, custom_layers, layer_catalog


def _axis(axis, rank, where):
    if not -rank <= axis < rank:
        raise ValueError(f"{where}: axis {axis} is out of range for a rank-{rank} input")
    return axis % rank


def _activation_shape(value, shape, where):
    name, parameters = activations.parse_activation(value, where)
    if name != "glu":
        return shape
    axis = _axis(parameters["axis"], len(shape), where)
    if axis == 0:
        raise ValueError(f"{where}: glu cannot split the batch axis")
    if shape[axis] is not None and shape[axis] % 2:
        raise ValueError(f"{where}: glu halves axis {parameters['axis']}, whose size {shape[axis]} is odd")
    return shape[:axis] + (None if shape[axis] is None else shape[axis] // 2,) + shape[axis + 1:]


def _merge_shape(class_name, shapes, where):
    if class_name == "Concatenate":
        return None  # handled by the caller, which knows the axis
    if class_name == "Subtract" and len(shapes) != 2:
        raise ValueError(f"{where}: Subtract takes exactly 2 inputs, got {len(shapes)}")
    if len(shapes) < 2:
        raise ValueError(f"{where}: a {class_name} layer takes at least 2 inputs, got {len(shapes)}")
    # Keras broadcasts merge inputs; dense models give them one shape. Check that, dimension by dimension.
    rank = max(len(shape) for shape in shapes)
    result = []
    for dims in zip(*[(1,) * (rank - len(shape)) + shape for shape in shapes]):
        known = {dim for dim in dims if dim not in (None, 1)}
        if len(known) > 1:
            raise ValueError(f"{where}: {class_name} inputs have shapes {shapes} that do not broadcast")
        result.append(known.pop() if known else (None if None in dims else 1))
    return tuple(result)


def output_shape(node, input_shapes):
    """The output shape of ``node`` given its inputs' shapes (tuples with None for unknown sizes).

    Raises:
        ValueError: when the layer's weights or config do not fit its inputs.
    """
    where = f"layer {node.name!r} ({node.class_name})"
    if node.custom is not None:
        return custom_layers.output_shape(node, input_shapes)
    config = layer_catalog.with_defaults(node.class_name, node.config)
    class_name = node.class_name
    if class_name == "InputLayer":
        return tuple(config["batch_shape"])
    shape = input_shapes[0]
    if class_name in layer_catalog.MERGE_LAYERS:
        if class_name != "Concatenate":
            return _merge_shape(class_name, input_shapes, where)
        if len(input_shapes) < 2:
            raise ValueError(f"{where}: Concatenate takes at least 2 inputs, got {len(input_shapes)}")
        axis = _axis(config["axis"], len(shape), where)
        for other in input_shapes[1:]:
            fits = len(other) == len(shape) and all(
                a == b or None in (a, b) for i, (a, b) in enumerate(zip(other, shape)) if i != axis)
            if not fits:
                raise ValueError(f"{where}: inputs of shapes {input_shapes} cannot be joined along axis "
                                 f"{config['axis']}")
        sizes = [s[axis] for s in input_shapes]
        total = None if None in sizes else sum(sizes)
        return shape[:axis] + (total,) + shape[axis + 1:]
    if class_name == "Dense":
        kernel = node.weights.get("kernel")
        if kernel is not None and shape[-1] is not None and np.shape(kernel)[0] != shape[-1]:
            raise ValueError(f"{where}: its kernel has {np.shape(kernel)[0]} rows but its input has "
                             f"{shape[-1]} features")
        return _activation_shape(config["activation"], shape[:-1] + (int(config["units"]),), where)
    if class_name == "Activation":
        return _activation_shape(config["activation"], shape, where)
    if class_name == "Glu":  # keras.ops.glu's node
        return _activation_shape({"class_name": "glu", "config": {"axis": config["axis"]}}, shape, where)
    if class_name == "Flatten":
        rest = shape[1:]
        return (shape[0], None if None in rest else math.prod(rest))
    return shape  # every other layer keeps its input's shape


def infer_shapes(graph):
    """``{layer name: output shape}`` for every layer of ``graph``, in layer order."""
    shapes = {}
    for node in graph.layers:
        shapes[node.name] = output_shape(node, [shapes[ref.layer] for ref in node.inbound])
    return shapes


def expected_weight_shapes(node, input_shape):
    """``{weight name: shape}`` the layer's variables must have for an input of ``input_shape``
    (None where the input's size is unknown), in Keras's order."""
    if node.custom is not None:
        return custom_layers.weight_shapes(node, input_shape)
    config = layer_catalog.with_defaults(node.class_name, node.config)
    names = layer_catalog.weight_names(node.class_name, node.config)
    rank = len(input_shape)
    if node.class_name == "Dense":
        full = {"kernel": (input_shape[-1], int(config["units"])), "bias": (int(config["units"]),)}
    elif node.class_name in ("BatchNormalization", "LayerNormalization", "Normalization"):
        axis = config["axis"]
        axes = [] if axis is None else ([axis] if isinstance(axis, int) else list(axis))
        per_axis = tuple(input_shape[_axis(a, rank, node.name)] for a in sorted(a % rank for a in axes))
        full = {name: per_axis for name in ("gamma", "beta", "moving_mean", "moving_variance", "mean", "variance")}
        full["count"] = ()
    elif node.class_name == "PReLU":
        shared = config["shared_axes"] or []
        shared = {(a if a >= 0 else rank + a) for a in ([shared] if isinstance(shared, int) else shared)}
        full = {"alpha": tuple(1 if axis in shared else input_shape[axis] for axis in range(1, rank))}
    else:
        full = {}
    return {name: full[name] for name in names}


def check_weights(node, input_shape, where):
    """Raises ValueError when the layer's arrays are not the ones it needs, naming the first mismatch."""
    expected = expected_weight_shapes(node, input_shape)
    if list(node.weights) != list(expected):
        raise ValueError(f"{where}: layer {node.name!r} ({node.class_name}) holds weights {list(node.weights)}, "
                         f"expected {list(expected)}")
    for name, shape in expected.items():
        actual = np.shape(node.weights[name])
        if len(actual) != len(shape) or any(e is not None and e != a for e, a in zip(shape, actual)):
            raise ValueError(f"{where}: weight {name!r} of layer {node.name!r} has shape {actual}, expected "
                             f"{tuple(shape)}")


def check_graph_weights(graph, where):
    """Raises ValueError naming the first layer whose arrays do not fit the graph (names, count, shapes)."""
    shape_of = infer_shapes(graph)
    for node in graph.layers:
        input_shape = shape_of[node.inbound[0].layer] if node.inbound else shape_of[node.name]
        check_weights(node, input_shape, where)
