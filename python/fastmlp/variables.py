"""Keras's Variable: a named, shaped tensor with assign(). A layer's weights are Variables viewing the
C++ memory that holds them (``Variable._view``): reading one reads the model, assigning writes into it.
A Variable made directly, or by ``add_weight`` before its layer is traced, holds its own array until
the core takes it over (``_attach``)."""

import numpy as np

from fastmlp import _dtypes


def _accumulating_tracer(variable):
    """The active trace of a metric's update_state when ``variable`` is one of that metric's variables."""
    from fastmlp.tracing import active
    tracer = active()
    return tracer if tracer is not None and tracer.accumulates(variable) else None


class Variable:
    """``Variable(initializer, shape=None, dtype=None, trainable=True, name=None)``, as Keras's: the
    initializer is an array/number, or an initializer (name, object or callable) with ``shape``."""

    def __init__(self, initializer, shape=None, dtype=None, trainable=True, autocast=True, aggregation="none",
                 synchronization="auto", name=None, regularizer=None, **kwargs):
        if kwargs:
            raise TypeError(f"Variable got unexpected arguments: {', '.join(kwargs)}")
        self._dtype = _dtypes.standardize(dtype, "Variable")
        self._initializer = initializer
        self._regularizer = regularizer
        if isinstance(initializer, str) or callable(initializer) and not isinstance(initializer, np.ndarray):
            from fastmlp import initializers
            if shape is None:
                raise ValueError("a Variable made from an initializer needs a shape")
            value = initializers.get(initializer)(tuple(shape), dtype=self._dtype)
        else:
            value = np.asarray(initializer, dtype=_dtypes.numpy_dtype(self._dtype))
            if shape is not None and tuple(value.shape) != tuple(shape):
                raise ValueError(f"Variable: the initial value has shape {value.shape}, shape says {tuple(shape)}")
            self._initializer = None
        self._array = np.array(value, dtype=_dtypes.numpy_dtype(self._dtype))
        self._shape = self._array.shape
        self._getter = None
        self.name = name if name is not None else "variable"
        self._path = self.name
        self.trainable = bool(trainable)

    @classmethod
    def _view(cls, getter, name, path, trainable=True, shape=None):
        """A Variable whose value is ``getter()`` (a NumPy view on C++ memory, fetched on every access so
        that it stays valid), shown with ``shape``."""
        variable = cls.__new__(cls)
        variable._getter, variable._array = getter, None
        variable._initializer = variable._regularizer = None
        variable.name, variable._path, variable.trainable = name, path, bool(trainable)
        variable._shape = tuple(shape) if shape is not None else tuple(getter().shape)
        variable._dtype = str(getter().dtype)
        return variable

    def _attach(self, getter, path=None):
        """The core took this variable over: from now on its value is ``getter()``, and the array it held
        until now is copied there."""
        target = getter().reshape(self._shape)
        target[...] = self._array
        self._getter, self._array = getter, None
        if path is not None:
            self._path = path

    def _adopt(self, getter, path=None):
        """The core already holds this variable's value (a loaded model): view it, copying nothing."""
        self._getter, self._array = getter, None
        if path is not None:
            self._path = path

    # ---- what tracing reads -----------------------------------------------------------------------
    def _initializer_config(self):
        from fastmlp import initializers
        if self._initializer is None or not isinstance(self._initializer, (str, dict, initializers.Initializer)):
            return "zeros"  # the value is copied in after the core is built (_attach)
        return initializers._to_config(self._initializer)

    def _regularizer_config(self):
        from fastmlp import regularizers
        return None if self._regularizer is None else regularizers._to_config(self._regularizer)

    # ---- Keras's API ----------------------------------------------------------------------------------
    @property
    def value(self):
        """The value: an array viewing the weight, or inside a trace (a layer's call, a metric's result) the
        traced tensor that reads it."""
        from fastmlp.tracing import active
        tracer = active()
        if tracer is not None and not tracer.accumulates(self):
            from fastmlp.tracing.symbolic import SymbolicTensor
            return SymbolicTensor(tracer, tracer.weight(self), tracer.dtype)
        return self._current()

    def _current(self):
        if self._getter is None:
            return self._array
        return self._getter().reshape(self._shape)

    def numpy(self):
        return np.array(self._current(), copy=True)

    @property
    def shape(self):
        return self._shape

    @property
    def ndim(self):
        return len(self._shape)

    @property
    def size(self):
        return int(np.prod(self._shape, dtype=np.int64))

    @property
    def dtype(self):
        return self._dtype

    @property
    def path(self):
        return self._path

    def assign(self, value):
        tracer = _accumulating_tracer(self)
        if tracer is not None:
            tracer.refuse_assign(self)
        target = self._current()
        value = np.asarray(value, dtype=target.dtype)
        if value.shape != self._shape and value.size != 1:
            raise ValueError(f"variable {self.path!r} has shape {self._shape}, cannot assign a value of shape "
                             f"{value.shape}")
        target[...] = value
        return self

    def assign_add(self, value):
        tracer = _accumulating_tracer(self)
        if tracer is not None:  # a metric's update_state being traced: the increment is what it adds
            tracer.accumulate(self, value)
            return self
        return self.assign(self._current() + np.asarray(value))

    def assign_sub(self, value):
        tracer = _accumulating_tracer(self)
        if tracer is not None:
            from fastmlp import ops
            tracer.accumulate(self, ops.negative(value))
            return self
        return self.assign(self._current() - np.asarray(value))

    def __array__(self, dtype=None, copy=None):
        value = self._current()
        if copy:
            return np.array(value, dtype=dtype, copy=True)
        return value if dtype is None else value.astype(dtype, copy=False)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        inputs = [x._current() if isinstance(x, Variable) else x for x in inputs]
        return getattr(ufunc, method)(*inputs, **kwargs)

    def __getitem__(self, key):
        return self.value[key]  # traced inside a trace (x[:, 0] of a weight), else the array's

    def __setitem__(self, key, value):
        self._current()[key] = value

    def __len__(self):
        return self._shape[0] if self._shape else 0

    def __repr__(self):
        return f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}, value={self._current()!r}>"

    # Arithmetic gives arrays (or traced tensors inside a traced call), as Keras's Variables give tensors.
    def _binary(self, other, name, reverse=False):
        from fastmlp import ops
        if other is None and name in ("negative", "abs"):
            return getattr(ops, name)(self)
        return getattr(ops, name)(other, self) if reverse else getattr(ops, name)(self, other)

    def __add__(self, o): return self._binary(o, "add")
    def __radd__(self, o): return self._binary(o, "add", True)
    def __sub__(self, o): return self._binary(o, "subtract")
    def __rsub__(self, o): return self._binary(o, "subtract", True)
    def __mul__(self, o): return self._binary(o, "multiply")
    def __rmul__(self, o): return self._binary(o, "multiply", True)
    def __truediv__(self, o): return self._binary(o, "divide")
    def __rtruediv__(self, o): return self._binary(o, "divide", True)
    def __pow__(self, o): return self._binary(o, "power")
    def __matmul__(self, o): return self._binary(o, "matmul")
    def __rmatmul__(self, o): return self._binary(o, "matmul", True)
    def __lt__(self, o): return self._binary(o, "less")
    def __le__(self, o): return self._binary(o, "less_equal")
    def __gt__(self, o): return self._binary(o, "greater")
    def __ge__(self, o): return self._binary(o, "greater_equal")
    def __neg__(self): return self._binary(None, "negative")
    def __abs__(self): return self._binary(None, "abs")
    __hash__ = object.__hash__
