"""Weight penalties added to the loss, as in Keras: ``Dense(64, kernel_regularizer=L2(0.01))``."""

import math

import numpy as np

from fastmlp import _core


class Regularizer:
    """``l1 * sum(|w|) + l2 * sum(w**2)``, evaluated in C++ during training."""

    def __init__(self, l1=0.0, l2=0.0):
        for name, value in (("l1", l1), ("l2", l2)):
            if not isinstance(value, (int, float, np.floating)) or isinstance(value, bool) \
                    or not 0 <= value < math.inf:  # NaN fails this too
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
        self.l1, self.l2 = float(l1), float(l2)
        self._core = _core.Regularizer(self.l1, self.l2)

    def __call__(self, x):
        x = np.ascontiguousarray(np.atleast_2d(np.asarray(x, dtype=np.float32)))
        return float(self._core(x.reshape(-1, x.shape[-1])))

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}

    def __repr__(self):
        return f"{type(self).__name__}(l1={self.l1}, l2={self.l2})"


class L1(Regularizer):
    def __init__(self, l1=0.01):
        super().__init__(l1=l1)

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    def __init__(self, l2=0.01):
        super().__init__(l2=l2)

    def get_config(self):
        return {"l2": self.l2}


class L1L2(Regularizer):
    def __init__(self, l1=0.0, l2=0.0):
        super().__init__(l1=l1, l2=l2)


l1, l2, l1_l2 = L1, L2, L1L2
_BY_NAME = {"l1": L1, "l2": L2, "l1_l2": L1L2, "l1l2": L1L2}


def get(identifier):
    """A regularizer from None, a name ("l1", "l2", "l1_l2") or an instance; the C++ object is ``._core``."""
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    if isinstance(identifier, str) and identifier.lower() in _BY_NAME:
        return _BY_NAME[identifier.lower()]()
    if isinstance(identifier, dict) and str(identifier.get("class_name", "")).lower() in _BY_NAME:
        # Keras's serialized form, as layer configs hold it: {"class_name": "L2", "config": {"l2": 0.01}}
        return _BY_NAME[identifier["class_name"].lower()](**identifier.get("config", {}))
    raise ValueError(f"unknown regularizer {identifier!r}; use None, 'l1', 'l2', 'l1_l2' or "
                     "fastmlp.regularizers.L1/L2/L1L2(...)")


def core(identifier):
    regularizer = get(identifier)
    return _core.Regularizer() if regularizer is None else regularizer._core
