"""Optimizers with Keras's names, arguments, defaults and update formulas (run in C++).

Every optimizer also takes Keras's common arguments: ``weight_decay`` (decoupled: ``w -= w * wd * lr``),
``clipnorm``, ``clipvalue``, ``global_clipnorm``, and a ``learning_rate`` that may be a schedule from
``fastmlp.optimizers.schedules``.
"""

import numbers

from fastmlp import _core
from fastmlp.optimizers_schedules import LearningRateSchedule
from fastmlp import optimizers_schedules as schedules


def _number(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}")
    return float(value)


class Optimizer:
    """Base class: wraps a C++ optimizer, whose state lives next to the weights it updates."""

    _core_class = None
    _defaults = {}

    def __init__(self, learning_rate, name, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, **hyper):
        options = _core.OptimizerOptions(
            weight_decay=_number(weight_decay or 0.0, "weight_decay"), clipnorm=_number(clipnorm or 0.0, "clipnorm"),
            clipvalue=_number(clipvalue or 0.0, "clipvalue"),
            global_clipnorm=_number(global_clipnorm or 0.0, "global_clipnorm"))
        self._schedule = learning_rate if isinstance(learning_rate, LearningRateSchedule) else None
        initial = 0.0 if self._schedule is not None else _number(learning_rate, "learning_rate")
        self._hyper = hyper
        self._core = self._core_class(initial, **hyper, options=options)
        if self._schedule is not None:
            self._core.set_schedule(self._schedule._core)
        self.name = name

    @property
    def learning_rate(self):
        """The rate of the next update (the schedule's value at the current step, if one is set)."""
        return self._core.learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        if isinstance(value, LearningRateSchedule):
            self._schedule = value
            self._core.set_schedule(value._core)
            return
        if self._schedule is not None:
            # As Keras: a number would silently discard the schedule the optimizer was built with.
            raise TypeError("This optimizer was created with a LearningRateSchedule as its learning_rate, "
                            "hence its learning rate is not settable to a number. Create the optimizer with a "
                            "float learning_rate if you need to set it (LearningRateScheduler, "
                            "ReduceLROnPlateau), or assign another schedule.")
        self._core.learning_rate = _number(value, "learning_rate")

    @property
    def iterations(self):
        """Number of update steps taken (one per batch)."""
        return self._core.iterations

    def get_config(self):
        options = self._core.options
        config = {"name": self.name,
                  "learning_rate": self._schedule.get_config() if self._schedule else self.learning_rate}
        config.update(self._hyper)
        for key in ("weight_decay", "clipnorm", "clipvalue", "global_clipnorm"):
            value = getattr(options, key)
            config[key] = value if value else None
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"])
        return cls(**config)

    def __repr__(self):
        return f"{type(self).__name__}({self.get_config()})"


class SGD(Optimizer):
    """``m = momentum * m - lr * g; w += m`` (Nesterov: ``w += momentum * m - lr * g``)."""
    _core_class = _core.SGD

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name="SGD", **kwargs):
        super().__init__(learning_rate, name, momentum=_number(momentum, "momentum"), nesterov=bool(nesterov),
                         **kwargs)


class Adam(Optimizer):
    """``alpha = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)``, ``w -= alpha * m / (sqrt(v) + epsilon)``;
    ``amsgrad`` uses the running maximum of v."""
    _core_class = _core.Adam

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, name="adam",
                 **kwargs):
        super().__init__(learning_rate, name, beta_1=_number(beta_1, "beta_1"), beta_2=_number(beta_2, "beta_2"),
                         epsilon=_number(epsilon, "epsilon"), amsgrad=bool(amsgrad), **kwargs)


class AdamW(Adam):
    """Adam with decoupled weight decay (default 0.004): ``w -= w * weight_decay * lr`` each step."""
    _core_class = _core.AdamW  # its own class in C++ too, so that a saved file says "AdamW"

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, name="adamw", **kwargs):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad, name, weight_decay=weight_decay, **kwargs)


class RMSprop(Optimizer):
    """``v = rho * v + (1 - rho) * g**2``, ``w -= lr * g / sqrt(v + epsilon)`` (optionally with momentum,
    or ``centered`` on the running mean of g)."""
    _core_class = _core.RMSprop

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, name="rmsprop",
                 **kwargs):
        super().__init__(learning_rate, name, rho=_number(rho, "rho"), momentum=_number(momentum, "momentum"),
                         epsilon=_number(epsilon, "epsilon"), centered=bool(centered), **kwargs)


class Adagrad(Optimizer):
    """``a += g**2``, ``w -= lr * g / sqrt(a + epsilon)``."""
    _core_class = _core.Adagrad

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, name="adagrad", **kwargs):
        super().__init__(learning_rate, name,
                         initial_accumulator_value=_number(initial_accumulator_value, "initial_accumulator_value"),
                         epsilon=_number(epsilon, "epsilon"), **kwargs)


class Adadelta(Optimizer):
    """Steps scaled by the ratio of running RMS of past steps to running RMS of gradients."""
    _core_class = _core.Adadelta

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, name="adadelta", **kwargs):
        super().__init__(learning_rate, name, rho=_number(rho, "rho"), epsilon=_number(epsilon, "epsilon"), **kwargs)


class Adamax(Optimizer):
    """Adam with the infinity norm: ``u = max(beta_2 * u, |g|)``, ``w -= lr * m / ((1 - beta_1**t) (u + eps))``."""
    _core_class = _core.Adamax

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, name="adamax", **kwargs):
        super().__init__(learning_rate, name, beta_1=_number(beta_1, "beta_1"), beta_2=_number(beta_2, "beta_2"),
                         epsilon=_number(epsilon, "epsilon"), **kwargs)


class Nadam(Optimizer):
    """Adam with Nesterov momentum and Keras's momentum schedule ``beta_1 * (1 - 0.5 * 0.96**t)``."""
    _core_class = _core.Nadam

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, name="nadam", **kwargs):
        super().__init__(learning_rate, name, beta_1=_number(beta_1, "beta_1"), beta_2=_number(beta_2, "beta_2"),
                         epsilon=_number(epsilon, "epsilon"), **kwargs)


_BY_NAME = {"sgd": SGD, "adam": Adam, "adamw": AdamW, "rmsprop": RMSprop, "adagrad": Adagrad,
            "adadelta": Adadelta, "adamax": Adamax, "nadam": Nadam}


def get(identifier):
    """An optimizer from a name ("adam", "sgd", "rmsprop", ...) or an Optimizer instance."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        try:
            return _BY_NAME[identifier.lower()]()
        except KeyError:
            raise ValueError(f"unknown optimizer {identifier!r}; valid names are: {', '.join(_BY_NAME)}") from None
    raise TypeError(f"optimizer must be a name such as 'adam' or a fastmlp.optimizers.Optimizer, got {identifier!r}")


def _from_core(core):
    """The Python optimizer around a C++ one that already holds its state (for models read from a file)."""
    optimizer = _BY_NAME[core.name.lower()]()
    optimizer._core = core
    optimizer._hyper = {key: getattr(core, key) for key in optimizer._hyper}  # as saved, not the defaults
    if core.schedule is not None:
        optimizer._schedule = schedules._from_core(core.schedule)
    return optimizer
