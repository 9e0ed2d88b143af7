"""Keras 3's activation functions: their names, parameters, defaults, and a NumPy reference of each.

In a model graph an activation is written the way Keras writes it in a layer config: its name
(``"relu"``), or ``None`` for linear. Keras's file format cannot carry parameters with a name, so a
parameterised activation that did not come from a Keras file (a PyTorch ``GELU(approximate="tanh")``,
say) is written ``{"class_name": "gelu", "config": {"approximate": True}}``; ``parse_activation``
turns both forms into ``(name, parameters)`` with every default filled in.

The NumPy functions follow Keras's definitions, including its defaults (``leaky_relu``'s slope is 0.2,
``gelu`` is the exact erf form unless ``approximate``), so that the executor reproduces Keras's
predictions. They compute in the dtype they are given; the executor passes float64.
"""

import math

import numpy as np

from fastmlp._interop.errors import UnsupportedLayerError

# Keras's names that mean the same function.
ALIASES = {"swish": "silu", "hard_swish": "hard_silu"}

# name -> the parameters Keras's function takes besides x, with Keras's defaults. "threshold" is left
# out: its parameters have no defaults, so Keras cannot name it in a config either.
PARAMETERS = {
    "linear": {},
    "relu": {"negative_slope": 0.0, "max_value": None, "threshold": 0.0},
    "relu6": {},
    "leaky_relu": {"negative_slope": 0.2},
    "elu": {"alpha": 1.0},
    "selu": {},
    "celu": {"alpha": 1.0},
    "gelu": {"approximate": False},
    "sigmoid": {},
    "hard_sigmoid": {},
    "sparse_sigmoid": {},
    "log_sigmoid": {},
    "tanh": {},
    "hard_tanh": {},
    "tanh_shrink": {},
    "softplus": {},
    "sparse_plus": {},
    "squareplus": {"b": 4.0},
    "softsign": {},
    "silu": {},
    "hard_silu": {},
    "mish": {},
    "exponential": {},
    "soft_shrink": {"threshold": 0.5},
    "hard_shrink": {"threshold": 0.5},
    "softmax": {"axis": -1},
    "log_softmax": {"axis": -1},
    "sparsemax": {"axis": -1},
    "glu": {"axis": -1},
}

# The self-normalising constants of SELU (Klambauer et al. 2017), as Keras uses them.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def parse_activation(value, where=None):
    """``(name, parameters)`` for an activation as a layer config holds it.

    Args:
        value: ``None`` (linear), a Keras name, or ``{"class_name": name, "config": {...}}``. Keras's
            serialised form of a built-in function (``{"class_name": "function", "config": "relu"}``)
            is accepted too.
        where: context for the error message (the layer's name).

    Returns:
        The canonical name (aliases resolved) and a dict of every parameter, defaults filled in.

    Raises:
        UnsupportedLayerError: for a name Keras does not define or a parameter the function lacks.
    """
    if value is None:
        return "linear", {}
    overrides = {}
    if isinstance(value, dict):
        name = value.get("class_name")
        config = value.get("config")
        if name == "function" and isinstance(config, str):  # Keras's serialised built-in function
            name, config = config, {}
        overrides = dict(config or {})
    else:
        name = value
    if not isinstance(name, str):
        raise UnsupportedLayerError("activation", repr(value), where)
    name = ALIASES.get(name, name)
    if name not in PARAMETERS:
        raise UnsupportedLayerError("activation", name, where,
                                    hint=f"the activations it knows are {sorted(PARAMETERS)}")
    unknown = set(overrides) - set(PARAMETERS[name])
    if unknown:
        raise UnsupportedLayerError("activation", name, where,
                                    hint=f"it takes no parameter {sorted(unknown)}; it takes "
                                         f"{sorted(PARAMETERS[name])}")
    return name, {**PARAMETERS[name], **overrides}


def format_activation(name, parameters=None):
    """The config value for an activation: its bare name when every parameter is Keras's default
    (the only form Keras can read back), otherwise the ``{"class_name", "config"}`` form."""
    changed = {key: value for key, value in (parameters or {}).items() if PARAMETERS[name].get(key) != value}
    return {"class_name": name, "config": changed} if changed else name


# ---- NumPy reference -------------------------------------------------------------------------------
def _sigmoid(x):
    # exp of a negative number only, so that large |x| neither overflows nor loses the small tail.
    positive = x >= 0
    e = np.exp(-np.abs(x))
    return np.where(positive, 1.0 / (1.0 + e), e / (1.0 + e))


def _softplus(x):
    return np.logaddexp(0.0, x).astype(x.dtype, copy=False)


def _relu(x, negative_slope, max_value, threshold):
    # Keras's order of operations: keep x above the threshold (0 below), clip that part to
    # [0, max_value] when a cap is set, then add negative_slope * (x - threshold) below the threshold.
    y = np.where(x > threshold, x, 0.0)
    if max_value is not None:
        y = np.clip(y, 0.0, max_value)
    if negative_slope:
        y = y - negative_slope * np.maximum(threshold - x, 0.0)
    return y


def _gelu(x, approximate):
    if approximate:
        inner = math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)
        return 0.5 * x * (1.0 + np.tanh(inner))
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


def _erf(x):
    try:  # scipy comes with scikit-learn; fastmlp itself needs only NumPy
        from scipy.special import erf
    except ImportError:  # pragma: no cover - exercised only without scipy
        return np.vectorize(math.erf, otypes=[x.dtype])(x) if x.size else x
    return erf(x)


def _softmax(x, axis):
    shifted = x - np.max(x, axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=axis, keepdims=True)


def _log_softmax(x, axis):
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def _sparsemax(x, axis):
    # Keras's formula, which is not the paper's: its threshold is (sum over the support of the
    # running sums - 1) / k, where Martins & Astudillo (2016) take (running sum at k - 1) / k. The two
    # agree when the support holds one value. Reproduced as Keras computes it, so that predictions match.
    moved = np.moveaxis(x, axis, -1)
    ordered = -np.sort(-moved, axis=-1)
    running = np.cumsum(ordered, axis=-1)
    ranks = np.arange(1, moved.shape[-1] + 1, dtype=x.dtype)
    support = ordered - (running - 1.0) / ranks > 0
    k = np.sum(support, axis=-1, keepdims=True)
    tau = (np.sum(np.where(support, running, 0.0), axis=-1, keepdims=True) - 1.0) / k
    return np.moveaxis(np.maximum(moved - tau, 0.0), -1, axis)


def _glu(x, axis):
    if x.shape[axis] % 2:
        raise ValueError(f"glu halves axis {axis}, whose size {x.shape[axis]} is odd")
    a, b = np.split(x, 2, axis=axis)
    return a * _sigmoid(b)


def _hard_sigmoid(x):
    return np.clip(x / 6.0 + 0.5, 0.0, 1.0)


_NUMPY = {
    "linear": lambda x: x,
    "relu": _relu,
    "relu6": lambda x: np.clip(x, 0.0, 6.0),
    "leaky_relu": lambda x, negative_slope: np.where(x > 0, x, negative_slope * x),
    "elu": lambda x, alpha: np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0))),
    "selu": lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0.0))),
    "celu": lambda x, alpha: np.maximum(x, 0.0) + alpha * np.expm1(np.minimum(x, 0.0) / alpha),
    "gelu": _gelu,
    "sigmoid": _sigmoid,
    "hard_sigmoid": _hard_sigmoid,
    "sparse_sigmoid": lambda x: np.clip(0.5 * (x + 1.0), 0.0, 1.0),
    "log_sigmoid": lambda x: -_softplus(-x),
    "tanh": np.tanh,
    "hard_tanh": lambda x: np.clip(x, -1.0, 1.0),
    "tanh_shrink": lambda x: x - np.tanh(x),
    "softplus": _softplus,
    "sparse_plus": lambda x: np.where(x <= -1.0, 0.0, np.where(x < 1.0, 0.25 * (x + 1.0) ** 2, x)),
    "squareplus": lambda x, b: 0.5 * (x + np.sqrt(x * x + b)),
    "softsign": lambda x: x / (1.0 + np.abs(x)),
    "silu": lambda x: x * _sigmoid(x),
    "hard_silu": lambda x: x * _hard_sigmoid(x),
    "mish": lambda x: x * np.tanh(_softplus(x)),
    "exponential": np.exp,
    "soft_shrink": lambda x, threshold: np.where(x > threshold, x - threshold,
                                                 np.where(x < -threshold, x + threshold, 0.0)),
    "hard_shrink": lambda x, threshold: np.where(np.abs(x) > threshold, x, 0.0),
    "softmax": _softmax,
    "log_softmax": _log_softmax,
    "sparsemax": _sparsemax,
    "glu": _glu,
}


def apply_numpy(value, x, where=None):
    """Applies an activation (in any form ``parse_activation`` takes) to the array ``x``.

    Args:
        value: the activation as a layer config holds it.
        x: a floating-point array; the result has its dtype.
        where: context for error messages.
    """
    name, parameters = parse_activation(value, where)
    return np.asarray(_NUMPY[name](x, **parameters), dtype=x.dtype)
