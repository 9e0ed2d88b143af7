"""KerasTensor: the symbolic tensor of Keras's functional API. ``Input((784,))`` makes one; a layer
called on KerasTensors records the call and returns a new one; ``Model(inputs, outputs)`` hands the
recorded graph to the C++ core, which owns it from then on. A KerasTensor holds no values."""

import itertools

import numpy as np

_creation = itertools.count()  # calls are replayed in the order they were made: a topological order


class KerasTensor:
    """The shape of a tensor in a model being defined (``(None, 64)``), and how it is computed: an
    ``Input``, or a layer called on other KerasTensors (``_keras_history``: that layer and its inputs)."""

    sparse = False

    def __init__(self, shape, layer, inputs=(), name=None):
        self.shape = tuple(shape)
        self.dtype = layer.dtype  # "float32" or "float64": what its layer (or Input) computes in
        self._layer = layer            # the InputLayer, a Layer, or a Model used as a layer
        self._inputs = tuple(inputs)   # the KerasTensors it was called on (none for an Input)
        self._order = next(_creation)
        self.name = name if name is not None else layer.name

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def _keras_history(self):
        """(layer, inputs), as Keras keeps the operation that made a tensor."""
        return self._layer, self._inputs

    @property
    def is_input(self):
        return not self._inputs

    @property
    def width(self):
        """Features per sample as the core sees them (samples are flattened rows)."""
        return int(np.prod(self.shape[1:]))

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"

    # Keras maps arithmetic on symbolic tensors to layers: x + y is Add()([x, y]) for two tensors of one
    # shape; anything else (x * 2.0, -x, x @ w) an op layer (fastmlp.ops on KerasTensors).
    def __add__(self, other):
        return _arithmetic("Add", "add", self, other)

    def __sub__(self, other):
        return _arithmetic("Subtract", "subtract", self, other)

    def __mul__(self, other):
        return _arithmetic("Multiply", "multiply", self, other)

    def __radd__(self, other):
        return _arithmetic("Add", "add", other, self)

    def __rsub__(self, other):
        return _arithmetic("Subtract", "subtract", other, self)

    def __rmul__(self, other):
        return _arithmetic("Multiply", "multiply", other, self)

    def __truediv__(self, other):
        return _op("divide", self, other)

    def __rtruediv__(self, other):
        return _op("divide", other, self)

    def __pow__(self, other):
        return _op("power", self, other)

    def __matmul__(self, other):
        return _op("matmul", self, other)

    def __neg__(self):
        return _op("negative", self)

    def __abs__(self):
        return _op("abs", self)

    def __getitem__(self, key):
        from fastmlp.layers.lambda_layer import Lambda
        return Lambda(lambda x: x[key])(self)

    def __array__(self, *args, **kwargs):
        raise TypeError("a KerasTensor is symbolic: it has a shape but no values. Build a model with "
                        "fastmlp.Model(inputs, outputs) and call model.predict(x) to compute values")


def _arithmetic(class_name, op, a, b):
    from fastmlp import layers
    if isinstance(a, KerasTensor) and isinstance(b, KerasTensor) and a.shape == b.shape:
        return getattr(layers, class_name)()([a, b])
    return _op(op, a, b)


def _op(name, *args):
    from fastmlp import ops
    return getattr(ops, name)(*args)


def is_symbolic(value):
    """Whether ``value`` is a KerasTensor or a (nested) list/tuple/dict holding one."""
    if isinstance(value, KerasTensor):
        return True
    if isinstance(value, dict):
        return any(is_symbolic(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(is_symbolic(v) for v in value)
    return False


def flatten(structure, what):
    """The KerasTensors of a tensor, a list/tuple or a dict (values in insertion order), and the dict's
    keys (None for a tensor or list)."""
    if isinstance(structure, KerasTensor):
        return [structure], None
    if isinstance(structure, dict):
        keys, values = list(structure), list(structure.values())
    elif isinstance(structure, (list, tuple)):
        keys, values = None, list(structure)
    else:
        raise TypeError(f"{what} must be KerasTensors (from fastmlp.Input or a layer called on one), got {structure!r}")
    for value in values:
        if not isinstance(value, KerasTensor):
            raise TypeError(f"{what} must be KerasTensors (from fastmlp.Input or a layer called on one), got {value!r}")
    if not values:
        raise ValueError(f"{what} must hold at least one tensor")
    return values, keys


def calls_between(inputs, outputs):
    """The KerasTensors made by layer calls that ``outputs`` depend on, in the order they were made,
    checking that every Input they depend on is among ``inputs`` (Keras's "graph disconnected")."""
    wanted = {id(t) for t in inputs}
    found, stack, seen = [], list(outputs), set()
    while stack:
        tensor = stack.pop()
        if id(tensor) in seen:
            continue
        seen.add(id(tensor))
        if id(tensor) in wanted:
            continue
        if tensor.is_input:
            names = [t.name for t in inputs]
            raise ValueError(f"the outputs depend on Input {tensor.name!r}, which is not among the model's inputs "
                             f"{names}: pass it in inputs (Keras: graph disconnected)")
        found.append(tensor)
        stack.extend(tensor._inputs)
    return sorted(found, key=lambda t: t._order)
