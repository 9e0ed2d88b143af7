"""Helpers with Keras's names: one-hot encoding, global seeding, PyDataset/Sequence."""

import numbers
import random

import numpy as np

from fastmlp import _naming, _random
from fastmlp.py_dataset import PyDataset, Sequence  # noqa: F401 (Keras's keras.utils names)


def to_categorical(x, num_classes=None):
    """One-hot rows (float32) for integer class labels ``x`` of shape (n,) or (n, 1)."""
    labels = np.asarray(x)
    if labels.ndim == 2 and labels.shape[-1] == 1:
        labels = labels.reshape(-1)
    if labels.ndim != 1:
        raise ValueError(f"to_categorical expects labels of shape (n,) or (n, 1), got {labels.shape}")
    if labels.size and not np.issubdtype(labels.dtype, np.integer):
        if not np.issubdtype(labels.dtype, np.number) or not np.all(np.isfinite(labels)) \
                or np.any(labels != np.round(labels)):
            raise ValueError("to_categorical expects integer class labels")
    labels = labels.astype(np.int64)
    if labels.size and labels.min() < 0:
        raise ValueError(f"class labels must be >= 0, got {labels.min()}")
    if num_classes is None:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    elif isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral) or num_classes < 0:
        raise ValueError(f"num_classes must be a non-negative integer or None, got {num_classes!r}")
    elif labels.size and labels.max() >= num_classes:
        raise ValueError(f"label {labels.max()} is out of range for num_classes={num_classes}")
    categorical = np.zeros((labels.size, num_classes), dtype=np.float32)
    categorical[np.arange(labels.size), labels] = 1
    return categorical


def clear_session():
    """Keras's ``clear_session``: layer and model names start again from "dense", "sequential", ...

    fastmlp keeps no global graph or session, so existing models are unaffected and nothing else is reset.
    """
    _naming.reset_names()


def set_random_seed(seed):
    """Seeds Python's, NumPy's and fastmlp's generators, so that models built afterwards initialise,
    shuffle and train identically from run to run (for a fixed thread count)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    random.seed(int(seed))
    np.random.seed(int(seed) % 2**32)
    _random.seed(int(seed))
