"""Learning-rate schedules (``fastmlp.optimizers.schedules``): the rate as a function of the step count,
evaluated in C++ before every update, with Keras's formulas."""

from fastmlp import _core


class LearningRateSchedule:
    """Base class; ``schedule(step)`` gives the rate used for update number ``step`` (from 0)."""

    def __call__(self, step):
        return self._core(int(step))

    def get_config(self):
        return {"class_name": type(self).__name__, "config": dict(self._config)}


class ExponentialDecay(LearningRateSchedule):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)`` (floored exponent with staircase)."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name=None):
        self._config = dict(initial_learning_rate=float(initial_learning_rate), decay_steps=_integral(decay_steps),
                            decay_rate=float(decay_rate), staircase=bool(staircase))
        self._core = _core.ExponentialDecay(**self._config)


class InverseTimeDecay(LearningRateSchedule):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)`` (floored ratio with staircase)."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name=None):
        self._config = dict(initial_learning_rate=float(initial_learning_rate), decay_steps=_integral(decay_steps),
                            decay_rate=float(decay_rate), staircase=bool(staircase))
        self._core = _core.InverseTimeDecay(**self._config)


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[i]`` while ``step <= boundaries[i]``, ``values[-1]`` after the last boundary."""

    def __init__(self, boundaries, values, name=None):
        self._config = dict(boundaries=[float(b) for b in boundaries], values=[float(v) for v in values])
        self._core = _core.PiecewiseConstantDecay(**self._config)


class CosineDecay(LearningRateSchedule):
    """Optional linear warm-up to ``warmup_target``, then a cosine down to ``alpha`` times the peak over
    ``decay_steps``."""

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name=None, warmup_target=None,
                 warmup_steps=0):
        self._config = dict(initial_learning_rate=float(initial_learning_rate), decay_steps=_integral(decay_steps),
                            alpha=float(alpha), warmup_target=None if warmup_target is None else float(warmup_target),
                            warmup_steps=_integral(warmup_steps))
        self._core = _core.CosineDecay(**dict(self._config, warmup_target=-1.0 if warmup_target is None
                                              else float(warmup_target)))


_CLASSES = {cls.__name__: cls for cls in (ExponentialDecay, InverseTimeDecay, PiecewiseConstantDecay, CosineDecay)}


def _from_core(core):
    """The Python schedule around a C++ one read from a model file (its arguments come as one flat list)."""
    cls, values = _CLASSES[core.class_name], list(core.arguments)
    if cls is PiecewiseConstantDecay:
        boundaries = (len(values) - 1) // 2
        schedule = cls(values[:boundaries], values[boundaries:])
    elif cls is CosineDecay:
        initial, decay_steps, alpha, warmup_target, warmup_steps = values
        schedule = cls(initial, _integral(decay_steps), alpha,
                       warmup_target=None if warmup_target < 0 else warmup_target,
                       warmup_steps=_integral(warmup_steps))
    else:
        initial, decay_steps, decay_rate, staircase = values
        schedule = cls(initial, _integral(decay_steps), decay_rate, bool(staircase))
    schedule._core = core
    return schedule


def _integral(value):
    """Step counts as Keras shows them: 10, not 10.0."""
    return int(value) if float(value).is_integer() else value


def deserialize(config):
    cls = _CLASSES[config["class_name"]]
    arguments = dict(config["config"])
    return cls(**arguments)
