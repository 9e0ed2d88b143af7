"""Optimizers with Keras's names, arguments, defaults and update formulas (run in C++)."""

from fastmlp import _core


class Optimizer:
    """Base class: wraps a C++ optimizer, whose state lives next to the weights it updates."""

    def __init__(self, core, name):
        self._core = core
        self.name = name

    @property
    def learning_rate(self):
        return self._core.learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        self._core.learning_rate = float(value)

    @property
    def iterations(self):
        """Number of update steps taken (one per batch)."""
        return self._core.iterations

    def get_config(self):
        return {"name": self.name, "learning_rate": self.learning_rate}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "name")
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """Gradient descent with optional (Nesterov) momentum, Keras's formulation:
    ``m = momentum * m - learning_rate * g; w += m`` (Nesterov: ``w += momentum * m - learning_rate * g``)."""

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name="SGD"):
        super().__init__(_core.SGD(float(learning_rate), float(momentum), bool(nesterov)), name)

    def get_config(self):
        return {**super().get_config(), "momentum": self._core.momentum, "nesterov": self._core.nesterov}


class Adam(Optimizer):
    """Adam with Keras's defaults (epsilon 1e-7) and its bias-corrected step size
    ``alpha = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)``, ``w -= alpha * m / (sqrt(v) + epsilon)``."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, name="adam"):
        super().__init__(_core.Adam(float(learning_rate), float(beta_1), float(beta_2), float(epsilon)), name)

    def get_config(self):
        core = self._core
        return {**super().get_config(), "beta_1": core.beta_1, "beta_2": core.beta_2, "epsilon": core.epsilon}


class RMSprop(Optimizer):
    """RMSprop, Keras's formulation: ``v = rho * v + (1 - rho) * g**2``, ``w -= lr * g / sqrt(v + epsilon)``."""

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, name="rmsprop"):
        super().__init__(_core.RMSprop(float(learning_rate), float(rho), float(momentum), float(epsilon),
                                       bool(centered)), name)

    def get_config(self):
        core = self._core
        return {**super().get_config(), "rho": core.rho, "momentum": core.momentum, "epsilon": core.epsilon,
                "centered": core.centered}


_BY_NAME = {"sgd": SGD, "adam": Adam, "rmsprop": RMSprop}


def get(identifier):
    """An optimizer from a name ("adam", "sgd", "rmsprop") or an Optimizer instance."""
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
    return optimizer
