"""A user's traced layer (custom_layers.py) in ONNX: each primitive of its graph as the ONNX operators
that compute it, in the network's float type. Comparisons and logical ops give booleans in ONNX and
numbers in the graph (1 or 0), so they are cast back; argmax gives indices, cast to floats likewise."""

import numpy as np

from fastmlp._interop.errors import UnsupportedLayerError

_UNARY = {"negative": "Neg", "exp": "Exp", "log": "Log", "sqrt": "Sqrt", "abs": "Abs", "sign": "Sign",
          "reciprocal": "Reciprocal", "tanh": "Tanh", "sin": "Sin", "cos": "Cos", "floor": "Floor", "ceil": "Ceil",
          "round": "Round", "stop_gradient": "Identity"}
_BINARY = {"add": "Add", "subtract": "Sub", "multiply": "Mul", "divide": "Div", "power": "Pow",
           "maximum": "Max", "minimum": "Min"}
_COMPARISONS = {"equal": "Equal", "greater": "Greater", "greater_equal": "GreaterOrEqual", "less": "Less",
                "less_equal": "LessOrEqual"}
_REDUCTIONS = {"sum": "ReduceSum", "mean": "ReduceMean", "max": "ReduceMax", "min": "ReduceMin"}
_BOOL = 9  # TensorProto.BOOL
_INT64 = 7


def _number(b, x, hint):
    return b.op("Cast", [x], hint, to=b.onnx_float)


def _truth(b, x, hint):
    return b.op("Cast", [x], hint, to=_BOOL)


def _scalar(b, value, hint):
    return b.constant(np.asarray(value, np.float64), hint)


def _reduce(b, op_type, x, axes, keepdims, hint):
    """A Reduce* node; ReduceSum takes its axes as an input from opset 13, the others from 18."""
    moved = 13 if op_type == "ReduceSum" else 18
    if b.opset >= moved:
        return b.op(op_type, [x, b.constant(np.asarray(axes, np.int64), f"{hint}_axes")], hint, keepdims=keepdims)
    return b.op(op_type, [x], hint, axes=list(axes), keepdims=keepdims)


def _onnx_dims(dims):
    """A graph shape as ONNX's Reshape takes it: the (one) batch-sized dimension as -1."""
    return np.asarray([-1 if d < 0 else d for d in dims], np.int64)


def emit(b, node, xs, hint):
    """The ONNX tensor a traced layer's graph computes from the layer's inputs ``xs``."""
    from fastmlp import _core
    from fastmlp._interop import onnx_export
    graph = node.custom["graph"]
    spec = _core.graph.Spec.from_config(graph)
    weights = list(node.weights.values())
    values, inputs = {}, iter(xs)
    for index, item in enumerate(graph["nodes"]):
        op, dims = item["op"], list(spec.shape(index))
        name = f"{hint}/{index}_{op}"
        args = [values[i] for i in item.get("inputs", [])]
        shapes = [list(spec.shape(i)) for i in item.get("inputs", [])]
        if op == "input":
            values[index] = b.op("Reshape", [next(inputs), b.constant(_onnx_dims(dims), f"{name}_shape")], name)
        elif op == "weight":
            values[index] = b.constant(np.asarray(weights[item["index"]], np.float64).reshape(dims), name)
        elif op == "constant":
            values[index] = b.constant(np.asarray([_value(v) for v in item["values"]], np.float64).reshape(dims), name)
        else:
            values[index] = _primitive(b, op, item.get("attrs") or {}, args, shapes, dims, name, onnx_export)
    return values[graph["outputs"][0]]


def _value(v):
    return {"nan": np.nan, "inf": np.inf, "-inf": -np.inf}.get(v, v) if isinstance(v, str) else v


def _primitive(b, op, attrs, args, shapes, dims, name, onnx_export):
    if op in _UNARY:
        return b.op(_UNARY[op], args, name)
    if op in _BINARY:
        return b.op(_BINARY[op], args, name)
    if op in _COMPARISONS:
        return _number(b, b.op(_COMPARISONS[op], args, name), name)
    if op == "not_equal":
        return _number(b, b.op("Not", [b.op("Equal", args, name)], name), name)
    if op in ("logical_and", "logical_or"):
        truths = [_truth(b, a, name) for a in args]
        return _number(b, b.op("And" if op == "logical_and" else "Or", truths, name), name)
    if op == "logical_not":
        return _number(b, b.op("Not", [_truth(b, args[0], name)], name), name)
    if op == "isnan":
        return _number(b, b.op("IsNaN", args, name), name)
    if op == "isfinite":
        bad = b.op("Or", [b.op("IsNaN", args, name), b.op("IsInf", args, name)], name)
        return _number(b, b.op("Not", [bad], name), name)
    if op == "square":
        return b.op("Mul", [args[0], args[0]], name)
    if op == "log1p":
        return b.op("Log", [b.op("Add", [args[0], _scalar(b, 1.0, f"{name}_one")], name)], name)
    if op == "expm1":
        return b.op("Sub", [b.op("Exp", args, name), _scalar(b, 1.0, f"{name}_one")], name)
    if op == "trunc":
        return b.op("Mul", [b.op("Sign", args, name), b.op("Floor", [b.op("Abs", args, name)], name)], name)
    if op == "where":
        return b.op("Where", [_truth(b, args[0], name), args[1], args[2]], name)
    if op == "clip":
        return b.op("Clip", [args[0], _scalar(b, attrs["min"], f"{name}_min"), _scalar(b, attrs["max"], f"{name}_max")],
                    name)
    if op in _REDUCTIONS:
        rank = len(shapes[0])
        axes = sorted(a % rank for a in attrs["axes"]) if attrs["axes"] else list(range(rank))
        return _reduce(b, _REDUCTIONS[op], args[0], axes, int(bool(attrs.get("keepdims"))), name)
    if op in ("argmax", "argmin"):
        found = b.op("ArgMax" if op == "argmax" else "ArgMin", args, name, axis=int(attrs["axis"]),
                     keepdims=int(bool(attrs.get("keepdims"))))
        return _number(b, found, name)
    if op == "reshape":
        return b.op("Reshape", [args[0], b.constant(_onnx_dims(dims), f"{name}_shape")], name)
    if op == "transpose":
        rank = len(shapes[0])
        return b.op("Transpose", args, name, perm=[int(p) % rank for p in attrs["perm"]])
    if op == "concatenate":
        return b.op("Concat", args, name, axis=int(attrs["axis"]) % len(shapes[0]))
    if op == "slice":
        return _slice(b, args[0], attrs, shapes[0], name)
    if op == "broadcast_to":
        target = np.asarray([1 if d < 0 else d for d in dims], np.int64)  # Expand broadcasts both ways
        return b.op("Expand", [args[0], b.constant(target, f"{name}_shape")], name)
    if op == "take":
        indices = b.op("Cast", [args[1]], name, to=_INT64)
        return b.op("Gather", [args[0], indices], name, axis=int(attrs["axis"]) % len(shapes[0]))
    if op == "matmul":
        return b.op("MatMul", args, name)
    if op == "activation":
        shape = tuple(None if d < 0 else d for d in shapes[0])
        return onnx_export.emit_activation(b, attrs["activation"], args[0], shape, name)
    raise UnsupportedLayerError("graph op", op, name)


def _slice(b, x, attrs, shape, name):
    starts, ends, axes, steps = [], [], [], []
    for axis, (start, step, count, dim) in enumerate(zip(attrs["start"], attrs["step"], attrs["shape"], shape)):
        if dim < 0 or (start == 0 and step == 1 and count == dim):
            continue  # the batch axis, or an axis taken whole
        end = start + count * step
        if step < 0 and end < 0:
            end = -(2 ** 63)  # "before index 0": a negative end would count from the end
        starts.append(start), ends.append(end), axes.append(axis), steps.append(step)
    if not axes:
        return b.op("Identity", [x], name)
    constant = lambda values, what: b.constant(np.asarray(values, np.int64), f"{name}_{what}")  # noqa: E731
    return b.op("Slice", [x, constant(starts, "starts"), constant(ends, "ends"), constant(axes, "axes"),
                          constant(steps, "steps")], name)
