"""Weight initializers with Keras's names, formulas and defaults.

A name ("glorot_uniform") is drawn in C++ from the model's seeded generator; an initializer object
(``GlorotUniform(seed=1)``) or any callable ``f(shape, dtype=None)`` is evaluated here, in NumPy.
"""

import math

import numpy as np

from fastmlp import _core, _random
from fastmlp._naming import snake_case


def _fans(shape):
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    return shape[-2] * receptive, shape[-1] * receptive


class Initializer:
    """Base class: ``initializer(shape, dtype=None)`` returns a float32 array of ``shape``."""

    def __init__(self, seed=None):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
            raise ValueError(f"seed must be a non-negative integer or None, got {seed!r}")
        self.seed = seed

    def _generator(self):
        return np.random.default_rng(self.seed if self.seed is not None else _random.draw_seed())

    def __call__(self, shape, dtype=None):
        shape = tuple(int(d) for d in shape)
        return np.asarray(self._draw(shape, self._generator()), dtype=np.float32)

    def _draw(self, shape, rng):
        raise NotImplementedError

    def get_config(self):
        return {"seed": self.seed} if self.seed is not None else {}


class Zeros(Initializer):
    def _draw(self, shape, rng):
        return np.zeros(shape)


class Ones(Initializer):
    def _draw(self, shape, rng):
        return np.ones(shape)


class Constant(Initializer):
    def __init__(self, value=0.0):
        super().__init__()
        self.value = float(value)

    def _draw(self, shape, rng):
        return np.full(shape, self.value)

    def get_config(self):
        return {"value": self.value}


class RandomNormal(Initializer):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = float(mean), float(stddev)

    def _draw(self, shape, rng):
        return rng.normal(self.mean, self.stddev, shape)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


class RandomUniform(Initializer):
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval, self.maxval = float(minval), float(maxval)

    def _draw(self, shape, rng):
        return rng.uniform(self.minval, self.maxval, shape)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, **super().get_config()}


def _truncated_normal(rng, shape, stddev):
    """Normal samples redrawn until within two standard deviations, as Keras truncates."""
    values = rng.normal(0.0, 1.0, shape)
    outside = np.abs(values) > 2
    while outside.any():
        values[outside] = rng.normal(0.0, 1.0, int(outside.sum()))
        outside = np.abs(values) > 2
    return values * stddev


class TruncatedNormal(Initializer):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = float(mean), float(stddev)

    def _draw(self, shape, rng):
        return self.mean + _truncated_normal(rng, shape, self.stddev)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


class VarianceScaling(Initializer):
    """Samples with variance ``scale / n``, n the fan-in, fan-out or their mean (``mode``)."""

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        super().__init__(seed)
        if scale <= 0:
            raise ValueError(f"scale must be > 0, got {scale!r}")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"mode must be 'fan_in', 'fan_out' or 'fan_avg', got {mode!r}")
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform"):
            raise ValueError("distribution must be 'truncated_normal', 'untruncated_normal' or 'uniform', "
                             f"got {distribution!r}")
        self.scale, self.mode, self.distribution = float(scale), mode, distribution

    def _draw(self, shape, rng):
        fan_in, fan_out = _fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, n)
        if self.distribution == "uniform":
            limit = math.sqrt(3 * variance)
            return rng.uniform(-limit, limit, shape)
        if self.distribution == "untruncated_normal":
            return rng.normal(0.0, math.sqrt(variance), shape)
        # The stddev of a unit normal truncated at ±2 is 0.8796...: divide to keep the variance.
        return _truncated_normal(rng, shape, math.sqrt(variance) / 0.87962566103423978)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution, **super().get_config()}


def _variance_scaling(class_name, scale, mode, distribution):
    def __init__(self, seed=None):
        VarianceScaling.__init__(self, scale, mode, distribution, seed)

    def get_config(self):
        return Initializer.get_config(self)

    return type(class_name, (VarianceScaling,), {"__init__": __init__, "get_config": get_config,
                                                   "__doc__": f"VarianceScaling({scale}, {mode!r}, {distribution!r})."})


GlorotUniform = _variance_scaling("GlorotUniform", 1.0, "fan_avg", "uniform")
GlorotNormal = _variance_scaling("GlorotNormal", 1.0, "fan_avg", "truncated_normal")
HeUniform = _variance_scaling("HeUniform", 2.0, "fan_in", "uniform")
HeNormal = _variance_scaling("HeNormal", 2.0, "fan_in", "truncated_normal")
LecunUniform = _variance_scaling("LecunUniform", 1.0, "fan_in", "uniform")
LecunNormal = _variance_scaling("LecunNormal", 1.0, "fan_in", "truncated_normal")


class Orthogonal(Initializer):
    """A (semi-)orthogonal matrix times ``gain``, from the QR decomposition of a normal sample."""

    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = float(gain)

    def _draw(self, shape, rng):
        if len(shape) < 2:
            raise ValueError(f"Orthogonal needs a shape of at least 2 dimensions, got {shape}")
        rows, cols = int(np.prod(shape[:-1])), shape[-1]
        sample = rng.normal(0.0, 1.0, (max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(sample)
        q *= np.sign(np.diag(r))  # makes the decomposition unique, so the result is uniformly distributed
        if rows < cols:
            q = q.T
        return self.gain * q.reshape(shape)

    def get_config(self):
        return {"gain": self.gain, **super().get_config()}


class Identity(Initializer):
    """``gain`` times the identity matrix (2-D shapes only)."""

    def __init__(self, gain=1.0):
        super().__init__()
        self.gain = float(gain)

    def _draw(self, shape, rng):
        if len(shape) != 2:
            raise ValueError(f"Identity needs a 2-D shape, got {shape}")
        return self.gain * np.eye(*shape)

    def get_config(self):
        return {"gain": self.gain}


_CLASS_BY_NAME = {
    "zeros": Zeros, "ones": Ones, "constant": Constant, "random_normal": RandomNormal,
    "random_uniform": RandomUniform, "truncated_normal": TruncatedNormal, "variance_scaling": VarianceScaling,
    "glorot_uniform": GlorotUniform, "glorot_normal": GlorotNormal, "he_uniform": HeUniform,
    "he_normal": HeNormal, "lecun_uniform": LecunUniform, "lecun_normal": LecunNormal,
    "orthogonal": Orthogonal, "identity": Identity,
}


def get(identifier):
    """An initializer from a name (kept as the name: C++ draws it), an Initializer or a callable."""
    if isinstance(identifier, str):
        key = identifier if identifier in _CLASS_BY_NAME else snake_case(identifier)
        if key in _core.Initializer.names():
            return key
        if key in _CLASS_BY_NAME:
            return _CLASS_BY_NAME[key]()
        raise ValueError(f"unknown initializer {identifier!r}; valid names are: {', '.join(_CLASS_BY_NAME)}")
    if isinstance(identifier, dict) and "class_name" in identifier:
        # Keras's serialized form, as serialize() writes it and layer configs hold it.
        cls = globals().get(identifier["class_name"])
        if not (isinstance(cls, type) and issubclass(cls, Initializer)):
            raise ValueError(f"unknown initializer class {identifier['class_name']!r}")
        return cls(**identifier.get("config", {}))
    if callable(identifier):
        return identifier
    raise TypeError(f"initializer must be a name such as 'glorot_uniform', a fastmlp.initializers object or "
                    f"a callable f(shape, dtype=None); got {identifier!r}")


def serialize(initializer):
    if isinstance(initializer, str):
        return initializer
    if isinstance(initializer, Initializer):
        return {"class_name": type(initializer).__name__, "config": initializer.get_config()}
    return getattr(initializer, "__name__", repr(initializer))
