"""A Python function of (y_true, y_pred), a loss or a metric, traced into a core object that the C++
training loop runs: TracedLoss (its gradient from the graph) or TracedMetric (the mean of its values)."""

from fastmlp import _core
from fastmlp.tracing.symbolic import SymbolicTensor
from fastmlp.tracing.tracer import Tracer


def trace_targets_function(function, true_width, pred_width, dtype, what):
    """The graph spec of ``function(y_true, y_pred)`` for batches of (true_width, pred_width) columns."""
    with Tracer(dtype) as tracer:
        y_true = tracer.input([true_width])
        y_pred = tracer.input([pred_width])
        try:
            output = function(y_true, y_pred)
        except TypeError as error:  # such as len() or float() of a traced tensor: say which function
            raise TypeError(f"{what} cannot be traced: {error}") from error
    if not isinstance(output, SymbolicTensor) or output._tracer is not tracer:
        raise TypeError(f"{what} must compute its result from y_true and y_pred with fastmlp.ops, got {output!r}")
    if tracer.variables:
        raise ValueError(f"{what} reads weights ({', '.join(v.path for v in tracer.variables)}); a loss or metric "
                         "function may only read y_true and y_pred")
    tracer.spec.set_outputs([output._node])
    return tracer.spec


def traced_loss_core(function, true_width, pred_width, dtype, keras_class=None, name=None):
    spec = trace_targets_function(function, true_width, pred_width, dtype, f"the loss {name or _name(function)}")
    return _core.registries["loss"].create("TracedLoss", {"graph": spec.config, "keras_class": keras_class})


def traced_metric_core(function, name, true_width, pred_width, dtype, higher_is_better=False, keras_class=None):
    spec = trace_targets_function(function, true_width, pred_width, dtype, f"the metric {name!r}")
    return _core.registries["metric"].create(
        "TracedMetric", {"name": name, "graph": spec.config, "higher_is_better": bool(higher_is_better),
                         "keras_class": keras_class})


def _name(function):
    return getattr(function, "__name__", type(function).__name__)
