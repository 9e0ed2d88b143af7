"""``keras.ops`` with Keras's names, arguments and broadcasting.

On arrays (and Variables outside a trace) an op computes at once, with NumPy or fastmlp's C++
activation kernels. Inside a traced function (a user's layer ``call``, a loss or a metric: see
``fastmlp.tracing``) an op on a traced tensor or a Variable records a primitive of the C++ graph
instead, which then runs forward and backward inside the training loop. Ops that have no primitive of
their own are written here in terms of those that do (``mean`` over the batch, ``logsumexp``,
``softmax`` on any axis, ``one_hot``, ``stack``, ...), so each traced op has one gradient rule, in C++.
On KerasTensors (the functional API) an op becomes a layer of the model."""

import builtins
import numbers

import numpy as np

from fastmlp import _core, _dtypes
from fastmlp.tracing import tracer as _tracer_module
from fastmlp.tracing.symbolic import SymbolicTensor

_FLOAT_DTYPES = ("float16", "bfloat16", "float32", "float64")


# ---- dispatch ------------------------------------------------------------------------------------------
def _flat(values):
    for value in values:
        if isinstance(value, (list, tuple)):
            yield from value
        else:
            yield value


def _tracer_of(*values):
    """The tracer an op records into: when one of ``values`` is a traced tensor, or a Variable while a
    trace is active; None for an eager op."""
    from fastmlp.variables import Variable
    active = _tracer_module.active()
    for value in _flat(values):
        if isinstance(value, SymbolicTensor):
            return value._tracer
        if active is not None and isinstance(value, Variable):
            return active
    return None


def _functional(name, args, kwargs):
    """The op applied to KerasTensors: a layer of the model being defined, as Keras makes one."""
    from fastmlp.layers.keras_tensor import is_symbolic
    if not builtins.any(is_symbolic(a) for a in args) and not builtins.any(is_symbolic(v) for v in kwargs.values()):
        return None
    from fastmlp.layers.lambda_layer import op_layer
    return op_layer(name, args, kwargs)


def _value(x):
    """An eager operand as an array: a Variable's value."""
    from fastmlp.variables import Variable
    return x._current() if isinstance(x, Variable) else x


def _record(tracer, op, operands, attrs=None, dtype=None):
    return tracer.record(op, operands, attrs, dtype)


def _keras(name):
    """Marks an op as available on KerasTensors too (each call then adds a layer to the model)."""
    def wrap(function):
        def op(*args, **kwargs):
            made = _functional(name, args, kwargs)
            return made if made is not None else function(*args, **kwargs)
        op.__name__ = op.__qualname__ = name
        op.__doc__ = function.__doc__
        op.__wrapped__ = function
        return op
    return wrap


# ---- creating and converting ---------------------------------------------------------------------------
def _array(x, dtype=None):
    return np.asarray(_value(x), dtype=dtype)


def convert_to_tensor(x, dtype=None, sparse=None):
    """``x`` as a tensor: a NumPy array, or ``x`` itself inside a trace."""
    if isinstance(x, SymbolicTensor):
        return x if dtype is None else cast(x, dtype)
    return _array(x, dtype)


def convert_to_numpy(x):
    if isinstance(x, SymbolicTensor):
        x.numpy()  # raises, naming the line
    return np.array(_value(x))


def _floatx(dtype):
    """Keras's default for a new float array: ``floatx()`` where no dtype is given."""
    return _dtypes.floatx() if dtype is None else dtype


def ones(shape, dtype=None):
    return np.ones(shape, dtype=_floatx(dtype))


def zeros(shape, dtype=None):
    return np.zeros(shape, dtype=_floatx(dtype))


def full(shape, fill_value, dtype=None):
    return np.full(shape, fill_value, dtype=_floatx(dtype))


def eye(N, M=None, k=0, dtype=None):  # noqa: N803 - Keras's names
    return np.eye(N, M, k, dtype=_floatx(dtype))


def arange(start, stop=None, step=1, dtype=None):
    return np.arange(start, stop, step, dtype=dtype)


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    return np.linspace(start, stop, num, endpoint=endpoint, retstep=retstep, dtype=dtype, axis=axis)


def _like(x, fill, dtype):
    tracer = _tracer_of(x)
    if tracer is None:
        return np.full_like(_array(x), fill, dtype=dtype)
    dims = list(x._dims) if isinstance(x, SymbolicTensor) else list(x.shape)
    return _record(tracer, "broadcast_to", [float(fill)], {"shape": dims} if dims else None, dtype) if dims else \
        _record(tracer, "add", [float(fill), 0.0], dtype=dtype)


def ones_like(x, dtype=None):
    return _like(x, 1, dtype)


def zeros_like(x, dtype=None):
    return _like(x, 0, dtype)


def full_like(x, fill_value, dtype=None):
    return _like(x, fill_value, dtype)


@_keras("cast")
def cast(x, dtype):
    """``x`` in ``dtype``: inside a trace, casting to an integer type truncates and to bool tests for
    non-zero, as Keras does; the graph itself computes in the model's float type."""
    dtype = _dtypes._name_of(dtype) if not isinstance(dtype, str) else dtype
    tracer = _tracer_of(x)
    if tracer is None:
        return _array(x).astype(dtype)
    if dtype == "bool":
        return _record(tracer, "not_equal", [x, 0.0], dtype="bool")
    if dtype in _FLOAT_DTYPES:
        return x if isinstance(x, SymbolicTensor) else _record(tracer, "add", [x, 0.0], dtype=dtype)
    return _record(tracer, "trunc", [x], dtype=dtype)


def shape(x):
    return tuple(x.shape) if isinstance(x, SymbolicTensor) else tuple(np.shape(_value(x)))


def ndim(x):
    return len(shape(x))


# ---- shapes ----------------------------------------------------------------------------------------------
def _symbolic_shape(x, newshape):
    """A target shape for reshape in the graph's terms (negative: multiples of the batch)."""
    dims = x._dims
    total_batched = builtins.any(d < 0 for d in dims)
    total = int(np.prod([builtins.abs(d) for d in dims]))
    newshape = [newshape] if isinstance(newshape, (int, np.integer)) or newshape is None else list(newshape)
    known, unknown = 1, []
    for i, d in enumerate(newshape):
        if d is None or d == -1:
            unknown.append(i)
        else:
            known *= int(d)
    if len(unknown) > 1:
        raise ValueError(f"reshape: at most one dimension may be -1 or None, got {tuple(newshape)}")
    out = [None if i in unknown else int(d) for i, d in enumerate(newshape)]
    if unknown:
        if total % known:
            raise ValueError(f"reshape: cannot reshape {x.shape} to {tuple(newshape)}")
        out[unknown[0]] = -(total // known) if total_batched else total // known
    elif total_batched:
        raise ValueError(f"reshape: the batch axis must stay: give -1 or None for it, as in reshape(x, (-1, ...)); "
                         f"got {tuple(newshape)} for {x.shape}")
    return out


@_keras("reshape")
def reshape(x, newshape):
    tracer = _tracer_of(x)
    if tracer is None:
        return np.reshape(_array(x), newshape)
    x = _as_symbolic(tracer, x)
    return _record(tracer, "reshape", [x], {"shape": _symbolic_shape(x, newshape)}, x.dtype)


def _as_symbolic(tracer, x):
    """An operand as a traced tensor (a Variable or constant becomes a node)."""
    if isinstance(x, SymbolicTensor):
        return x
    return SymbolicTensor(tracer, tracer.node_of(x), tracer.dtype)


@_keras("expand_dims")
def expand_dims(x, axis):
    tracer = _tracer_of(x)
    if tracer is None:
        return np.expand_dims(_array(x), axis)
    x = _as_symbolic(tracer, x)
    dims = list(x._dims)
    axes = sorted(a % (len(dims) + len(axis if isinstance(axis, (tuple, list)) else [axis]))
                  for a in (axis if isinstance(axis, (tuple, list)) else [axis]))
    for a in axes:
        dims.insert(a, 1)
    return _record(tracer, "reshape", [x], {"shape": dims}, x.dtype)


@_keras("squeeze")
def squeeze(x, axis=None):
    tracer = _tracer_of(x)
    if tracer is None:
        return np.squeeze(_array(x), axis)
    x = _as_symbolic(tracer, x)
    dims = list(x._dims)
    axes = [i for i, d in enumerate(dims) if d == 1] if axis is None else \
        [a % len(dims) for a in (axis if isinstance(axis, (tuple, list)) else [axis])]
    for a in axes:
        if dims[a] != 1:
            raise ValueError(f"squeeze: axis {a} of {x.shape} is not 1")
    return _record(tracer, "reshape", [x], {"shape": [d for i, d in enumerate(dims) if i not in axes]}, x.dtype)


@_keras("transpose")
def transpose(x, axes=None):
    tracer = _tracer_of(x)
    if tracer is None:
        return np.transpose(_array(x), axes)
    x = _as_symbolic(tracer, x)
    perm = list(range(x.ndim))[::-1] if axes is None else [int(a) for a in axes]
    return _record(tracer, "transpose", [x], {"perm": perm}, x.dtype)


@_keras("concatenate")
def concatenate(xs, axis=0):
    tracer = _tracer_of(*xs)
    if tracer is None:
        return np.concatenate([_array(x) for x in xs], axis=axis)
    return _record(tracer, "concatenate", list(xs), {"axis": int(axis)})


@_keras("stack")
def stack(x, axis=0):
    tracer = _tracer_of(*x)
    if tracer is None:
        return np.stack([_array(v) for v in x], axis=axis)
    return concatenate([expand_dims(v, axis) for v in x], axis=axis)


def broadcast_to(x, shape):
    tracer = _tracer_of(x)
    if tracer is None:
        x = _array(x)
        full = (1,) * (len(shape) - x.ndim) + x.shape
        return np.broadcast_to(x, tuple(full[i] if d is None else d for i, d in enumerate(shape)))
    dims = [-1 if d is None else int(d) for d in shape]
    return _record(tracer, "broadcast_to", [x], {"shape": dims})


@_keras("take")
def take(x, indices, axis=None):
    tracer = _tracer_of(x, indices)
    if tracer is None:
        return np.take(_array(x), _array(indices).astype(np.int64), axis=axis)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    return _record(tracer, "take", [x, indices if isinstance(indices, SymbolicTensor) else np.asarray(indices)],
                   {"axis": int(axis)}, getattr(x, "dtype", tracer.dtype))


@_keras("where")
def where(condition, x1=None, x2=None):
    tracer = _tracer_of(condition, x1, x2)
    if tracer is None:
        return np.where(_array(condition)) if x1 is None and x2 is None else \
            np.where(_array(condition), _value(x1), _value(x2))
    if x1 is None or x2 is None:
        raise ValueError("where(condition) without x1 and x2 returns indices, whose number depends on the data: "
                         "give both, as where(condition, x1, x2)")
    return _record(tracer, "where", [condition, x1, x2])


@_keras("one_hot")
def one_hot(x, num_classes, axis=-1, dtype=None):
    tracer = _tracer_of(x)
    if tracer is None:
        labels = _array(x).astype(np.int64)
        out = np.eye(num_classes, dtype=_floatx(dtype))[labels]
        return np.moveaxis(out, -1, axis) if axis != -1 else out
    hot = equal(expand_dims(x, -1), np.arange(num_classes, dtype=np.float64))
    if axis != -1:
        perm = list(range(hot.ndim - 1))
        perm.insert(axis % hot.ndim, hot.ndim - 1)
        hot = transpose(hot, perm)
    return cast(hot, _floatx(dtype))


# ---- reductions -------------------------------------------------------------------------------------------
def _axes(axis):
    if axis is None:
        return []
    return [int(a) for a in axis] if isinstance(axis, (tuple, list)) else [int(axis)]


def _reduction(name, numpy_function, primitive=None):
    def reduce(x, axis=None, keepdims=False):
        tracer = _tracer_of(x)
        if tracer is None:
            return numpy_function(_array(x), axis=axis, keepdims=keepdims)
        if primitive is None:
            raise TypeError(f"ops.{name} has no gradient and cannot be traced; compute it outside the layer, loss "
                            "or metric")
        return primitive(tracer, x, _axes(axis), bool(keepdims))
    reduce.__name__ = reduce.__qualname__ = name
    reduce.__doc__ = f"keras.ops.{name}(x, axis=None, keepdims=False)."
    return _keras(name)(reduce)


def _primitive_reduction(op):
    return lambda tracer, x, axes, keepdims: _record(tracer, op, [x], {"axes": axes, "keepdims": keepdims})


def _traced_var(tracer, x, axes, keepdims):
    centred = subtract(x, _record(tracer, "mean", [x], {"axes": axes, "keepdims": True}))
    return _record(tracer, "mean", [square(centred)], {"axes": axes, "keepdims": keepdims})


def _truth(op):
    return lambda tracer, x, axes, keepdims: _record(
        tracer, op, [_record(tracer, "not_equal", [x, 0.0])], {"axes": axes, "keepdims": keepdims}, "bool")


sum = _reduction("sum", np.sum, _primitive_reduction("sum"))  # noqa: A001 - Keras's name
mean = _reduction("mean", np.mean, _primitive_reduction("mean"))
max = _reduction("max", np.max, _primitive_reduction("max"))  # noqa: A001
min = _reduction("min", np.min, _primitive_reduction("min"))  # noqa: A001
amax, amin = max, min
var = _reduction("var", np.var, _traced_var)
std = _reduction("std", np.std, lambda tracer, x, axes, keepdims: sqrt(_traced_var(tracer, x, axes, keepdims)))
all = _reduction("all", np.all, _truth("min"))  # noqa: A001
any = _reduction("any", np.any, _truth("max"))  # noqa: A001
prod = _reduction("prod", np.prod)


def logsumexp(x, axis=None, keepdims=False):
    """log Σ exp(x) over ``axis``, computed as max + log Σ exp(x - max) so that it does not overflow."""
    tracer = _tracer_of(x)
    if tracer is None:
        x = _array(x)
        top = np.max(x, axis=axis, keepdims=True)
        out = np.log(np.sum(np.exp(x - top), axis=axis, keepdims=True)) + top
        return out if keepdims else np.squeeze(out, axis=axis)
    axes = _axes(axis)
    top = stop_gradient(_record(tracer, "max", [x], {"axes": axes, "keepdims": True}))
    out = add(log(_record(tracer, "sum", [exp(subtract(x, top))], {"axes": axes, "keepdims": True})), top)
    if keepdims:
        return out
    return squeeze(out, axis=tuple(axes) if axes else None) if out.ndim else out


def _arg(name, numpy_function):
    def arg(x, axis=None, keepdims=False):
        tracer = _tracer_of(x)
        if tracer is None:
            return numpy_function(_array(x), axis=axis, keepdims=keepdims)
        if axis is None:
            raise ValueError(f"a traced ops.{name} needs an axis (the batch cannot be flattened into one)")
        return _record(tracer, name, [x], {"axis": int(axis), "keepdims": bool(keepdims)}, "int64")
    arg.__name__ = arg.__qualname__ = name
    return arg


argmax = _arg("argmax", np.argmax)
argmin = _arg("argmin", np.argmin)


def argsort(x, axis=-1):
    return np.argsort(_array(x), axis=axis)


def top_k(x, k, sorted=True):  # noqa: A002 - Keras's argument name
    """The k largest values along the last axis and their indices, largest first."""
    x = _array(x)
    indices = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    return np.take_along_axis(x, indices, axis=-1), indices


def norm(x, ord=None, axis=None, keepdims=False):  # noqa: A002 - Keras's argument name
    """The Euclidean norm (ord None or 2 for vectors, "fro" for matrices) over ``axis``."""
    tracer = _tracer_of(x)
    if tracer is None:
        return np.linalg.norm(_array(x), ord=ord, axis=axis, keepdims=keepdims)
    if ord not in (None, 2, "fro", "euclidean"):
        raise ValueError(f"a traced norm is Euclidean (ord=None); got ord={ord!r}")
    return sqrt(sum(square(x), axis=axis, keepdims=keepdims))


# ---- linear algebra ----------------------------------------------------------------------------------------
@_keras("matmul")
def matmul(x1, x2):
    tracer = _tracer_of(x1, x2)
    if tracer is None:
        return np.matmul(_value(x1), _value(x2))
    a, b = _as_symbolic(tracer, x1), _as_symbolic(tracer, x2)
    squeeze_axes = []
    if a.ndim == 1:
        a = expand_dims(a, 0)
        squeeze_axes.append(-2)
    if b.ndim == 1:
        b = expand_dims(b, 1)
        squeeze_axes.append(-1)
    out = _record(tracer, "matmul", [a, b])
    return squeeze(out, axis=tuple(squeeze_axes)) if squeeze_axes else out


def dot(x1, x2):
    tracer = _tracer_of(x1, x2)
    if tracer is None:
        return np.dot(_value(x1), _value(x2))
    if builtins.min(ndim(x1), ndim(x2)) == 0:
        return multiply(x1, x2)
    return matmul(x1, x2)


# ---- element-wise ----------------------------------------------------------------------------------------------
def _unary(name, numpy_function, primitive=None, dtype=None):
    primitive = primitive or name

    def apply(x):
        tracer = _tracer_of(x)
        if tracer is None:
            return numpy_function(_value(x))
        return _record(tracer, primitive, [x], dtype=dtype)
    apply.__name__ = apply.__qualname__ = name
    apply.__doc__ = f"keras.ops.{name}(x), element-wise."
    return _keras(name)(apply)


def _binary(name, numpy_function, primitive=None, dtype=None):
    primitive = primitive or name

    def apply(x1, x2):
        tracer = _tracer_of(x1, x2)
        if tracer is None:
            return numpy_function(_value(x1), _value(x2))
        return _record(tracer, primitive, [x1, x2], dtype=dtype)
    apply.__name__ = apply.__qualname__ = name
    apply.__doc__ = f"keras.ops.{name}(x1, x2), element-wise with NumPy's broadcasting."
    return _keras(name)(apply)


abs = _unary("abs", np.abs)  # noqa: A001
absolute = _unary("absolute", np.abs, "abs")
negative = _unary("negative", np.negative)
square = _unary("square", np.square)
sqrt = _unary("sqrt", np.sqrt)
exp = _unary("exp", np.exp)
log = _unary("log", np.log)
log1p = _unary("log1p", np.log1p)
expm1 = _unary("expm1", np.expm1)
sign = _unary("sign", np.sign)
tanh = _unary("tanh", np.tanh)
sin = _unary("sin", np.sin)
cos = _unary("cos", np.cos)
floor = _unary("floor", np.floor)
ceil = _unary("ceil", np.ceil)
reciprocal = _unary("reciprocal", np.reciprocal)
stop_gradient = _unary("stop_gradient", lambda x: x)
isnan = _unary("isnan", np.isnan, dtype="bool")
isfinite = _unary("isfinite", np.isfinite, dtype="bool")
logical_not = _unary("logical_not", np.logical_not, dtype="bool")
add = _binary("add", np.add)
subtract = _binary("subtract", np.subtract)
multiply = _binary("multiply", np.multiply)
divide = _binary("divide", np.divide)
true_divide = divide
power = _binary("power", np.power)
maximum = _binary("maximum", np.maximum)
minimum = _binary("minimum", np.minimum)
equal = _binary("equal", np.equal, dtype="bool")
not_equal = _binary("not_equal", np.not_equal, dtype="bool")
greater = _binary("greater", np.greater, dtype="bool")
greater_equal = _binary("greater_equal", np.greater_equal, dtype="bool")
less = _binary("less", np.less, dtype="bool")
less_equal = _binary("less_equal", np.less_equal, dtype="bool")
logical_and = _binary("logical_and", np.logical_and, dtype="bool")
logical_or = _binary("logical_or", np.logical_or, dtype="bool")


def floor_divide(x1, x2):
    tracer = _tracer_of(x1, x2)
    return np.floor_divide(_value(x1), _value(x2)) if tracer is None else floor(divide(x1, x2))


def mod(x1, x2):
    tracer = _tracer_of(x1, x2)
    return np.mod(_value(x1), _value(x2)) if tracer is None else subtract(x1, multiply(floor_divide(x1, x2), x2))


def round(x, decimals=0):  # noqa: A001
    tracer = _tracer_of(x)
    if tracer is None:
        return np.round(_value(x), decimals)
    if decimals:
        scale = 10.0 ** decimals
        return divide(_record(tracer, "round", [multiply(x, scale)]), scale)
    return _record(tracer, "round", [x])


@_keras("clip")
def clip(x, x_min, x_max):
    tracer = _tracer_of(x, x_min, x_max)
    if tracer is None:
        return np.clip(_value(x), _value(x_min), _value(x_max))
    if isinstance(x_min, numbers.Real) and isinstance(x_max, numbers.Real):
        return _record(tracer, "clip", [x], {"min": float(x_min), "max": float(x_max)})
    return minimum(maximum(x, x_min), x_max)


# ---- activations: the C++ kernels of the activations of the same names ---------------------------------------
def _float_array(x):
    """``x`` as float64 if it is float64, else as float32 (the C++ kernels compute in either)."""
    x = np.asarray(_value(x))
    return x if x.dtype == np.float64 else x.astype(np.float32)


def _run_activation(config, x):
    """An activation (a name or a serialized config) on an array, by its C++ kernel along the last axis."""
    x = _float_array(x)
    flat = np.ascontiguousarray(x.reshape(-1, x.shape[-1] if x.ndim else 1))
    out = _core.registries["activation"].deserialize(config)(flat)
    return out.reshape(*x.shape[:-1], out.shape[-1]) if x.ndim else out.reshape(())


def _activation(name, **parameters):
    def apply(x, axis=-1, **kwargs):
        options = {**parameters, **kwargs}
        config = name if not options else {"class_name": name, "config": options}
        tracer = _tracer_of(x)
        if tracer is None:
            x = _float_array(x)
            if x.ndim and axis not in (-1, x.ndim - 1):
                return np.moveaxis(apply(np.moveaxis(x, axis, -1), **kwargs), -1, axis)
            return _run_activation(config, x)
        if name == "softmax" and axis not in (-1, _as_symbolic(tracer, x).ndim - 1):
            return exp(log_softmax(x, axis))
        return _record(tracer, "activation", [x], {"activation": config})
    apply.__name__ = apply.__qualname__ = name
    apply.__doc__ = f"keras.ops.{name}, computed by the same C++ kernel as the activation '{name}'."
    return _keras(name)(apply)


softmax = _activation("softmax")
sigmoid = _activation("sigmoid")
relu = _activation("relu")
relu6 = _activation("relu6")
elu = _activation("elu")
selu = _activation("selu")
gelu = _activation("gelu")
silu = _activation("silu")
swish = silu
softplus = _activation("softplus")
softsign = _activation("softsign")
hard_sigmoid = _activation("hard_sigmoid")
hard_silu = _activation("hard_silu")
hard_swish = hard_silu
mish = _activation("mish")
log_sigmoid = _activation("log_sigmoid")


def leaky_relu(x, negative_slope=0.2):
    return _activation("leaky_relu")(x, negative_slope=negative_slope)


@_keras("log_softmax")
def log_softmax(x, axis=-1):
    tracer = _tracer_of(x)
    if tracer is None:
        x = _float_array(x)
        shifted = x - np.max(x, axis=axis, keepdims=True)
        return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
    return subtract(x, logsumexp(x, axis=axis, keepdims=True))


# ---- the cross-entropies of keras.ops (element-wise or over the last axis, not averaged) ---------------------
_EPSILON = 1e-7


def binary_crossentropy(target, output, from_logits=False):
    if from_logits:  # max(z, 0) - z y + log(1 + e^-|z|), stable for any logit
        return add(subtract(maximum(output, 0.0), multiply(output, target)), log1p(exp(negative(abs(output)))))
    p = clip(output, _EPSILON, 1.0 - _EPSILON)
    return negative(add(multiply(target, log(p)), multiply(subtract(1.0, target), log(subtract(1.0, p)))))


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    if from_logits:
        return negative(sum(multiply(target, log_softmax(output, axis=axis)), axis=axis))
    p = divide(output, sum(output, axis=axis, keepdims=True))
    return negative(sum(multiply(target, log(clip(p, _EPSILON, 1.0 - _EPSILON))), axis=axis))


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    classes = shape(output)[axis]
    labels = squeeze(target, axis=-1) if ndim(target) == ndim(output) else target
    return categorical_crossentropy(one_hot(labels, classes), output, from_logits=from_logits, axis=axis)


__all__ = [name for name in dir() if not name.startswith("_") and name not in ("np", "builtins", "numbers",
                                                                              "SymbolicTensor")]
