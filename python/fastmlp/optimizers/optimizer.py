"""The base class of every optimizer: a core optimizer, whose state lives next to the weights it updates.

Every optimizer takes Keras's common arguments: ``weight_decay`` (decoupled: ``w -= w * wd * lr``),
``clipnorm``, ``clipvalue``, ``global_clipnorm``, and a ``learning_rate`` that may be a schedule from
``fastmlp.optimizers.schedules``.
"""

import inspect
import numbers

from fastmlp import _registered
from fastmlp.optimizers import schedules

_KEYWORD = inspect.Parameter.POSITIONAL_OR_KEYWORD
# The arguments every optimizer's config has, which Keras's signatures put after the type's own.
_COMMON = ("weight_decay", "clipnorm", "clipvalue", "global_clipnorm")
# Keras 3 arguments for features fastmlp does not have, accepted at their defaults.
_UNSUPPORTED = {"use_ema": False, "ema_momentum": 0.99, "ema_overwrite_frequency": None,
                "loss_scale_factor": None, "gradient_accumulation_steps": None}


def signature(class_name):
    """Keras's order: learning_rate, the optimizer's own arguments, the common ones, then name."""
    found = _registered.entries("optimizer")[class_name]
    defaults = found["defaults"]
    own = [key for key in defaults if key not in ("name", "learning_rate", *_COMMON)]
    order = ["learning_rate", *own, *_COMMON]
    parameters = [inspect.Parameter(key, _KEYWORD, default=defaults[key]) for key in order]
    parameters += [inspect.Parameter(key, _KEYWORD, default=value) for key, value in _UNSUPPORTED.items()]
    parameters.append(inspect.Parameter("name", _KEYWORD, default=defaults["name"]))
    return inspect.Signature(parameters)


def _learning_rate(value):
    if isinstance(value, schedules.LearningRateSchedule):
        return value.serialize()
    if isinstance(value, dict) and "class_name" in value:
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"learning_rate must be a number or a fastmlp.optimizers.schedules schedule, got {value!r}")
    return float(value)


class Optimizer(_registered.CoreView):
    """Base class of the optimizers: Keras's update rules, run by the C++ core."""

    _kind = "optimizer"

    def _create(self, arguments):
        for key, default in _UNSUPPORTED.items():
            if arguments.pop(key) != default:
                raise ValueError(f"{type(self).__name__} {key} is not supported by fastmlp; leave it at {default!r}")
        arguments["learning_rate"] = _learning_rate(arguments["learning_rate"])
        super()._create(arguments)

    @property
    def name(self):
        return self._core.config["name"]

    @property
    def learning_rate(self):
        """The rate of the next update (the schedule's value at the current step, if one is set)."""
        return self._core.learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        if isinstance(value, schedules.LearningRateSchedule):
            self._core.set_schedule(value._core)
            return
        if self._core.has_schedule:
            # As Keras: a number would silently discard the schedule the optimizer was built with.
            raise TypeError("This optimizer was created with a LearningRateSchedule as its learning_rate, "
                            "hence its learning rate is not settable to a number. Create the optimizer with a "
                            "float learning_rate if you need to set it (LearningRateScheduler, "
                            "ReduceLROnPlateau), or assign another schedule.")
        self._core.learning_rate = _learning_rate(value)

    @property
    def iterations(self):
        """Number of update steps taken (one per batch)."""
        return self._core.iterations

    def get_config(self):
        return {**super().get_config(), **_UNSUPPORTED}
