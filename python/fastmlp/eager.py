"""EagerArray: what a layer or a model called on arrays returns. It is a NumPy array (a view, no copy)
that also has the ``.numpy()`` of the tensors Keras returns, so that tutorials written for tensors
(``layer(x).numpy()``, ``model(x).numpy()``) run; everything else treats it as the array it is."""

import numpy as np


class EagerArray(np.ndarray):
    """A NumPy array with Keras's tensor method ``numpy()`` (a copy, as an ndarray)."""

    def numpy(self):
        return np.array(self, copy=True).view(np.ndarray)


def eager(value):
    """``value`` (an array, or a list or dict of them) with EagerArray's ``numpy()``."""
    if isinstance(value, np.ndarray):
        return value.view(EagerArray)
    if isinstance(value, dict):
        return {key: eager(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(eager(item) for item in value)
    return value
