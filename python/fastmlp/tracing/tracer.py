"""The recording of one trace: a graph spec in the core, the weights (Variables) and constants the
traced code reads, and the symbolic tensors it made."""

import threading

import numpy as np

from fastmlp import _core

_state = threading.local()


def active():
    """The innermost tracer of this thread, or None."""
    stack = getattr(_state, "stack", None)
    return stack[-1] if stack else None


class Tracer:
    """Records ``fastmlp.ops`` on symbolic tensors into ``self.spec``. Used as a context manager: while
    it is active, Variables read by ops become weight nodes of the graph."""

    def __init__(self, dtype="float32"):
        self.spec = _core.graph.Spec()
        self.dtype = dtype
        self.variables = []   # the Variables read, in the order of their weight nodes
        self.weight_names = []  # the name each has in the graph (unique within it)
        self._weight_nodes = {}  # id(variable) -> node
        self._scalars = {}    # a Python number -> its constant node
        self.added_losses = []  # what the traced call passed to add_loss (traced numbers)

    # ---- a metric's update_state: its variables only accumulate -----------------------------------------
    def accumulate_into(self, variables):
        """While tracing a metric's update_state: ``variables`` are its state, which update_state may only add
        to (assign_add/assign_sub); the increments, one per variable, become the graph's outputs."""
        self._accumulating = {id(v): v for v in variables}
        self.increments = {}

    def accumulates(self, variable):
        return id(variable) in getattr(self, "_accumulating", {})

    def accumulate(self, variable, value):
        from fastmlp import ops
        previous = self.increments.get(id(variable))
        self.increments[id(variable)] = value if previous is None else ops.add(previous, value)

    def refuse_assign(self, variable):
        raise TypeError(f"update_state assigns the metric variable {variable.name!r}; to run in the C++ loop a "
                        "metric's state is a sum over batches, so update it with assign_add (or assign_sub) of what "
                        "each batch adds, and compute the metric from the sums in result()")

    def __enter__(self):
        if not hasattr(_state, "stack"):
            _state.stack = []
        _state.stack.append(self)
        return self

    def __exit__(self, *exc):
        _state.stack.pop()
        return False

    # ---- nodes -----------------------------------------------------------------------------------
    def input(self, sample_shape, dtype=None):
        """A symbolic batch of samples of ``sample_shape``: shape (None, *sample_shape)."""
        from fastmlp.tracing.symbolic import SymbolicTensor
        node = self.spec.add_input([-1, *[int(d) for d in sample_shape]])
        return SymbolicTensor(self, node, dtype or self.dtype)

    def weight(self, variable):
        """The node of a Variable, added on its first use."""
        node = self._weight_nodes.get(id(variable))
        if node is None:
            if self.accumulates(variable):
                raise TypeError(f"update_state reads the metric variable {variable.name!r}; to run in the C++ loop "
                                "it may only add to its variables (assign_add), and result() reads them")
            if variable._getter is not None:
                raise ValueError(f"weight {variable.path!r} already belongs to a traced layer: a weight can be read "
                                 "by one layer's call (use the same layer twice to share it)")
            name = variable.name
            taken = set(self.weight_names)
            suffix = 1
            while name in taken:  # the core keys a layer's weights by name
                name, suffix = f"{variable.name}_{suffix}", suffix + 1
            node = self.spec.add_weight(name, list(variable.shape), variable._initializer_config(),
                                        variable._regularizer_config(), bool(variable.trainable),
                                        variable._constraint_config())
            self._weight_nodes[id(variable)] = node
            self.variables.append(variable)
            self.weight_names.append(name)
        return node

    def constant(self, value):
        """The node of a constant (a number or an array)."""
        if isinstance(value, (bool, int, float, np.number)) and not isinstance(value, np.ndarray):
            key = float(value)
            if key not in self._scalars or np.isnan(key):
                self._scalars[key] = self.spec.add_constant(np.array([key], dtype=np.float64), [])
            return self._scalars[key]
        array = np.asarray(value)
        if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
            raise TypeError(f"a traced op takes tensors, numbers or numeric arrays, got {value!r}")
        if array.ndim > 8:
            raise ValueError(f"a constant has at most 8 axes, got shape {array.shape}")
        return self.spec.add_constant(np.ascontiguousarray(array, dtype=np.float64).reshape(-1), list(array.shape))

    def node_of(self, value):
        """The node for an op's operand: a symbolic tensor of this trace, a Variable, or a constant."""
        from fastmlp.tracing.symbolic import SymbolicTensor
        from fastmlp.variables import Variable
        if isinstance(value, SymbolicTensor):
            if value._tracer is not self:
                raise ValueError("a tensor from another traced function was used here; a layer's call, a loss "
                                 "and a metric are traced separately and cannot share tensors")
            return value._node
        if isinstance(value, Variable):
            return self.weight(value)
        return self.constant(value)

    def record(self, op, operands, attrs=None, dtype=None):
        """A new symbolic tensor: primitive ``op`` applied to ``operands``."""
        from fastmlp.tracing.symbolic import SymbolicTensor
        nodes = [self.node_of(x) for x in operands]
        node = self.spec.add(op, nodes, attrs)
        return SymbolicTensor(self, node, dtype or self.dtype)
