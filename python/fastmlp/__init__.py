"""fastmlp: fast dense neural networks on the CPU, with Keras's names.

    import fastmlp as fm
    model = fm.Sequential([fm.layers.Input((64,)),
                           fm.layers.Dense(50, activation="sigmoid"),
                           fm.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=30)
"""

import numbers

try:
    from fastmlp import _core
except ImportError as error:  # pragma: no cover - only on a broken install
    raise ImportError(
        "fastmlp's compiled core (fastmlp._core) could not be imported. If you are running from a "
        "source checkout, install the package first with `pip install .` and import it from "
        "outside the source tree."
    ) from error

from fastmlp import (activations, backend, callbacks, config, datasets, distribution, initializers, layers, losses,
                     metrics, models, ops, optimizers, regularizers, saving, utils)
from fastmlp.layers import Input, KerasTensor
from fastmlp.models import Model, Sequential
from fastmlp.layers.user_layer import Layer
from fastmlp.variables import Variable

__version__ = "0.1.0"


def set_num_threads(n):
    """Use ``n`` threads for matrix products and elementwise work (``n <= 0``: the default,
    ``OMP_NUM_THREADS`` if set, otherwise every core)."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"set_num_threads expects an integer, got {n!r}")
    _core.set_num_threads(max(0, min(int(n), 2**31 - 1)))  # the core takes a C int


def get_num_threads():
    """The number of threads fastmlp uses."""
    return _core.get_num_threads()


__all__ = ["Input", "KerasTensor", "Layer", "Model", "Variable", "Sequential", "activations", "backend", "callbacks", "config", "datasets",
           "distribution", "initializers", "layers", "losses", "metrics", "models", "ops", "optimizers", "regularizers",
           "saving", "utils", "set_num_threads",
           "get_num_threads", "__version__"]
