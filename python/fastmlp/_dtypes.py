"""The two dtypes a fastmlp model computes in, float32 (the default, as in Keras) and float64, and the
global default a layer takes when it is given no dtype (Keras's ``floatx``).

A model computes in one dtype: its C++ objects come from ``_core`` for float32 and from
``_core.float64`` for float64 (the same class and function names in both), and every array it reads
or returns has that dtype.
"""

import numpy as np

from fastmlp import _core

DTYPES = ("float32", "float64")
_NUMPY = {"float32": np.float32, "float64": np.float64}
_CORES = {"float32": _core, "float64": _core.float64}
# Names Keras's standardize_dtype reads as these (Python's float is Keras's "float32").
_ALIASES = {"float": "float32", "double": "float64", "float_": "float64", "single": "float32"}
_floatx = "float32"


def floatx():
    """The default dtype of new layers and inputs: "float32" unless set_floatx changed it."""
    return _floatx


def set_floatx(value):
    """Sets the dtype new layers and inputs take when they are given none: "float32" or "float64". As in
    Keras, only those names are taken (Keras's other two, float16 and bfloat16, fastmlp does not compute in)."""
    global _floatx
    if not isinstance(value, str) or value not in DTYPES:
        raise ValueError(f"set_floatx: expected 'float32' or 'float64' (fastmlp computes in float32 or float64; "
                         f"Keras also takes 'float16' and 'bfloat16'), got {value!r}")
    _floatx = value


def _name_of(dtype):
    """The dtype's name as Keras's standardize_dtype reads it, or None for something that names no dtype."""
    if dtype is None or isinstance(dtype, bool):
        return None
    if dtype is float:
        return "float32"  # Keras's mapping of Python's float
    if isinstance(dtype, dict):  # Keras 3's serialised DTypePolicy: {"class_name": "DTypePolicy", "config": {"name"}}
        config = dtype.get("config")
        return _name_of(config.get("name")) if isinstance(config, dict) else None
    if isinstance(dtype, str):
        if dtype in DTYPES or dtype in _ALIASES:
            return _ALIASES.get(dtype, dtype)
    else:
        # A DTypePolicy object (Keras's or one like it) computes in compute_dtype and keeps variable_dtype.
        compute, variable = getattr(dtype, "compute_dtype", None), getattr(dtype, "variable_dtype", None)
        if isinstance(compute, str) and isinstance(variable, str):
            return compute if compute == variable else str(getattr(dtype, "name", compute))
        text = str(dtype)
        if text.startswith(("torch.", "jax.numpy.")):  # torch.float64
            return text.rsplit(".", 1)[-1]
    try:
        return np.dtype(dtype).name  # np.float64, np.dtype("float32"), "f8", "float16"
    except TypeError:
        return str(dtype) if isinstance(dtype, str) else None


def standardize(dtype, who, default=floatx):
    """``dtype`` as "float32" or "float64": None gives ``default()`` (the floatx at this moment); names,
    NumPy dtypes and types, torch dtypes and Keras's DTypePolicy (object, name or serialised dict) are
    read as Keras reads them. Anything else, float16 and bfloat16 included, is a ValueError."""
    if dtype is None and default is not None:
        return default()
    name = _name_of(dtype)
    if name not in DTYPES:
        got = repr(dtype) if name is None or name == dtype else f"{dtype!r} ({name})"
        raise ValueError(f"{who}: dtype must be 'float32' or 'float64' (fastmlp computes in float32 or float64), "
                         f"got {got}")
    return name


def numpy_dtype(dtype):
    """NumPy's type for a dtype name: np.float32 or np.float64."""
    return _NUMPY[dtype]


def core(dtype):
    """The core module whose classes compute in ``dtype``: ``_core`` or ``_core.float64``."""
    return _CORES[dtype]


def core_of(core_object):
    """The core module of a core model, layer or CsrMatrix (by its dtype)."""
    return _CORES[core_object.dtype]


def is_csr(value):
    """Whether ``value`` is a core CsrMatrix of either dtype."""
    return isinstance(value, (_core.CsrMatrix, _core.float64.CsrMatrix))
