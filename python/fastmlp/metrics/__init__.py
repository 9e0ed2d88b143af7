"""Metrics with Keras's names, computed in C++ as the epoch runs. Pass names (``metrics=["accuracy"]``)
or these objects (``metrics=[Precision(name="prec")]``); the history key is the name.

There is a class for every metric the C++ core registers, with Keras's parameters and defaults.
"accuracy" (and ``Accuracy()``) is resolved from the loss as Keras resolves the string: binary,
categorical or sparse categorical accuracy.
"""

from fastmlp import _registered
from fastmlp.metrics.mean_metric_wrapper import MeanMetricWrapper
from fastmlp.metrics.metric import Metric

_registry = _registered.registry("metric")

globals().update(_registered.view_classes(
    "metric", Metric, __name__, lambda cls: _registered.describe(cls, "Keras's metric")))


def get(identifier):
    """A Metric from a name (shown under that name, as in Keras: metrics=["mse"] logs "mse"), an
    instance, Keras's serialized form, or a Keras 3 metric object of a class fastmlp has (by its get_config())."""
    if isinstance(identifier, Metric):
        return identifier  # a user's subclass is traced by compile
    if isinstance(identifier, str):
        return _registered.view_of(_registry.create(identifier, {"name": identifier}), globals())
    if isinstance(identifier, dict) and "class_name" in identifier:
        return _registered.view_of(_registry.deserialize(identifier), globals())
    # A Keras 3 metric object, by its config (before the callables below: Keras's metrics are callable).
    keras = _registered.keras_config("metric", identifier, globals())
    if keras is not None:
        return globals()[keras[0]].from_config(keras[1])
    if isinstance(identifier, MeanMetricWrapper) or hasattr(identifier, "_traced_core"):
        return identifier
    if callable(identifier) and not isinstance(identifier, type):
        return MeanMetricWrapper(identifier)
    raise TypeError(f"metrics must be names such as 'accuracy' or fastmlp.metrics objects; got {identifier!r} "
                    "(custom Python metrics cannot run inside the C++ training loop)")


def identifier_of(core):
    """What compile() is given for a core metric: the string it was made from ("accuracy"), or the Metric."""
    made_from_name = _registry.class_name_of(core.name) == core.class_name and \
        _registry.create(core.name, {"name": core.name}).config == core.config
    return core.name if made_from_name else _registered.view_of(core, globals())


def serialize(metric):
    return get(metric).serialize()


__all__ = ["MeanMetricWrapper", "Metric", "get", "serialize", *_registered.entries("metric")]
