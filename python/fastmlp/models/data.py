"""A model's data as the core takes it: one 2-D array of the model's dtype (float32 or float64) per input
and per output, from what Keras
scripts pass (one array, a list in the model's order, or a dict by input or output name). An input may
also be a scipy.sparse matrix or array, which the core reads as CSR without densifying it (_sparse.py)."""

import numpy as np

from fastmlp import _sparse
from fastmlp import layers as layers_module
from fastmlp._convert import as_float_array, as_targets


def _by_name(model, value, names, what):
    """``value`` as a list with one entry per name: a dict is read by name, a list or tuple in order,
    anything else is the single entry."""
    # scipy's DOK matrix is a dict (of (row, column) keys): data, not a dict of inputs.
    if isinstance(value, dict) and not _sparse.is_sparse(value) and \
            (len(names) > 1 or any(key in names for key in value)):
        unknown = [key for key in value if key not in names]
        if unknown:
            raise ValueError(f"{what} has keys {unknown} that are not the model's {what} names {names}")
        missing = [name for name in names if name not in value]
        if missing:
            raise ValueError(f"{what} lacks arrays for {missing}; the model's {what} names are {names}")
        return [value[name] for name in names]
    if len(names) > 1:
        if not isinstance(value, (list, tuple)) or len(value) != len(names):
            raise ValueError(f"the model has {len(names)} {what}s {names}: pass a list of {len(names)} arrays in "
                             f"that order, or a dict by name")
        return list(value)
    if isinstance(value, (list, tuple)) and len(value) == 1 and _sparse.is_sparse(value[0]):
        return [value[0]]
    if isinstance(value, (list, tuple)) and len(value) == 1 and np.ndim(value[0]) >= 1 and \
            not np.isscalar(value[0]) and np.ndim(value) != 2:
        return [value[0]]  # [array]: a list of one array for one input
    return [value]


def input_arrays(model, x, name="x"):
    """One 2-D array per model input: samples of several dimensions flattened (after a Flatten), a 1-D
    array taken as one feature column when the input has one feature (or its width is not known yet)."""
    core = model._core
    names = list(core.input_names)
    values = _by_name(model, x, names, "input")
    arrays = []
    for index, value in enumerate(values):
        label = name if len(names) == 1 else f"{name} for input {names[index]!r}"
        shape = list(core.input_shapes[index])
        expected = int(np.prod(shape)) if shape else None
        if _sparse.is_sparse(value):
            csr = _sparse.as_csr(value, label, model.dtype)
            if expected is not None and csr.shape[1] != expected:
                raise ValueError(f"the model expects {expected} input features per sample, {label} has shape "
                                 f"{value.shape} (sparse)")
            arrays.append(csr)
            continue
        array = as_float_array(value, label, model.dtype)
        if array.ndim == 1 and expected in (None, 1):
            array = array.reshape(-1, 1)  # a single feature (a pandas Series, np.linspace(...))
        elif array.ndim > 2 and (len(shape) > 1 or _starts_with_flatten(model)):
            array = array.reshape(len(array), -1)
        if array.ndim != 2:
            hint = " (reshape a single feature with x.reshape(-1, 1))" if array.ndim == 1 else \
                " (start the model with a Flatten() layer)" if array.ndim > 2 else ""
            raise ValueError(f"{label} must be 2-D (samples, features), got shape {array.shape}{hint}")
        if expected is not None and array.shape[1] != expected:
            raise ValueError(f"the model expects {expected} input features per sample, {label} has shape "
                             f"{np.shape(value)}")
        arrays.append(np.ascontiguousarray(array))
    return arrays


def _starts_with_flatten(model):
    layers = model._layers
    return bool(layers) and model._core.class_name == "Sequential" and isinstance(layers[0], layers_module.Flatten)


def target_arrays(model, y, name="y"):
    """One 2-D array per model output (a 1-D vector becomes one column, as Keras reads labels)."""
    names = list(model._core.output_names) or ["output"]
    values = _by_name(model, y, names, "output")
    return [as_targets(value, name if len(names) == 1 else f"{name} for output {names[index]!r}", model.dtype)
            for index, value in enumerate(values)]


def check_targets(model, ys, name):
    """Each target array has the columns its output's loss reads, with a hint for integer labels."""
    core = model._core
    for index, (units, loss) in enumerate(zip(core.output_dims, core.losses or [])):
        if loss is None:
            continue
        expected = loss.target_columns(units)
        y = ys[index]
        if y.shape[1] != expected:
            label = name if len(ys) == 1 else f"{name} for output {core.output_names[index]!r}"
            hint = ""
            if y.shape[1] == 1 and units > 1:
                hint = (" (integer labels: use loss='sparse_categorical_crossentropy' or "
                        "fastmlp.utils.to_categorical(y))")
            raise ValueError(f"{label} has shape {y.shape} but the model has {units} output(s) "
                             f"and loss {loss.class_name!r} expects {expected} column(s){hint}")
