"""Turning user data into what the core reads: 2-D C-contiguous arrays of the model's dtype (float32 or
float64), copied only when needed."""

import numpy as np

from fastmlp import _dtypes, _sparse


def as_float_array(data, name, dtype="float32"):
    """``data`` as a C-contiguous array of ``dtype`` ("float32" or "float64"); no copy when it already is one."""
    if data is None:
        raise ValueError(f"{name} is required; got None")
    if _sparse.is_sparse(data):
        raise TypeError(f"{name} is a scipy.sparse matrix, which fastmlp reads sparse only as a model input to fit, "
                        f"evaluate, predict and train_on_batch; elsewhere pass a dense array ({name}.toarray())")
    try:
        array = np.asarray(data)
    except (ValueError, TypeError) as error:
        raise TypeError(f"{name} could not be read as a numeric array: {error}") from None
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
        raise TypeError(f"{name} must hold numbers, got an array of dtype {array.dtype}")
    if np.issubdtype(array.dtype, np.complexfloating):
        raise TypeError(f"{name} must hold real numbers, got dtype {array.dtype}")
    # Aligned too: the core reads floats in place, and a misaligned view (np.frombuffer at an odd
    # offset) is undefined behaviour there. Values beyond float32's range become infinity here,
    # which the core then reports as a ValueError; NumPy's overflow warning would only repeat it.
    with np.errstate(over="ignore", invalid="ignore"):
        return np.require(array, dtype=_dtypes.numpy_dtype(dtype), requirements=["C", "A"])


def as_inputs(data, name="x", dtype="float32"):
    """Model inputs: a 2-D (samples, features) array of ``dtype``."""
    array = as_float_array(data, name, dtype)
    if array.ndim != 2:
        hint = " (reshape a single feature with x.reshape(-1, 1))" if array.ndim == 1 else ""
        raise ValueError(f"{name} must be 2-D (samples, features), got shape {array.shape}{hint}")
    return array


def as_targets(data, name="y", dtype="float32"):
    """Targets: 2-D, of ``dtype``; a 1-D vector becomes one column, as Keras reads labels."""
    if _sparse.is_sparse(data):
        # Keras and scikit-learn accept sparse targets (multi-label indicator matrices). They are as
        # wide as the model's outputs, which predict returns dense anyway: densified here.
        data = data.toarray()
    array = as_float_array(data, name, dtype)
    if array.ndim == 1:
        array = array.reshape(-1, 1)
    if array.ndim != 2:
        raise ValueError(f"{name} must be 1-D or 2-D (samples, outputs), got shape {array.shape}")
    return array
