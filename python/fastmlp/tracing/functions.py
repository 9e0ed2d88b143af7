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


def metric_variables(metric):
    """A Metric's variables in creation order: its own list (add_variable/add_weight) where it keeps one,
    else the Variables among its attributes."""
    from fastmlp.variables import Variable
    listed = getattr(metric, "_metric_variables", None)
    if listed is not None:
        return list(listed)
    return [value for value in vars(metric).values() if isinstance(value, Variable)]


def traced_stateful_metric_core(metric, true_width, pred_width, dtype):
    """A Metric subclass as a core metric: update_state traced to each variable's increment for a batch,
    result() traced as a function of the variables' totals (kept in double by the loop)."""
    import numpy as np
    name = getattr(metric, "name", type(metric).__name__)
    variables = metric_variables(metric)
    if not variables:
        raise TypeError(f"the metric {name!r} has no variables (add_variable) for the C++ loop to accumulate")
    with Tracer(dtype) as tracer:
        tracer.accumulate_into(variables)
        y_true, y_pred = tracer.input([true_width]), tracer.input([pred_width])
        try:
            metric.update_state(y_true, y_pred)
        except TypeError as error:
            raise TypeError(f"the metric {name!r} cannot be traced: {error}") from error
        outputs = []
        for variable in variables:
            increment = tracer.increments.get(id(variable), np.zeros(variable.shape))
            node = tracer.node_of(increment)
            if tuple(tracer.spec.shape(node)) != tuple(variable.shape):
                raise ValueError(f"the metric {name!r} adds a tensor of shape {tracer.spec.shape(node)} to its "
                                 f"variable {variable.name!r} of shape {variable.shape}")
            outputs.append(node)
        tracer.spec.set_outputs(outputs)
    initials = [np.asarray(variable._current(), dtype=np.float64) for variable in variables]
    with Tracer("float64") as totals:
        for index, (variable, initial) in enumerate(zip(variables, initials)):
            node = totals.spec.add_weight(f"state_{index}", list(variable.shape), "zeros", None, False)
            if np.any(initial != 0):  # the loop's totals start at 0: add where the variable started
                node = totals.spec.add("add", [node, totals.constant(initial)], None)
            totals._weight_nodes[id(variable)] = node
        value = metric.result()
        value = totals.node_of(value)
        totals.spec.set_outputs([value])
    return _core.registries["metric"].create(
        "TracedMetric", {"name": name, "update": tracer.spec.config, "result": totals.spec.config,
                         "higher_is_better": bool(getattr(metric, "higher_is_better", False))})
