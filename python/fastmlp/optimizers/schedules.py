"""Learning-rate schedules (``fastmlp.optimizers.schedules``): the rate as a function of the step count,
evaluated in C++ before every update, with Keras's formulas. There is a class for every schedule the
C++ core registers, with Keras's parameters and defaults."""

import numpy as np

from fastmlp import _registered

_registry = _registered.registry("schedule")


class LearningRateSchedule(_registered.CoreView):
    """Base class; ``schedule(step)`` gives the rate used for update number ``step`` (from 0), a float;
    on an array of steps (``schedule(np.arange(100))``, to plot it) an array of the rates, float32 as
    Keras's."""

    _kind = "schedule"

    def __call__(self, step):
        steps = np.asarray(step)
        if steps.dtype == bool or steps.dtype.kind not in "iuf":
            raise TypeError(f"a schedule takes step counts (integers), got {step!r}")
        # The core counts whole steps, as training does; a fractional step would be silently truncated.
        if steps.dtype.kind == "f" and not np.all(np.isfinite(steps) & (steps == np.floor(steps))):
            raise ValueError(f"a schedule takes whole step counts, got {step!r}")
        if steps.ndim == 0:
            return self._core(int(steps))
        rates = self._core.at_steps(np.ascontiguousarray(steps.reshape(-1), dtype=np.int64))
        return rates.astype(np.float32).reshape(steps.shape)


globals().update(_registered.view_classes(
    "schedule", LearningRateSchedule, __name__,
    lambda cls: _registered.describe(cls, "Keras's learning-rate schedule")))


def deserialize(config):
    """A schedule from Keras's serialized form: {"class_name": ..., "config": {...}}."""
    return _registered.view_of(_registry.deserialize(config), globals())


def serialize(schedule):
    return schedule.serialize()


__all__ = ["LearningRateSchedule", "deserialize", "serialize", *_registered.entries("schedule")]
