"""The tensors a traced function sees: a node of the graph being traced, with Keras's shape (None for
the batch axis), a dtype and the operators of keras tensors. They hold no values: using one where
Python needs a value (``if x > 0:``, ``float(x)``) is data-dependent control flow, which a graph
traced once cannot express; the error names the user's line and what to write instead."""

import os
import traceback

import numpy as np

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def is_traced(*values):
    """Whether any of ``values`` (or an item of a list/tuple among them) is a SymbolicTensor."""
    for value in values:
        if isinstance(value, SymbolicTensor):
            return True
        if isinstance(value, (list, tuple)) and any(isinstance(v, SymbolicTensor) for v in value):
            return True
    return False


def _user_line():
    """'file:line: code' of the innermost frame outside fastmlp: where the user's code is."""
    for frame in reversed(traceback.extract_stack()[:-2]):
        if not os.path.abspath(frame.filename).startswith(_PACKAGE):
            return f"{frame.filename}:{frame.lineno}: {frame.line}"
    return "(unknown line)"


class SymbolicTensor:
    """A tensor of a traced graph: ``shape`` (None for the batch), ``dtype``, ``ndim``, and the arithmetic,
    comparison, matmul and indexing operators of a Keras tensor, each recorded into the graph."""

    __array_priority__ = 1000  # NumPy defers to our operators: np.float32(2) * x stays symbolic

    def __init__(self, tracer, node, dtype):
        self._tracer = tracer
        self._node = node
        self.dtype = dtype
        self._dims = tuple(tracer.spec.shape(node))

    @property
    def shape(self):
        return tuple(None if d < 0 else d for d in self._dims)

    @property
    def ndim(self):
        return len(self._dims)

    def __repr__(self):
        return f"<SymbolicTensor shape={self.shape}, dtype={self.dtype}>"

    # ---- values Python would need --------------------------------------------------------------------
    def _no_value(self, what):
        raise TypeError(
            f"{_user_line()}\n{what} needs the value of a traced tensor, which it does not have while fastmlp "
            "traces the code once for every batch. Control flow on tensor values cannot be traced: compute both "
            "branches and pick with fastmlp.ops.where(condition, x, y) (or ops.maximum/minimum/clip); control "
            "flow on shapes (x.shape[-1]) and Python values is fine")

    def __bool__(self):
        self._no_value("`if`, `while`, `and`, `or` or bool()")

    def __float__(self):
        self._no_value("float()")

    def __int__(self):
        self._no_value("int()")

    def __index__(self):
        self._no_value("using a tensor as an index or size")

    def __array__(self, *args, **kwargs):
        self._no_value("converting to a NumPy array")

    def __len__(self):
        if not self._dims or self._dims[0] < 0:
            self._no_value("len() of the batch axis")
        return self._dims[0]

    def __iter__(self):
        self._no_value("iterating over a tensor")

    def numpy(self):
        self._no_value(".numpy()")

    # ---- operators: fastmlp.ops, so that each is lowered in one place ----------------------------------
    def _ops(self):
        from fastmlp import ops
        return ops

    def __add__(self, other): return self._ops().add(self, other)
    def __radd__(self, other): return self._ops().add(other, self)
    def __sub__(self, other): return self._ops().subtract(self, other)
    def __rsub__(self, other): return self._ops().subtract(other, self)
    def __mul__(self, other): return self._ops().multiply(self, other)
    def __rmul__(self, other): return self._ops().multiply(other, self)
    def __truediv__(self, other): return self._ops().divide(self, other)
    def __rtruediv__(self, other): return self._ops().divide(other, self)
    def __floordiv__(self, other): return self._ops().floor_divide(self, other)
    def __mod__(self, other): return self._ops().mod(self, other)
    def __pow__(self, other): return self._ops().power(self, other)
    def __rpow__(self, other): return self._ops().power(other, self)
    def __matmul__(self, other): return self._ops().matmul(self, other)
    def __rmatmul__(self, other): return self._ops().matmul(other, self)
    def __neg__(self): return self._ops().negative(self)
    def __pos__(self): return self
    def __abs__(self): return self._ops().abs(self)
    def __lt__(self, other): return self._ops().less(self, other)
    def __le__(self, other): return self._ops().less_equal(self, other)
    def __gt__(self, other): return self._ops().greater(self, other)
    def __ge__(self, other): return self._ops().greater_equal(self, other)
    def __eq__(self, other): return self._ops().equal(self, other)  # noqa: E704 - Keras tensors compare elementwise
    def __ne__(self, other): return self._ops().not_equal(self, other)
    def __and__(self, other): return self._ops().logical_and(self, other)
    def __or__(self, other): return self._ops().logical_or(self, other)
    def __invert__(self): return self._ops().logical_not(self)
    __hash__ = object.__hash__

    @property
    def T(self):  # noqa: N802 - NumPy's name
        return self._ops().transpose(self)

    def __getitem__(self, key):
        return _index(self, key)


def _index(x, key):
    """x[key] for basic slicing (ints, slices, None, ...) and one list or array of indices."""
    from fastmlp import ops
    if not isinstance(key, tuple):
        key = (key,)
    if sum(k is Ellipsis for k in key) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    explicit = sum(k is not None and k is not Ellipsis for k in key)
    if explicit > x.ndim:
        raise IndexError(f"too many indices for a tensor of {x.ndim} axes: {key!r}")
    if Ellipsis in key:
        at = key.index(Ellipsis)
        key = key[:at] + (slice(None),) * (x.ndim - explicit) + key[at + 1:]
    key = key + (slice(None),) * (x.ndim - sum(k is not None for k in key))
    start, step, shape, squeeze, gathers, new_axes = [], [], [], [], [], []
    axis = kept = 0  # kept: axes of the result so far, where a None inserts one
    for k in key:
        if k is None:
            new_axes.append(kept)
            kept += 1
            continue
        kept += 0 if isinstance(k, (int, np.integer)) and not isinstance(k, bool) else 1
        dim = x._dims[axis]
        if isinstance(k, slice):
            if dim < 0:
                if k != slice(None):
                    raise IndexError("the batch axis is taken whole in a traced function (x[:, ...]): slicing samples "
                                     "would make the graph depend on the batch")
                start.append(0), step.append(1), shape.append(dim)
            else:
                begin, end, stride = k.indices(dim)
                count = len(range(begin, end, stride))
                if count == 0:
                    raise IndexError(f"the slice {k} of an axis of {dim} is empty")
                start.append(begin), step.append(stride), shape.append(count)
        elif isinstance(k, (int, np.integer)) and not isinstance(k, bool):
            if dim < 0:
                raise IndexError("a traced function cannot pick one sample of the batch")
            index = int(k) + (dim if k < 0 else 0)
            if not 0 <= index < dim:
                raise IndexError(f"index {k} is out of bounds for an axis of {dim}")
            start.append(index), step.append(1), shape.append(1)
            squeeze.append(axis)
        elif isinstance(k, (list, np.ndarray)) or isinstance(k, SymbolicTensor):
            start.append(0), step.append(1), shape.append(dim)
            gathers.append((axis, k))
        else:
            raise TypeError(f"unsupported index {k!r} for a traced tensor")
        axis += 1
    out = x
    if any(s != d or b != 0 or t != 1 for s, d, b, t in zip(shape, x._dims, start, step)):
        out = out._tracer.record("slice", [out], {"start": start, "step": step, "shape": shape}, out.dtype)
    if len(gathers) > 1:
        raise IndexError("a traced tensor takes at most one list of indices per indexing")
    for axis_index, indices in gathers:
        out = ops.take(out, indices, axis=axis_index)
    if squeeze:
        out = ops.squeeze(out, axis=tuple(squeeze))
    for position in new_axes:
        out = ops.expand_dims(out, position)
    return out
