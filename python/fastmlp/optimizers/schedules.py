"""Learning-rate schedules (``fastmlp.optimizers.schedules``): the rate as a function of the step count,
evaluated in C++ before every update, with Keras's formulas. There is a class for every schedule the
C++ core registers, with Keras's parameters and defaults."""

from fastmlp import _registered

_registry = _registered.registry("schedule")


class LearningRateSchedule(_registered.CoreView):
    """Base class; ``schedule(step)`` gives the rate used for update number ``step`` (from 0)."""

    _kind = "schedule"

    def __call__(self, step):
        return self._core(int(step))


globals().update(_registered.view_classes(
    "schedule", LearningRateSchedule, __name__,
    lambda cls: _registered.describe(cls, "Keras's learning-rate schedule")))


def deserialize(config):
    """A schedule from Keras's serialized form: {"class_name": ..., "config": {...}}."""
    return _registered.view_of(_registry.deserialize(config), globals())


def serialize(schedule):
    return schedule.serialize()


__all__ = ["LearningRateSchedule", "deserialize", "serialize", *_registered.entries("schedule")]
