"""Keras's arguments of fit, evaluate and predict, checked: what a script passes, turned into what the
core takes, with a ValueError or TypeError that says what to fix. The model's own methods stay short."""

import math
import numbers

import numpy as np

from fastmlp import _core, _dtypes
from fastmlp._convert import as_float_array

# fit(), evaluate() and predict() default to Keras's batch size of 32, the core's default.
DEFAULT_BATCH_SIZE = _core.FitOptions().batch_size
# The largest epoch count the core's int holds.
MAX_EPOCHS = 2**31 - 1


def positive_int(value, name, minimum=1, maximum=None):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be at most {maximum}, got {value!r}")
    return int(value)


def batch_size(value):
    if value is None:
        return DEFAULT_BATCH_SIZE
    # Any size beyond the number of samples means "all of them"; capping keeps it within C++'s int64.
    return min(positive_int(value, "batch_size"), 2**62)


def verbosity(verbose, chief=True):
    """Keras's verbose; "auto" is 1, or 0 on the ranks other than 0 of a data-parallel run."""
    if verbose == "auto":
        return 1 if chief else 0
    if verbose not in (0, 1, 2):
        raise ValueError(f"verbose must be 0, 1, 2 or 'auto', got {verbose!r}")
    return verbose


def no_steps(caller, **steps):
    """Keras's steps arguments with arrays: only None (they count the batches of generators and datasets)."""
    for name, value in steps.items():
        if value is not None:
            raise ValueError(f"{name} is for data given batch by batch (a generator or dataset); with arrays "
                             f"fastmlp {caller}() runs on all of them, so leave {name}=None")


def sample_weights(weights, count, name, dtype="float32"):
    """One weight per sample, as a 1-D array of the model's ``dtype``."""
    weights = as_float_array(weights, name, dtype).reshape(-1)
    if len(weights) != count:
        raise ValueError(f"{name} must have one weight per sample ({count}), got {len(weights)}")
    bad = np.flatnonzero(~np.isfinite(weights) | (weights < 0))
    if len(bad):
        raise ValueError(f"{name} must hold finite numbers >= 0; {name}[{bad[0]}] is {weights[bad[0]]}")
    return weights


def class_weights(class_weight, y, dtype="float32"):
    """Per-sample weights from a {class: weight} dict, the class read from y as Keras reads it: argmax
    of one-hot rows, else the rounded label; classes missing from the dict weigh 1."""
    if not isinstance(class_weight, dict):
        raise TypeError(f"class_weight must be a dict {{class: weight}}, got {class_weight!r}")
    classes = np.argmax(y, axis=1) if y.shape[1] > 1 else np.rint(y[:, 0]).astype(np.int64)
    weights = np.ones(len(y), dtype=_dtypes.numpy_dtype(dtype))
    for label, weight in class_weight.items():
        try:
            index, valid = int(label), int(label) == float(label)
            weight = float(weight)
        except (TypeError, ValueError, OverflowError):
            valid = False
        if not valid:
            raise ValueError(f"class_weight must map integer class indices to numbers, got {label!r}: {weight!r}")
        # Checked as the model will hold it: 1e40 is finite in float64 and infinite in float32, where it
        # was reported as sample_weight[i] being inf, a weight the caller never passed.
        with np.errstate(over="ignore"):
            held = weights.dtype.type(weight)
        if not (math.isfinite(weight) and weight >= 0):
            raise ValueError(f"class_weight must map each class to a finite number >= 0; class {label!r} has {weight!r}")
        if not np.isfinite(held):
            raise ValueError(f"class_weight must map each class to a number finite in the model's dtype ({dtype}); "
                             f"class {label!r} has {weight!r}, beyond {dtype}'s largest, "
                             f"{float(np.finfo(weights.dtype).max):.4g}")
        weights[classes == index] = held
    return weights


def validation_split_fraction(value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < 1:
        raise ValueError(f"validation_split must be a number in [0, 1), got {value!r}")
    return float(value)


def split_rows(count, fraction):
    """Keras holds out the last samples, before any shuffling: the first floor(n (1 - fraction)) train."""
    split = int(math.floor(count * (1.0 - fraction)))
    if split == count or split == 0:
        raise ValueError(f"validation_split={fraction} leaves no samples for "
                         f"{'validation' if split == count else 'training'} out of {count}")
    return split


def validation_tuple(validation_data):
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
        raise ValueError("validation_data must be a tuple (x_val, y_val) or (x_val, y_val, sample_weight)")
    x, y = validation_data[:2]
    weights = validation_data[2] if len(validation_data) == 3 else None
    return x, y, weights


def fit_extras(validation_freq, validation_batch_size):
    """Keras's fit arguments that fastmlp takes only in their default form."""
    if validation_freq != 1:
        raise ValueError(f"validation_freq={validation_freq!r} is not supported: fastmlp validates after "
                         "every epoch (validation_freq=1)")
    if validation_batch_size is not None:
        positive_int(validation_batch_size, "validation_batch_size")


def per_output(value, names, what, default=None):
    """compile()'s loss or loss_weights as one entry per output: a dict by output name (outputs it leaves
    out get ``default``), a list in output order, or one value for every output."""
    if value is None:
        return [default] * len(names)
    if isinstance(value, dict):
        unknown = [key for key in value if key not in names]
        if unknown:
            raise ValueError(f"{what} names outputs {unknown}, but the model's outputs are {names}")
        return [value.get(name, default) for name in names]
    if isinstance(value, (list, tuple)):
        if len(value) != len(names):
            raise ValueError(f"{what} lists {len(value)} entries, but the model has {len(names)} outputs {names}")
        return list(value)
    return [value] * len(names)


def metrics_per_output(metrics, names):
    """compile()'s metrics as a list per output. One output: a list of metrics. Several: a list with a
    list (or None) per output, or a dict by output name, as Keras 3 requires."""
    if metrics is None:
        return [[] for _ in names]
    if isinstance(metrics, dict):
        lists = per_output(metrics, names, "metrics")
    elif isinstance(metrics, (list, tuple)) and len(names) > 1:
        if len(metrics) != len(names) or not all(m is None or isinstance(m, (list, tuple)) for m in metrics):
            raise ValueError(f"for a model with several outputs {names}, metrics must be a dict by output name or "
                             f"a list with one list of metrics per output (as Keras requires); got {metrics!r}")
        lists = list(metrics)
    elif isinstance(metrics, (list, tuple)):
        lists = [metrics]
    else:
        raise TypeError(f"metrics must be a list, such as ['accuracy']; got {metrics!r}")
    out = []
    for item in lists:
        if item is None:
            out.append([])
        elif isinstance(item, (list, tuple)):
            out.append(list(item))
        else:
            out.append([item])  # a dict entry may name one metric
    return out
