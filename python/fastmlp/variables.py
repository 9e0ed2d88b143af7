"""Variable: Keras's variable, holding a weight or a piece of state as a NumPy array.

A variable is one of two things:

- a view of memory the C++ core owns (``layer.kernel``, ``model.weights``, ``optimizer.variables``),
  made by ``Variable._view``: each access fetches the current NumPy view again, so the variable stays
  valid after the model rebuilds, and ``assign`` writes into the model;
- a standalone variable, ``Variable(initializer, shape, dtype, ...)`` as in Keras, holding its own
  array (what a user Metric's ``add_variable`` makes, or a user layer's ``add_weight`` until its layer
  is traced: the core then takes the value over, ``_attach``, or views a loaded one, ``_adopt``).

Either acts as an array: NumPy functions, ufuncs and operators take it and return plain arrays
(``np.asarray(v)`` is a view of its memory, not a copy), and ``v[...] = x`` or ``v += x`` write in
place. Inside a traced call (a user layer's ``call``, a loss, a metric) operators record ops of the
graph instead, through ``fastmlp.ops``. ``.numpy()`` gives a copy, as Keras's does. Arrays that layers
and models return are NumPy arrays already; ``fastmlp.ops.convert_to_numpy(x)`` takes either, for scripts written for tensors.
"""

import operator

import numpy as np

from fastmlp import _dtypes
from fastmlp._naming import unique_name

_AGGREGATIONS = (None, "none", "mean", "sum", "only_first_replica")


def _accumulating_tracer(variable):
    """The active trace of a metric's update_state when ``variable`` is one of that metric's variables."""
    from fastmlp.tracing import active
    tracer = active()
    return tracer if tracer is not None and tracer.accumulates(variable) else None
_SYNCHRONIZATIONS = (None, "none", "on_read", "on_write", "auto")


class DTypeName(str):
    """A dtype's name, "float32", as Keras's ``variable.dtype`` gives it, which also compares equal to
    the NumPy dtype it names (``v.dtype == np.float32``), as scripts written for arrays compare it."""

    def __eq__(self, other):
        if isinstance(other, str):
            return str.__eq__(self, other)
        try:
            return np.dtype(other) == np.dtype(str(self))
        except TypeError:
            return NotImplemented

    def __ne__(self, other):
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = str.__hash__


def _dtype_name(dtype, who):
    """Keras's standardize_dtype for a variable: floats as fastmlp names them, other NumPy dtypes
    (integer counters, bool) by NumPy's name."""
    name = _dtypes._name_of(dtype)
    if name in _dtypes.DTYPES:
        return name
    try:
        found = np.dtype(name)
    except TypeError:
        found = None
    if found is None or found.kind not in "biuf":
        raise ValueError(f"{who}: dtype must name a NumPy number type such as 'float32' or 'int64', got {dtype!r}")
    return found.name


def _initial_array(initializer, shape, dtype, who):
    """The standalone variable's first value: an array or number as given (converted to ``dtype``), or
    what an initializer (a name, an object or a callable f(shape, dtype)) returns for ``shape``."""
    if isinstance(initializer, str) or isinstance(initializer, dict):
        from fastmlp import initializers
        initializer = initializers.get(initializer)
    if callable(initializer) and not isinstance(initializer, (np.ndarray, Variable)):
        if shape is None:
            raise ValueError(f"{who}: a variable made from an initializer needs a shape; got initializer="
                             f"{initializer!r} and shape=None")
        dtype = _dtypes.floatx() if dtype is None else dtype
        value = np.asarray(initializer(shape, dtype=dtype))
        return value.astype(_dtypes._NUMPY.get(dtype, dtype), copy=False), dtype
    value = np.asarray(initializer)
    if value.dtype.kind not in "biuf":
        raise TypeError(f"{who}: the initial value must be numbers, got {initializer!r}")
    if dtype is None:
        # Keras: an array keeps its dtype; a Python float takes floatx(), a Python int int32.
        if isinstance(initializer, np.ndarray):
            dtype = value.dtype.name
        elif value.dtype.kind == "f":
            dtype = _dtypes.floatx()
        elif value.dtype.kind in "iu":
            dtype = "int32"
        else:
            dtype = value.dtype.name
    value = np.array(value, dtype=dtype, copy=True)
    if shape is not None and tuple(shape) != value.shape:
        raise ValueError(f"{who}: the initial value has shape {value.shape}, but shape={tuple(shape)} was given")
    return value, dtype


def _plain(value):
    """An operand as NumPy sees it: a variable's array, anything else unchanged."""
    return value._current() if isinstance(value, Variable) else value


class Variable:
    """Keras's ``Variable(initializer, shape=None, dtype=None, trainable=True, autocast=True,
    aggregation="none", synchronization="auto", name=None)``: a named array of state.

    Args:
        initializer: the initial value (an array or a number), or an initializer (a name such as
            "zeros", a ``fastmlp.initializers`` object, or a callable ``f(shape, dtype)``), which then
            needs ``shape``.
        shape: the variable's shape (tuple of integers).
        dtype: None (an array's own dtype; floatx() for an initializer or a Python float) or a NumPy
            number type's name.
        trainable, autocast, aggregation, synchronization: Keras's annotations, kept and shown; fastmlp
            computes in one dtype, so autocast changes nothing.
        name: the variable's name (no "/"); "variable", "variable_1", ... when None.
    """

    def __init__(self, initializer, shape=None, dtype=None, trainable=True, autocast=True, aggregation="none",
                 synchronization="auto", name=None, regularizer=None, constraint=None, **kwargs):
        if kwargs:
            raise TypeError(f"Variable got unexpected arguments: {', '.join(kwargs)}")
        name = unique_name("variable") if name is None else name
        if not isinstance(name, str) or "/" in name:
            raise ValueError("Argument `name` must be a string and cannot contain character `/`. "
                             f"Received: name={name}")
        if aggregation not in _AGGREGATIONS:
            raise ValueError("Invalid value for argument `aggregation`. Expected one of `None`, `'none'`, `'mean'`, "
                             f"`'sum'`, `'only_first_replica'`. Received: aggregation={aggregation}")
        if synchronization not in _SYNCHRONIZATIONS:
            raise ValueError("Invalid value for argument `synchronization`. Expected one of `None`, `'none'`, "
                             f"`'on_read'`, `'on_write'`, `'auto'`. Received: synchronization={synchronization}")
        if shape is not None:
            shape = tuple(int(d) for d in shape)
        if dtype is not None:
            dtype = _dtype_name(dtype, f"Variable {name!r}")
        self._array, dtype = _initial_array(initializer, shape, dtype, f"Variable {name!r}")
        self._initializer = initializer
        self._regularizer = regularizer
        if constraint is not None:
            from fastmlp import constraints
            constraints.get(constraint)  # a ValueError or TypeError now for one fastmlp cannot apply
        self._constraint = constraint
        self._getter = None
        self._view_shape = None
        self._name = name
        self._path = name
        self._trainable = bool(trainable)
        self._autocast = bool(autocast)
        self._aggregation = "none" if aggregation is None else aggregation
        self._synchronization = "none" if synchronization is None else synchronization

    @classmethod
    def _view(cls, getter, name, path, trainable=True, shape=None):
        """A variable over memory held elsewhere (a weight in the C++ core).

        Args:
            getter: called with no arguments at every access, returns the current NumPy array (a view of
                the C++ memory), so that the variable follows the memory after a model rebuilds it.
            name: the weight's name ("kernel").
            path: Keras's path ("dense/kernel").
            trainable: a bool, or a callable with no arguments returning one (a layer's weight follows
                the layer's trainable flag).
            shape: the shape to show the array in (Keras's), when the memory holds it in another
                (a bias stored as (1, n) shown as (n,)); None: the array's own.
        """
        variable = cls.__new__(cls)
        variable._array = None
        variable._initializer = variable._regularizer = variable._constraint = None
        variable._getter = getter
        variable._view_shape = None if shape is None else tuple(int(d) for d in shape)
        variable._name = str(name)
        variable._path = str(path)
        variable._trainable = trainable if callable(trainable) else bool(trainable)
        variable._autocast = True
        variable._aggregation = "none"
        variable._synchronization = "auto"
        return variable

    def _attach(self, getter, path=None):
        """The core took this standalone variable over (its layer was traced): the value held so far is
        copied into ``getter()``'s memory, which the variable views from now on, in its own shape."""
        target = getter().reshape(self._array.shape)
        target[...] = self._array
        self._adopt(getter, path)

    def _adopt(self, getter, path=None):
        """The core already holds this variable's value (a loaded model): view it, copying nothing."""
        if self._getter is None:
            self._view_shape = self._array.shape
        self._getter, self._array = getter, None
        if path is not None:
            self._path = path

    # ---- what tracing reads ----------------------------------------------------------------------
    def _initializer_config(self):
        """The initializer as the core's graph takes it; "zeros" for a value (copied in by _attach)."""
        from fastmlp import initializers
        if self._initializer is None or not isinstance(self._initializer, (str, dict, initializers.Initializer)):
            return "zeros"
        return initializers._to_config(self._initializer)

    def _regularizer_config(self):
        from fastmlp import regularizers
        return None if self._regularizer is None else regularizers._to_config(self._regularizer)

    def _constraint_config(self):
        from fastmlp import constraints
        return None if self._constraint is None else constraints._to_config(self._constraint)

    # ---- the value -------------------------------------------------------------------------------
    @property
    def value(self):
        """The variable's array itself (writing into it changes the variable); inside a trace (a layer's
        call, a metric's result) the traced tensor that reads it."""
        from fastmlp.tracing import active
        tracer = active()
        if tracer is not None and not tracer.accumulates(self):
            from fastmlp.tracing.symbolic import SymbolicTensor
            return SymbolicTensor(tracer, tracer.weight(self), tracer.dtype)
        return self._current()

    def _current(self):
        """The array holding the value now, whatever is being traced."""
        if self._getter is None:
            return self._array
        array = self._getter()
        if self._view_shape is not None and array.shape != self._view_shape:
            array = array.reshape(self._view_shape)  # a view: the C++ buffers are contiguous
        return array

    def numpy(self):
        """A copy of the value, as Keras's ``variable.numpy()``."""
        return np.array(self._current(), copy=True)

    def assign(self, value):
        """Writes ``value`` (an array of the variable's shape, or a number for a scalar variable) into
        the variable's memory; returns the variable."""
        tracer = _accumulating_tracer(self)
        if tracer is not None:
            tracer.refuse_assign(self)  # a traced metric's state only accumulates
        target = self._current()
        value = np.asarray(_plain(value))
        if value.dtype.kind not in "biuf":
            raise TypeError(f"variable {self.path!r} takes numbers, got an array of dtype {value.dtype}")
        if value.shape != target.shape:
            raise ValueError("The shape of the target variable and the shape of the target value in "
                             f"`variable.assign(value)` must match. variable.shape={self.shape}, "
                             f"Received: value.shape={value.shape}. Target variable: {self!r}")
        target[...] = value
        return self

    def assign_add(self, value):
        tracer = _accumulating_tracer(self)
        if tracer is not None:  # a metric's update_state being traced: the increment is what it adds
            tracer.accumulate(self, value)
            return self
        return self.assign(self._current() + np.asarray(_plain(value)))

    def assign_sub(self, value):
        tracer = _accumulating_tracer(self)
        if tracer is not None:
            from fastmlp import ops
            tracer.accumulate(self, ops.negative(value))
            return self
        return self.assign(self._current() - np.asarray(_plain(value)))

    # ---- what Keras's variable shows -------------------------------------------------------------
    @property
    def shape(self):
        return tuple(self._current().shape)

    @property
    def ndim(self):
        return self._current().ndim

    @property
    def dtype(self):
        """The dtype's name, "float32", as Keras gives it (it also compares equal to np.float32)."""
        return DTypeName(self._current().dtype.name)

    @property
    def name(self):
        return self._name

    @property
    def path(self):
        """Where the variable lives: "dense/kernel" for a layer's weight, the name for a standalone one."""
        return self._path

    @property
    def trainable(self):
        return bool(self._trainable()) if callable(self._trainable) else self._trainable

    @trainable.setter
    def trainable(self, value):
        if callable(self._trainable):
            raise ValueError(f"variable {self.path!r} is trainable as its layer is: set the layer's trainable instead")
        self._trainable = bool(value)

    @property
    def autocast(self):
        return self._autocast

    @property
    def aggregation(self):
        return self._aggregation

    @property
    def synchronization(self):
        return self._synchronization

    @property
    def initializer(self):
        return self._initializer

    @property
    def regularizer(self):
        return self._regularizer

    @property
    def constraint(self):
        return self._constraint

    def __repr__(self):
        return f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}, value={self._current()}>"

    # ---- the NumPy array protocol --------------------------------------------------------------
    def __array__(self, dtype=None, copy=None):
        # The memory itself when no conversion is asked for: np.asarray(layer.kernel) is a view.
        value = self._current()
        if dtype is not None and np.dtype(dtype) != value.dtype:
            return value.astype(dtype)
        return np.array(value, copy=True) if copy else value

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        # Operands and out= targets as their arrays: np.add(v, 1, out=v) writes into the variable.
        inputs = tuple(_plain(x) for x in inputs)
        if "out" in kwargs:
            kwargs["out"] = tuple(_plain(x) for x in kwargs["out"])
        return getattr(ufunc, method)(*inputs, **kwargs)

    def __getattr__(self, name):
        # Array attributes a script written for NumPy weights reads (size, T, sum, reshape, flags, ...);
        # inside a trace, the traced tensor's.
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.value, name)

    def __getitem__(self, index):
        return self.value[index]  # traced inside a trace (w[:, 0] of a weight), else the array's

    def __setitem__(self, index, value):
        self._current()[index] = _plain(value)

    def __len__(self):
        return len(self._current())

    def __iter__(self):
        return iter(self._current())

    def __bool__(self):
        raise TypeError("A Keras Variable cannot be used as a boolean.")

    def __int__(self):
        return int(self._scalar())

    def __float__(self):
        return float(self._scalar())

    def __index__(self):
        return operator.index(self._scalar().item())

    def _scalar(self):
        value = self.value  # inside a trace, converting a traced tensor raises, naming the line
        if value.ndim > 0:
            raise TypeError(f"Only scalar arrays can be converted to Python scalars. Got: shape={self.shape}")
        return value

    def __neg__(self):
        return _traced("negative", self) if _tracing(self) else -self._current()

    def __pos__(self):
        return self.value if _tracing(self) else +self._current()

    def __abs__(self):
        return _traced("abs", self) if _tracing(self) else abs(self._current())

    def __invert__(self):
        return ~self._current()

    # In-place operators write into the memory, as they did on the NumPy views fastmlp gave before.
    def _in_place(self, function, other):
        function(self._current(), _plain(other))
        return self

    def __iadd__(self, other):
        return self._in_place(operator.iadd, other)

    def __isub__(self, other):
        return self._in_place(operator.isub, other)

    def __imul__(self, other):
        return self._in_place(operator.imul, other)

    def __itruediv__(self, other):
        return self._in_place(operator.itruediv, other)

    def __reduce__(self):
        # A copy (pickle, deepcopy) is a standalone variable holding the values, as Keras's copies are.
        return (_standalone, (self.numpy(), self.name, self.path, self.trainable))

    __hash__ = object.__hash__


def _tracing(*operands):
    """Whether an operator must record a graph op rather than compute: a trace is running (a user's
    call, loss or metric), or an operand is a traced or Keras tensor."""
    from fastmlp.layers.keras_tensor import is_symbolic
    from fastmlp.tracing import tracer
    from fastmlp.tracing.symbolic import SymbolicTensor
    return tracer.active() is not None or any(isinstance(x, SymbolicTensor) or is_symbolic(x) for x in operands)


def _traced(op, *operands):
    from fastmlp import ops
    return getattr(ops, op)(*operands)


def _binary(function, op, reflected=False):
    # NumPy on the value eagerly (what array code expects); the ops function of that name in a trace.
    if reflected:
        return lambda self, other: (_traced(op, other, self) if op and _tracing(self, other)
                                    else function(_plain(other), self._current()))
    return lambda self, other: (_traced(op, self, other) if op and _tracing(self, other)
                                else function(self._current(), _plain(other)))


for _name, _function, _op in (("add", operator.add, "add"), ("sub", operator.sub, "subtract"),
                              ("mul", operator.mul, "multiply"), ("truediv", operator.truediv, "divide"),
                              ("floordiv", operator.floordiv, "floor_divide"), ("mod", operator.mod, "mod"),
                              ("pow", operator.pow, "power"), ("matmul", operator.matmul, "matmul"),
                              ("and", operator.and_, None), ("or", operator.or_, None), ("xor", operator.xor, None)):
    setattr(Variable, f"__{_name}__", _binary(_function, _op))
    setattr(Variable, f"__r{_name}__", _binary(_function, _op, reflected=True))
for _name, _function, _op in (("lt", operator.lt, "less"), ("le", operator.le, "less_equal"),
                              ("gt", operator.gt, "greater"), ("ge", operator.ge, "greater_equal"),
                              ("eq", operator.eq, "equal"), ("ne", operator.ne, "not_equal")):
    setattr(Variable, f"__{_name}__", _binary(_function, _op))


def _standalone(array, name, path, trainable):
    variable = Variable(array, dtype=array.dtype, trainable=trainable, name=name)
    variable._path = path
    return variable


__all__ = ["Variable"]
