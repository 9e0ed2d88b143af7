"""The base class of every metric: a core metric, which keeps its name (the key in logs and history)."""

from fastmlp import _registered


class Metric(_registered.CoreView):
    """Names a metric the C++ core computes as the epoch runs; ``name`` is the key shown in logs and
    history, and ``higher_is_better`` tells which way it improves (Keras's direction)."""

    _kind = "metric"

    @property
    def name(self):
        return self._core.name

    @property
    def higher_is_better(self):
        return self._core.higher_is_better
