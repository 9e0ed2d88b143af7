"""Tracing users' Python code into graphs the C++ core runs.

``fastmlp.ops`` called on symbolic tensors records primitives into a graph (``_core.graph.Spec``); a
layer's ``call``, a loss function or a metric function is traced once per input signature, and the
graph then runs forward and backward inside the C++ training loop, without Python. See
``tracer.py`` (the recording), ``symbolic.py`` (the tensors user code sees) and ``functions.py``
(turning a Python function into a traced core object)."""

from fastmlp.tracing.symbolic import SymbolicTensor, is_traced
from fastmlp.tracing.tracer import Tracer, active

__all__ = ["SymbolicTensor", "Tracer", "active", "is_traced"]
