"""The part of ``keras.ops`` that dense-network scripts use on host data, computed by NumPy: creating
arrays (``ones``, ``zeros``, ``arange``, ...), converting them (``convert_to_numpy``,
``convert_to_tensor``, ``cast``), reductions (``argmax``, ``mean``, ``sum``, ...), element-wise math
and activations (``softmax``, ``sigmoid``, ``relu``, ...). Tensors are NumPy arrays: what fastmlp's
models take and return. Names and arguments are Keras's."""

import numpy as np

from fastmlp import _core, _dtypes


def _array(x, dtype=None):
    return np.asarray(x, dtype=dtype)


def convert_to_tensor(x, dtype=None, sparse=None):
    """``x`` as a NumPy array (fastmlp's tensors are NumPy arrays)."""
    return _array(x, dtype)


def convert_to_numpy(x):
    return np.array(x)


def cast(x, dtype):
    return _array(x).astype(dtype)


def _floatx(dtype):
    """Keras's default for a new float array: ``floatx()`` where no dtype is given."""
    return _dtypes.floatx() if dtype is None else dtype


def ones(shape, dtype=None):
    return np.ones(shape, dtype=_floatx(dtype))


def zeros(shape, dtype=None):
    return np.zeros(shape, dtype=_floatx(dtype))


def full(shape, fill_value, dtype=None):
    return np.full(shape, fill_value, dtype=_floatx(dtype))


def ones_like(x, dtype=None):
    return np.ones_like(x, dtype=dtype)


def zeros_like(x, dtype=None):
    return np.zeros_like(x, dtype=dtype)


def eye(N, M=None, k=0, dtype=None):
    return np.eye(N, M, k, dtype=_floatx(dtype))


def arange(start, stop=None, step=1, dtype=None):
    return np.arange(start, stop, step, dtype=dtype)


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    return np.linspace(start, stop, num, endpoint=endpoint, retstep=retstep, dtype=dtype, axis=axis)


def shape(x):
    return tuple(np.shape(x))


def reshape(x, newshape):
    return np.reshape(x, newshape)


def expand_dims(x, axis):
    return np.expand_dims(x, axis)


def squeeze(x, axis=None):
    return np.squeeze(x, axis)


def transpose(x, axes=None):
    return np.transpose(x, axes)


def concatenate(xs, axis=0):
    return np.concatenate(xs, axis=axis)


def stack(x, axis=0):
    return np.stack(x, axis=axis)


def where(condition, x1=None, x2=None):
    return np.where(condition) if x1 is None and x2 is None else np.where(condition, x1, x2)


def one_hot(x, num_classes, axis=-1, dtype=None):
    labels = _array(x).astype(np.int64)
    out = np.eye(num_classes, dtype=_floatx(dtype))[labels]
    return np.moveaxis(out, -1, axis) if axis != -1 else out


def _reduction(function):
    def reduce(x, axis=None, keepdims=False):
        return function(_array(x), axis=axis, keepdims=keepdims)
    reduce.__name__ = reduce.__qualname__ = function.__name__
    reduce.__doc__ = f"NumPy's {function.__name__} over ``axis``, as keras.ops.{function.__name__}."
    return reduce


mean = _reduction(np.mean)
sum = _reduction(np.sum)  # noqa: A001 - Keras's name
max = _reduction(np.max)  # noqa: A001
min = _reduction(np.min)  # noqa: A001
prod = _reduction(np.prod)
std = _reduction(np.std)
var = _reduction(np.var)
all = _reduction(np.all)  # noqa: A001
any = _reduction(np.any)  # noqa: A001


def argmax(x, axis=None, keepdims=False):
    return np.argmax(_array(x), axis=axis, keepdims=keepdims)


def argmin(x, axis=None, keepdims=False):
    return np.argmin(_array(x), axis=axis, keepdims=keepdims)


def argsort(x, axis=-1):
    return np.argsort(_array(x), axis=axis)


def top_k(x, k, sorted=True):  # noqa: A002 - Keras's argument name
    """The k largest values along the last axis and their indices, largest first."""
    x = _array(x)
    indices = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    return np.take_along_axis(x, indices, axis=-1), indices


def matmul(x1, x2):
    return np.matmul(x1, x2)


def dot(x1, x2):
    return np.dot(x1, x2)


def clip(x, x_min, x_max):
    return np.clip(x, x_min, x_max)


def round(x, decimals=0):  # noqa: A001
    return np.round(x, decimals)


def _elementwise(function, name=None):
    def apply(*args):
        return function(*args)
    apply.__name__ = apply.__qualname__ = name or function.__name__
    apply.__doc__ = f"NumPy's {function.__name__}, as keras.ops.{apply.__name__}."
    return apply


abs = _elementwise(np.abs, "abs")  # noqa: A001
absolute = _elementwise(np.abs, "absolute")
square = _elementwise(np.square)
sqrt = _elementwise(np.sqrt)
exp = _elementwise(np.exp)
log = _elementwise(np.log)
log1p = _elementwise(np.log1p)
sign = _elementwise(np.sign)
negative = _elementwise(np.negative)
add = _elementwise(np.add)
subtract = _elementwise(np.subtract)
multiply = _elementwise(np.multiply)
divide = _elementwise(np.divide)
power = _elementwise(np.power)
maximum = _elementwise(np.maximum)
minimum = _elementwise(np.minimum)
equal = _elementwise(np.equal)
not_equal = _elementwise(np.not_equal)
greater = _elementwise(np.greater)
greater_equal = _elementwise(np.greater_equal)
less = _elementwise(np.less)
less_equal = _elementwise(np.less_equal)
logical_and = _elementwise(np.logical_and)
logical_or = _elementwise(np.logical_or)
logical_not = _elementwise(np.logical_not)
isnan = _elementwise(np.isnan)
isfinite = _elementwise(np.isfinite)
tanh = _elementwise(np.tanh)


def _float_array(x):
    """``x`` as float64 if it is float64, else as float32 (the C++ kernels compute in either)."""
    x = np.asarray(x)
    return x if x.dtype == np.float64 else x.astype(np.float32)


def _activation(name):
    """fastmlp's activation ``name`` (the C++ kernel a Dense layer runs), on any array."""
    def apply(x, axis=-1):
        x = _float_array(x)
        if name == "softmax" and axis not in (-1, x.ndim - 1):
            moved = np.moveaxis(x, axis, -1)
            return np.moveaxis(apply(moved), -1, axis)
        flat = np.ascontiguousarray(x.reshape(-1, x.shape[-1] if x.ndim else 1))
        return _core.registries["activation"].create(name, None)(flat).reshape(x.shape)
    apply.__name__ = apply.__qualname__ = name
    apply.__doc__ = f"keras.ops.{name}, computed by the same C++ kernel as the activation '{name}'."
    return apply


softmax = _activation("softmax")
sigmoid = _activation("sigmoid")
relu = _activation("relu")
elu = _activation("elu")
selu = _activation("selu")
gelu = _activation("gelu")
silu = _activation("silu")
softplus = _activation("softplus")


def log_softmax(x, axis=-1):
    x = _float_array(x)
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


__all__ = [name for name in dir() if not name.startswith("_") and name not in ("np",)]
