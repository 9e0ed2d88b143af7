"""A NumPy forward pass over a model graph, at inference: the reference the other paths are checked against.

It computes each layer as Keras defines it (Dropout and GaussianNoise pass through, BatchNormalization
uses its moving statistics), in float64 by default so that its own rounding is far below the 1e-5 the
tests ask of Keras, ONNX Runtime and fastmlp. Speed is not its purpose.
"""

import numpy as np

from fastmlp._interop import activations, layer_catalog, shapes
from fastmlp._interop.errors import UnsupportedLayerError


def broadcast_to_axes(values, axes, rank):
    """``values`` (sized along ``axes`` of a rank-``rank`` input) reshaped to broadcast against it."""
    values = np.asarray(values)
    if values.ndim == 0:
        return values
    shape = [1] * rank
    for axis, size in zip(sorted(a % rank for a in axes), values.shape if values.ndim == len(axes) else
                          (values.size,)):
        shape[axis] = size
    return values.reshape(shape)


def _axes(axis):
    return [axis] if isinstance(axis, int) else list(axis)


def _dense(config, weights, x):
    z = x @ weights["kernel"]
    if config["use_bias"]:
        z = z + weights["bias"]
    return activations.apply_numpy(config["activation"], z, config["name"])


def _batch_normalization(config, weights, x):
    axes = _axes(config["axis"])
    mean = broadcast_to_axes(weights["moving_mean"], axes, x.ndim)
    variance = broadcast_to_axes(weights["moving_variance"], axes, x.ndim)
    y = (x - mean) / np.sqrt(variance + config["epsilon"])
    if config["scale"]:
        y = y * broadcast_to_axes(weights["gamma"], axes, x.ndim)
    if config["center"]:
        y = y + broadcast_to_axes(weights["beta"], axes, x.ndim)
    return y


def _layer_normalization(config, weights, x):
    axes = tuple(sorted(a % x.ndim for a in _axes(config["axis"])))
    variance = np.var(x, axis=axes, keepdims=True)
    if config["rms_scaling"]:
        # Keras's rms_scaling divides the uncentred x by the (centred) standard deviation.
        y = x / np.sqrt(variance + config["epsilon"])
    else:
        y = (x - np.mean(x, axis=axes, keepdims=True)) / np.sqrt(variance + config["epsilon"])
    if "gamma" in weights:
        y = y * broadcast_to_axes(weights["gamma"], axes, x.ndim)
    if "beta" in weights:
        y = y + broadcast_to_axes(weights["beta"], axes, x.ndim)
    return y


# Keras divides by max(std, epsilon) with its default fuzz factor, so a constant feature maps to 0.
NORMALIZATION_EPSILON = 1e-7


def normalization_statistics(config, weights, rank):
    """Mean and standard deviation of a Normalization layer, shaped to broadcast on its input."""
    axis = config["axis"]
    axes = [] if axis is None else _axes(axis)
    if config["mean"] is None:
        mean, variance = weights["mean"], weights["variance"]
    else:
        mean, variance = config["mean"], config["variance"]
    mean = broadcast_to_axes(np.asarray(mean, np.float64), axes, rank)
    std = np.maximum(np.sqrt(broadcast_to_axes(np.asarray(variance, np.float64), axes, rank)), NORMALIZATION_EPSILON)
    return mean, std


def _normalization(config, weights, x):
    mean, std = normalization_statistics(config, weights, x.ndim)
    return x * std + mean if config["invert"] else (x - mean) / std


def _prelu(config, weights, x):
    alpha = weights["alpha"]
    return np.where(x >= 0, x, alpha * x)


def _flatten(config, weights, x):
    if config["data_format"] == "channels_first" and x.ndim > 2:
        x = np.moveaxis(x, 1, -1)  # Keras puts channels last before flattening
    return x.reshape(x.shape[0], -1)


def _activation(config, weights, x):
    return activations.apply_numpy(config["activation"], x, config["name"])


def _as_activation(name, keys):
    def layer(config, weights, x):
        return activations.apply_numpy({"class_name": name, "config": {key: config[key] for key in keys}}, x,
                                       config["name"])
    return layer


def _identity(config, weights, x):
    return x


_SINGLE = {
    "Dense": _dense,
    "BatchNormalization": _batch_normalization,
    "LayerNormalization": _layer_normalization,
    "Normalization": _normalization,
    "PReLU": _prelu,
    "Flatten": _flatten,
    "Activation": _activation,
    "Softmax": _as_activation("softmax", ["axis"]),
    "ReLU": _as_activation("relu", ["negative_slope", "max_value", "threshold"]),
    "LeakyReLU": _as_activation("leaky_relu", ["negative_slope"]),
    "ELU": _as_activation("elu", ["alpha"]),
    **{name: _identity for name in layer_catalog.IDENTITY_AT_INFERENCE},
}

_MERGE = {
    "Add": lambda xs: sum(xs[1:], xs[0]),
    "Subtract": lambda xs: xs[0] - xs[1],
    "Multiply": lambda xs: np.prod(np.broadcast_arrays(*xs), axis=0),
    "Average": lambda xs: sum(xs[1:], xs[0]) / len(xs),
    "Maximum": lambda xs: np.maximum.reduce(np.broadcast_arrays(*xs)),
    "Minimum": lambda xs: np.minimum.reduce(np.broadcast_arrays(*xs)),
}


def run_layer(node, inputs):
    """One layer's output for its list of input arrays."""
    config = layer_catalog.with_defaults(node.class_name, node.config)
    weights = {key: np.asarray(value, inputs[0].dtype) if np.issubdtype(np.asarray(value).dtype, np.floating)
               else np.asarray(value) for key, value in node.weights.items()}
    if node.class_name == "Concatenate":
        return np.concatenate(inputs, axis=config["axis"])
    if node.class_name in _MERGE:
        return _MERGE[node.class_name](inputs)
    if node.class_name not in _SINGLE:
        raise UnsupportedLayerError("Keras layer", node.class_name, f"layer {node.name!r}")
    return _SINGLE[node.class_name](config, weights, inputs[0])


def _arrange_inputs(graph, inputs):
    """The model's inputs as a list in ``graph.inputs`` order, from an array, a list or a dict."""
    names = [ref.layer for ref in graph.inputs]
    if isinstance(inputs, dict):
        keys = graph.input_keys or names
        missing = [key for key in keys if key not in inputs]
        if missing:
            raise ValueError(f"inputs lack {missing}; the model takes {keys}")
        return [inputs[key] for key in keys]
    if isinstance(inputs, (list, tuple)):
        if len(inputs) != len(names):
            raise ValueError(f"the model takes {len(names)} inputs ({names}), got {len(inputs)}")
        return list(inputs)
    if len(names) != 1:
        raise ValueError(f"the model takes {len(names)} inputs ({names}); pass a list or a dict")
    return [inputs]


def predict(graph, inputs, dtype=np.float64):
    """The model's outputs for ``inputs``.

    Args:
        graph: a ModelGraph.
        inputs: one array (one-input models), a list in ``graph.inputs`` order, or a dict keyed by
            input name (or by ``graph.input_keys``).
        dtype: the floating-point type to compute in.

    Returns:
        One array for a one-output model, else a list (a dict when the model's outputs were a dict).
    """
    arrays = _arrange_inputs(graph, inputs)
    declared = shapes.infer_shapes(graph)
    values = {}
    for ref, array in zip(graph.inputs, arrays):
        array = np.asarray(array, dtype=dtype)
        expected = declared[ref.layer]
        if array.ndim != len(expected) or any(e is not None and e != a for e, a in zip(expected[1:], array.shape[1:])):
            raise ValueError(f"input {ref.layer!r} expects shape {expected}, got {array.shape}")
        values[ref.layer] = array
    for node in graph.layers:
        if node.class_name != "InputLayer":
            values[node.name] = run_layer(node, [values[ref.layer] for ref in node.inbound])
    outputs = [values[ref.layer] for ref in graph.outputs]
    if graph.output_keys is not None:
        return dict(zip(graph.output_keys, outputs))
    return outputs[0] if len(outputs) == 1 else outputs
