"""Normalization: Keras 3's preprocessing layer that standardizes features with a mean and a variance,
given or learnt by ``adapt`` (computed in C++ over the samples); its class adds ``adapt`` and the
statistics to the class the core's registry describes."""

import numpy as np

from fastmlp import _registered
from fastmlp._convert import as_float_array
from fastmlp.layers.layer import PYTHON_PARAMETERS, CoreLayer


class Normalization(CoreLayer):
    _class_name = "Normalization"
    __signature__ = _registered.signature("layer", "Normalization", skip=("name", "trainable"),
                                          extra=PYTHON_PARAMETERS)
    __doc__ = (f"Keras's layer ``Normalization{__signature__}``: (x - mean) / sqrt(variance) per feature (the "
               "inverse with invert=True), with mean and variance given or learnt by ``adapt(data)``.")

    def _create(self, arguments):
        # Keras takes a number or an array for the statistics; the core's config holds a list.
        for key in ("mean", "variance"):
            value = arguments.get(key)
            if value is not None:
                arguments[key] = [float(v) for v in np.asarray(value, dtype=np.float64).reshape(-1)]
        super()._create(arguments)

    def adapt(self, data, batch_size=None, steps=None):
        """Computes the mean and variance of ``data`` over its samples (Keras 3's adapt), building the
        layer for its features if needed. A 1-D array is one feature."""
        if steps is not None:
            raise ValueError("adapt() takes arrays: leave steps=None")
        array = as_float_array(data, "adapt data", self.dtype)
        if array.ndim == 1:
            array = array.reshape(-1, 1)
        elif array.ndim > 2:
            array = array.reshape(len(array), -1)
        self._core.adapt(np.ascontiguousarray(array))

    @property
    def mean(self):
        """The mean each feature is shifted by, (1, features) as Keras broadcasts it; None before build."""
        return self._core.mean if self.built else None

    @property
    def variance(self):
        return self._core.variance if self.built else None
