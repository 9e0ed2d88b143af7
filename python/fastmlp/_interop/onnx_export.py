"""A model graph as an ONNX model (float32, or double for a float64 model), for ONNX Runtime and every
other ONNX consumer.

The nodes are written through a small builder interface (``constant``, ``op``) so that the same code
fills a standalone ONNX graph here and a skl2onnx conversion in skl2onnx_converters.py. Every layer
of the catalogue and every activation fastmlp has is covered with operators from the default domain up
to opset 17, so the file runs on any runtime of the last years; where an operator came later (Gelu,
Mish) its definition is written out. Needs onnx.
"""

import math

import numpy as np

from fastmlp._interop import activations, atomic, layer_catalog, onnx_traced, optional, shapes
from fastmlp._interop.errors import UnsupportedLayerError

DEFAULT_OPSET = 17


def as_constant(array, float_type=np.float32):
    """``array`` as an ONNX constant holds it: C-ordered, of ``float_type`` (the network's: float32, or
    float64 for a float64 model) when it is floating point, whatever precision it was kept in."""
    array = np.asarray(array)
    if np.issubdtype(array.dtype, np.floating):
        array = array.astype(float_type)
    return np.ascontiguousarray(array)


def _onnx_type(float_type):
    """ONNX's element type for a NumPy float type: TensorProto.FLOAT (1) or DOUBLE (11)."""
    return 11 if np.dtype(float_type) == np.float64 else 1


class OnnxBuilder:
    """Collects the nodes and constants of one ONNX graph, giving each a unique name.

    Args:
        opset: the default domain's opset version the nodes are written for.
        float_type: np.float32 or np.float64, the type the network computes in.
    """

    def __init__(self, opset=DEFAULT_OPSET, float_type=np.float32):
        self.opset = opset
        self.float_type = float_type
        self.onnx_float = _onnx_type(float_type)
        self.nodes = []
        self.initializers = []
        self._taken = set()

    def unique(self, hint):
        # ONNX reads an empty name as "no tensor": a layer or output key named "" gets a real name.
        hint = hint or "unnamed"
        name, number = hint, 0
        while name in self._taken:
            number += 1
            name = f"{hint}_{number}"
        self._taken.add(name)
        return name

    def constant(self, array, hint):
        """The name of a new initializer holding ``array`` (float arrays are stored as the network's floats)."""
        onnx = optional.require("onnx", "exporting to ONNX", "onnx")
        name = self.unique(hint)
        self.initializers.append(onnx.numpy_helper.from_array(as_constant(array, self.float_type), name))
        return name

    def op(self, op_type, inputs, hint, outputs=1, **attributes):
        """Adds a node; returns its output name (a list of names when ``outputs`` > 1)."""
        onnx = optional.require("onnx", "exporting to ONNX", "onnx")
        names = [self.unique(f"{hint}_{op_type}" if outputs == 1 else f"{hint}_{op_type}_{i}") for i in range(outputs)]
        self.nodes.append(onnx.helper.make_node(op_type, list(inputs), names, name=self.unique(f"{hint}/{op_type}"),
                                                **attributes))
        return names[0] if outputs == 1 else names


def _scalar(b, value, hint):
    return b.constant(np.asarray(value, np.float64), hint)  # stored as the network's floats


def _reduce(b, op_type, x, axes, hint):
    """A Reduce* node keeping dimensions; ReduceSum takes its axes as an input from opset 13, the others from 18."""
    moved = 13 if op_type == "ReduceSum" else 18
    if b.opset >= moved:
        return b.op(op_type, [x, b.constant(np.asarray(axes, np.int64), f"{hint}_axes")], hint, keepdims=1)
    return b.op(op_type, [x], hint, axes=list(axes), keepdims=1)


def _clip(b, x, low, high, hint):
    inputs = [x, _scalar(b, low, f"{hint}_min") if low is not None else "",
              _scalar(b, high, f"{hint}_max") if high is not None else ""]
    while inputs[-1] == "":
        inputs.pop()
    return b.op("Clip", inputs, hint)


# ---- activations -----------------------------------------------------------------------------------
def _relu(b, x, hint, negative_slope, max_value, threshold, **_):
    if not negative_slope and max_value is None and not threshold:
        return b.op("Relu", [x], hint)
    if negative_slope and max_value is None and not threshold:
        return b.op("LeakyRelu", [x], hint, alpha=float(negative_slope))
    # Keras's order: x above the threshold (0 below), clipped to [0, max_value], minus the slope part.
    t = _scalar(b, threshold, f"{hint}_threshold")
    y = b.op("Where", [b.op("Greater", [x, t], hint), x, _scalar(b, 0.0, f"{hint}_zero")], hint)
    if max_value is not None:
        y = _clip(b, y, 0.0, max_value, hint)
    if negative_slope:
        below = b.op("Relu", [b.op("Sub", [t, x], hint)], hint)
        y = b.op("Sub", [y, b.op("Mul", [_scalar(b, negative_slope, f"{hint}_slope"), below], hint)], hint)
    return y


def _gelu(b, x, hint, approximate):
    half = _scalar(b, 0.5, f"{hint}_half")
    one = _scalar(b, 1.0, f"{hint}_one")
    if approximate:
        cube = b.op("Mul", [_scalar(b, 0.044715, f"{hint}_c"), b.op("Mul", [x, b.op("Mul", [x, x], hint)], hint)], hint)
        inner = b.op("Mul", [_scalar(b, math.sqrt(2.0 / math.pi), f"{hint}_k"), b.op("Add", [x, cube], hint)], hint)
        phi = b.op("Tanh", [inner], hint)
    else:
        scaled = b.op("Mul", [x, _scalar(b, 1.0 / math.sqrt(2.0), f"{hint}_k")], hint)
        phi = _erf_double(b, scaled, hint) if _is_double(b) else b.op("Erf", [scaled], hint)
    return b.op("Mul", [b.op("Mul", [x, half], hint), b.op("Add", [one, phi], hint)], hint)


def _sparse_plus(b, x, hint):
    one = _scalar(b, 1.0, f"{hint}_one")
    shifted = b.op("Add", [x, one], hint)
    quadratic = b.op("Mul", [_scalar(b, 0.25, f"{hint}_quarter"), b.op("Mul", [shifted, shifted], hint)], hint)
    middle = b.op("Where", [b.op("Less", [x, one], hint), quadratic, x], hint)
    below = b.op("LessOrEqual", [x, _scalar(b, -1.0, f"{hint}_minus_one")], hint)
    return b.op("Where", [below, _scalar(b, 0.0, f"{hint}_zero"), middle], hint)


def _unary(op_type, **attributes):
    return lambda b, x, hint: b.op(op_type, [x], hint, **attributes)


# Every activation fastmlp has (tests/test_interop_onnx.py checks the two lists agree).
_ACTIVATIONS = {
    "linear": lambda b, x, hint: x,
    "relu6": lambda b, x, hint: _clip(b, x, 0.0, 6.0, hint),
    "celu": lambda b, x, hint, alpha: b.op("Celu", [x], hint, alpha=float(alpha)),
    "hard_tanh": lambda b, x, hint: _clip(b, x, -1.0, 1.0, hint),
    "tanh_shrink": lambda b, x, hint: b.op("Sub", [x, b.op("Tanh", [x], hint)], hint),
    "sparse_plus": _sparse_plus,
    "hard_silu": _unary("HardSwish"),
    "sparse_sigmoid": lambda b, x, hint: _clip(
        b, b.op("Add", [b.op("Mul", [x, _scalar(b, 0.5, f"{hint}_half")], hint), _scalar(b, 0.5, f"{hint}_half")],
                hint), 0.0, 1.0, hint),
    "log_sigmoid": lambda b, x, hint: b.op("Neg", [b.op("Softplus", [b.op("Neg", [x], hint)], hint)], hint),
    "squareplus": lambda b, x, hint, b_: b.op("Mul", [_scalar(b, 0.5, f"{hint}_half"), b.op("Add", [x, b.op(
        "Sqrt", [b.op("Add", [b.op("Mul", [x, x], hint), _scalar(b, b_, f"{hint}_b")], hint)], hint)], hint)], hint),
    "soft_shrink": lambda b, x, hint, threshold: b.op("Shrink", [x], hint, bias=float(threshold),
                                                      lambd=float(threshold)),
    "hard_shrink": lambda b, x, hint, threshold: b.op("Shrink", [x], hint, bias=0.0, lambd=float(threshold)),
    "leaky_relu": lambda b, x, hint, negative_slope: b.op("LeakyRelu", [x], hint, alpha=float(negative_slope)),
    "elu": lambda b, x, hint, alpha: b.op("Elu", [x], hint, alpha=float(alpha)),
    "selu": _unary("Selu", alpha=activations.SELU_ALPHA, gamma=activations.SELU_SCALE),
    "sigmoid": _unary("Sigmoid"),
    "hard_sigmoid": _unary("HardSigmoid", alpha=1.0 / 6.0, beta=0.5),
    "tanh": _unary("Tanh"),
    "softplus": _unary("Softplus"),
    "softsign": _unary("Softsign"),
    "silu": lambda b, x, hint: b.op("Mul", [x, b.op("Sigmoid", [x], hint)], hint),
    "mish": lambda b, x, hint: b.op("Mul", [x, b.op("Tanh", [b.op("Softplus", [x], hint)], hint)], hint),
    "exponential": _unary("Exp"),
    "relu": _relu,
    "gelu": _gelu,
}
def _sparsemax(b, x, hint, axis, shape):
    """max(x - tau, 0): TopK sorts each row, and the support is the prefix where 1 + k z_(k) > cumsum."""
    width = shape[axis]
    ordered = b.op("TopK", [x, b.constant(np.asarray([width], np.int64), f"{hint}_k")], hint, outputs=2,
                   axis=int(axis), largest=1, sorted=1)[0]
    prefix = b.op("CumSum", [ordered, b.constant(np.asarray(axis, np.int64), f"{hint}_axis")], hint)
    ranks = b.constant(np.arange(1, width + 1, dtype=np.float32), f"{hint}_ranks")
    inside = b.op("Greater", [b.op("Add", [_scalar(b, 1.0, f"{hint}_one"), b.op("Mul", [ranks, ordered], hint)],
                                   hint), prefix], hint)
    # to: the network's float type (1: float32, 11: double)
    count = _reduce(b, "ReduceSum", b.op("Cast", [inside], hint, to=getattr(b, "onnx_float", 1)), [axis], hint)
    total = _reduce(b, "ReduceSum", b.op("Where", [inside, ordered, _scalar(b, 0.0, f"{hint}_zero")], hint), [axis],
                    hint)
    tau = b.op("Div", [b.op("Sub", [total, _scalar(b, 1.0, f"{hint}_one")], hint), count], hint)
    return b.op("Relu", [b.op("Sub", [x, tau], hint)], hint)


def _glu(b, x, hint, axis, shape):
    """a * sigmoid(b) for the halves [a, b] of the axis: one Split (its sizes as an input, which every
    opset from 13 on reads), a Sigmoid and a Mul."""
    half = shape[axis] // 2
    sizes = b.constant(np.asarray([half, half], np.int64), f"{hint}_halves")
    first, second = b.op("Split", [x, sizes], hint, outputs=2, axis=int(axis))
    return b.op("Mul", [first, b.op("Sigmoid", [second], hint)], hint)


# Activations that look along an axis need the input's shape.
_ALONG_AXIS = {
    "glu": _glu,
    "sparsemax": _sparsemax,
    "softmax": lambda b, x, hint, axis, shape: b.op("Softmax", [x], hint, axis=int(axis)),
    "log_softmax": lambda b, x, hint, axis, shape: b.op("LogSoftmax", [x], hint, axis=int(axis)),
}


# ---- the same functions in double -----------------------------------------------------------------
# ONNX Runtime implements Elu, Selu, Celu, Softplus, Softsign, HardSigmoid, HardSwish and Erf for float
# only (NOT_IMPLEMENTED, or INVALID_GRAPH for Celu, on double). For a float64 model they are written out
# with operators it runs in double (Exp, Log, Abs, Tanh, Relu, Clip, Where and arithmetic), by the
# formulas of fastmlp's activations; tests/test_interop_onnx.py runs every activation in both types.
def _exp_minus_one_below_zero(b, x, alpha, hint):
    """alpha * (exp(min(x, 0)) - 1): ELU's negative branch, finite for every x."""
    negative = b.op("Neg", [b.op("Relu", [b.op("Neg", [x], hint)], hint)], hint)
    return b.op("Mul", [_scalar(b, alpha, f"{hint}_alpha"),
                        b.op("Sub", [b.op("Exp", [negative], hint), _scalar(b, 1.0, f"{hint}_one")], hint)], hint)


def _elu_double(b, x, hint, alpha):
    return b.op("Where", [b.op("Greater", [x, _scalar(b, 0.0, f"{hint}_zero")], hint), x,
                          _exp_minus_one_below_zero(b, x, alpha, hint)], hint)


def _softplus_double(b, x, hint):
    """log(1 + exp(x)) as relu(x) + log(1 + exp(-|x|)), which never overflows."""
    tail = b.op("Log", [b.op("Add", [_scalar(b, 1.0, f"{hint}_one"),
                                     b.op("Exp", [b.op("Neg", [b.op("Abs", [x], hint)], hint)], hint)], hint)], hint)
    return b.op("Add", [b.op("Relu", [x], hint), tail], hint)


def _hard_sigmoid_double(b, x, hint):
    return _clip(b, b.op("Add", [b.op("Mul", [x, _scalar(b, 1.0 / 6.0, f"{hint}_sixth")], hint),
                                 _scalar(b, 0.5, f"{hint}_half")], hint), 0.0, 1.0, hint)


def _erf_double(b, x, hint):
    """ONNX Runtime has no double Erf: it is computed in float (relative error about 6e-8)."""
    single = b.op("Erf", [b.op("Cast", [x], hint, to=1)], hint)
    return b.op("Cast", [single], hint, to=11)


_DOUBLE = {
    "elu": _elu_double,
    "selu": lambda b, x, hint: b.op("Mul", [_scalar(b, activations.SELU_SCALE, f"{hint}_scale"),
                                            _elu_double(b, x, hint, activations.SELU_ALPHA)], hint),
    # max(0, x) + min(0, alpha * (exp(x / alpha) - 1))
    "celu": lambda b, x, hint, alpha: b.op("Add", [b.op("Relu", [x], hint), _exp_minus_one_below_zero(
        b, b.op("Div", [x, _scalar(b, alpha, f"{hint}_alpha")], hint), alpha, hint)], hint),
    "softplus": _softplus_double,
    "softsign": lambda b, x, hint: b.op("Div", [x, b.op("Add", [_scalar(b, 1.0, f"{hint}_one"),
                                                                b.op("Abs", [x], hint)], hint)], hint),
    "hard_sigmoid": _hard_sigmoid_double,
    "hard_silu": lambda b, x, hint: b.op("Mul", [x, _hard_sigmoid_double(b, x, hint)], hint),
    "mish": lambda b, x, hint: b.op("Mul", [x, b.op("Tanh", [_softplus_double(b, x, hint)], hint)], hint),
    "log_sigmoid": lambda b, x, hint: b.op("Neg", [_softplus_double(b, b.op("Neg", [x], hint), hint)], hint),
}


def _is_double(b):
    return np.dtype(getattr(b, "float_type", np.float32)) == np.float64


def emit_activation(b, value, x, shape, hint):
    """Adds the nodes of an activation (as a layer config holds it) applied to ``x`` of ``shape``."""
    name, parameters = activations.parse_activation(value, hint)
    if name not in _ACTIVATIONS and name not in _ALONG_AXIS:
        raise UnsupportedLayerError("activation", name, hint, hint="fastmlp exports the activations it has")
    if name == "squareplus":
        parameters = {"b_": parameters["b"]}
    if name in _ALONG_AXIS:
        return _ALONG_AXIS[name](b, x, hint, shape=shape, **parameters)
    if _is_double(b) and name in _DOUBLE:
        return _DOUBLE[name](b, x, hint, **parameters)
    return _ACTIVATIONS[name](b, x, hint, **parameters)


# ---- layers ----------------------------------------------------------------------------------------
def _broadcast_to_axes(values, axes, rank):
    """``values`` (sized along ``axes`` of a rank-``rank`` input) reshaped to broadcast against it."""
    values = np.asarray(values)
    if values.ndim == 0:
        return values
    shape = [1] * rank
    for axis, size in zip(sorted(a % rank for a in axes), values.shape if values.ndim == len(axes) else
                          (values.size,)):
        shape[axis] = size
    return values.reshape(shape)


def _broadcast_constant(b, values, axes, rank, hint):
    return b.constant(np.asarray(_broadcast_to_axes(np.asarray(values, np.float64), axes, rank)), hint)


# Keras divides by max(std, epsilon) with its default fuzz factor, so a constant feature maps to 0.
NORMALIZATION_EPSILON = 1e-7


def _normalization_statistics(config, weights, rank):
    """Mean and standard deviation of a Normalization layer, shaped to broadcast on its input."""
    axis = config["axis"]
    axes = [] if axis is None else [axis] if isinstance(axis, int) else list(axis)
    if config["mean"] is None:
        mean, variance = weights["mean"], weights["variance"]
    else:
        mean, variance = config["mean"], config["variance"]
    mean = _broadcast_to_axes(np.asarray(mean, np.float64), axes, rank)
    std = np.maximum(np.sqrt(_broadcast_to_axes(np.asarray(variance, np.float64), axes, rank)), NORMALIZATION_EPSILON)
    return mean, std


def _dense(b, node, config, x, shape, hint):
    kernel = np.asarray(node.weights["kernel"])
    inputs = [x, b.constant(kernel, f"{hint}_kernel")]  # fastmlp's Dense takes (batch, features)
    if config["use_bias"]:
        inputs.append(b.constant(np.asarray(node.weights["bias"]), f"{hint}_bias"))
    z = b.op("Gemm", inputs, hint)
    out_shape = shape[:-1] + (int(config["units"]),)
    return emit_activation(b, config["activation"], z, out_shape, hint)


def _batch_normalization(b, node, config, x, shape, hint):
    # Inference is an affine map; fold it into one scale and one shift, computed in float64.
    axes = [config["axis"]] if isinstance(config["axis"], int) else list(config["axis"])
    w = {key: np.asarray(value, np.float64) for key, value in node.weights.items()}
    scale = 1.0 / np.sqrt(w["moving_variance"] + config["epsilon"])
    if config["scale"]:
        scale = scale * w["gamma"]
    shift = -w["moving_mean"] * scale + (w["beta"] if config["center"] else 0.0)
    y = b.op("Mul", [x, _broadcast_constant(b, scale, axes, len(shape), f"{hint}_scale")], hint)
    return b.op("Add", [y, _broadcast_constant(b, shift, axes, len(shape), f"{hint}_shift")], hint)


def _layer_normalization(b, node, config, x, shape, hint):
    rank = len(shape)
    axes = sorted(a % rank for a in ([config["axis"]] if isinstance(config["axis"], int) else config["axis"]))
    centred = b.op("Sub", [x, _reduce(b, "ReduceMean", x, axes, hint)], hint)
    variance = _reduce(b, "ReduceMean", b.op("Mul", [centred, centred], hint), axes, hint)
    std = b.op("Sqrt", [b.op("Add", [variance, _scalar(b, config["epsilon"], f"{hint}_epsilon")], hint)], hint)
    y = b.op("Div", [x if config["rms_scaling"] else centred, std], hint)
    if "gamma" in node.weights:
        y = b.op("Mul", [y, _broadcast_constant(b, node.weights["gamma"], axes, rank, f"{hint}_gamma")], hint)
    if "beta" in node.weights:
        y = b.op("Add", [y, _broadcast_constant(b, node.weights["beta"], axes, rank, f"{hint}_beta")], hint)
    return y


def _normalization(b, node, config, x, shape, hint):
    mean, std = _normalization_statistics(config, node.weights, len(shape))
    if config["invert"]:
        return b.op("Add", [b.op("Mul", [x, b.constant(std, f"{hint}_std")], hint), b.constant(mean, f"{hint}_mean")],
                    hint)
    centred = b.op("Sub", [x, b.constant(mean, f"{hint}_mean")], hint)
    return b.op("Mul", [centred, b.constant(1.0 / std, f"{hint}_inverse_std")], hint)


def _unit_normalization(b, node, config, x, shape, hint):
    # Keras's x * min(1 / sqrt(Σx²), 1 / epsilon), epsilon = 1e-12, over the features.
    axes = sorted(a % len(shape) for a in ([config["axis"]] if isinstance(config["axis"], int) else config["axis"]))
    squares = _reduce(b, "ReduceSum", b.op("Mul", [x, x], hint), axes, hint)
    inverse = b.op("Reciprocal", [b.op("Sqrt", [squares], hint)], hint)
    return b.op("Mul", [x, b.op("Min", [inverse, _scalar(b, 1e12, f"{hint}_cap")], hint)], hint)


def _rescaling(b, node, config, x, shape, hint):
    scaled = b.op("Mul", [x, _scalar(b, config["scale"], f"{hint}_scale")], hint)
    return b.op("Add", [scaled, _scalar(b, config.get("offset", 0.0), f"{hint}_offset")], hint)


def _flatten(b, node, config, x, shape, hint):
    return b.op("Flatten", [x], hint, axis=1)


def _activation_layer(name, keys):
    def emit(b, node, config, x, shape, hint):
        value = config["activation"] if name is None else {"class_name": name, "config": {k: config[k] for k in keys}}
        return emit_activation(b, value, x, shape, hint)
    return emit


_SINGLE = {
    "Dense": _dense,
    "BatchNormalization": _batch_normalization,
    "LayerNormalization": _layer_normalization,
    "Normalization": _normalization,
    "PReLU": lambda b, node, config, x, shape, hint: b.op(
        "PRelu", [x, b.constant(node.weights["alpha"], f"{hint}_alpha")], hint),
    "Flatten": _flatten,
    "UnitNormalization": _unit_normalization,
    "Rescaling": _rescaling,
    "Activation": _activation_layer(None, []),
    "Softmax": _activation_layer("softmax", ["axis"]),
    "ReLU": _activation_layer("relu", ["negative_slope", "max_value", "threshold"]),
    "LeakyReLU": _activation_layer("leaky_relu", ["negative_slope"]),
    "ELU": _activation_layer("elu", ["alpha"]),
    **{name: (lambda b, node, config, x, shape, hint: x) for name in layer_catalog.IDENTITY_AT_INFERENCE},
}


def _merge(b, node, config, xs, hint):
    if node.class_name == "Concatenate":
        return b.op("Concat", xs, hint, axis=int(config["axis"]))
    if node.class_name == "Subtract":
        return b.op("Sub", xs, hint)
    if node.class_name == "Multiply":
        product = xs[0]
        for x in xs[1:]:
            product = b.op("Mul", [product, x], hint)
        return product
    if node.class_name == "Average" and _is_double(b):  # ONNX Runtime's Mean is float only
        return b.op("Div", [b.op("Sum", xs, hint), _scalar(b, len(xs), f"{hint}_count")], hint)
    return b.op({"Add": "Sum", "Average": "Mean", "Maximum": "Max", "Minimum": "Min"}[node.class_name], xs, hint)


def emit_graph(b, graph, inputs):
    """Adds the nodes of ``graph`` to the builder.

    Args:
        b: an OnnxBuilder (or an object with its ``constant``/``op`` methods).
        graph: the ModelGraph.
        inputs: ONNX tensor name for each of ``graph.inputs``, in order.

    Returns:
        The ONNX tensor names of ``graph.outputs``, in order.
    """
    shape_of = shapes.infer_shapes(graph)
    values = {ref.layer: name for ref, name in zip(graph.inputs, inputs)}
    for node in graph.layers:
        if node.class_name == "InputLayer":
            continue
        xs = [values[ref.layer] for ref in node.inbound]
        if node.custom is not None:  # a user's traced layer: its graph's primitives
            values[node.name] = onnx_traced.emit(b, node, xs, node.name)
            continue
        config = layer_catalog.with_defaults(node.class_name, node.config)
        if node.class_name in layer_catalog.MERGE_LAYERS:
            values[node.name] = _merge(b, node, config, xs, node.name)
        else:
            values[node.name] = _SINGLE[node.class_name](b, node, config, xs[0], shape_of[node.inbound[0].layer],
                                                         node.name)
    return [values[ref.layer] for ref in graph.outputs]


def _value_info(onnx, name, shape, elem_type):
    dims = ["batch" if dim is None and axis == 0 else (f"dim{axis}" if dim is None else dim)
            for axis, dim in enumerate(shape)]
    return onnx.helper.make_tensor_value_info(name, elem_type, dims)


def to_onnx(graph, opset=DEFAULT_OPSET, producer="fastmlp"):
    """The ONNX ModelProto of ``graph``: inputs named after the InputLayers (batch size free), outputs
    named after the output layers (or the output keys), all float32, or double for a float64 graph.

    Args:
        graph: a ModelGraph with weights.
        opset: the default domain's opset (14 or later).
        producer: the producer name recorded in the model.
    """
    onnx = optional.require("onnx", "exporting to ONNX", "onnx")
    if opset < 14:
        raise ValueError(f"opset must be 14 or later (HardSwish came in 14; Split, ReduceSum and Softmax "
                         f"changed in 13), got {opset}")
    graph.validate()
    shape_of = shapes.infer_shapes(graph)
    b = OnnxBuilder(opset, np.float64 if graph.dtype == "float64" else np.float32)
    input_names = [b.unique(ref.layer) for ref in graph.inputs]
    output_keys = graph.output_keys or [ref.layer for ref in graph.outputs]
    output_names = [b.unique(key) for key in output_keys]
    results = emit_graph(b, graph, input_names)
    for result, name in zip(results, output_names):
        b.nodes.append(onnx.helper.make_node("Identity", [result], [name], name=b.unique(f"{name}/output")))
    model = onnx.helper.make_model(
        onnx.helper.make_graph(
            b.nodes, graph.name,
            [_value_info(onnx, name, shape_of[ref.layer], b.onnx_float)
             for name, ref in zip(input_names, graph.inputs)],
            [_value_info(onnx, name, shape_of[ref.layer], b.onnx_float)
             for name, ref in zip(output_names, graph.outputs)],
            b.initializers),
        opset_imports=[onnx.helper.make_opsetid("", opset)], producer_name=producer)
    # The oldest IR version that carries this opset, so that older runtimes accept the file.
    model.ir_version = min(model.ir_version, 8 if opset <= 17 else 9)
    onnx.checker.check_model(model)
    return model


def save_onnx(graph, path, opset=DEFAULT_OPSET):
    """Writes ``to_onnx(graph, opset)`` to ``path``, whole or not at all (ModelFileError if it cannot)."""
    atomic.write_atomically(path, to_onnx(graph, opset).SerializeToString())
