"""What the interop tests share: the Keras fixture files and Keras's predictions for them."""

import os
import pathlib
import warnings

import numpy as np
import pytest

FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures" / "keras"
# Every model fixture make_fixtures.py writes (unsupported.* is the error case).
MODELS = ["sequential", "functional_mlp", "wide_and_deep", "residual", "two_outputs", "merges", "activations",
          "compiled_adam", "compiled_rmsprop", "glu"]
LEGACY_H5 = ["sequential", "wide_and_deep", "compiled_adam", "glu"]
# fastmlp's float32 against Keras's float32 (other summation orders): values near 1 agree to about 1e-6.
RTOL = ATOL = 1e-5


def fixture_files():
    """(model name, file path) of every readable fixture."""
    return [(name, FIXTURES / f"{name}.keras") for name in MODELS] + \
        [(name, FIXTURES / f"{name}.h5") for name in LEGACY_H5]


def keras_data(name):
    """The inputs (a list) and Keras's outputs (a list) saved for a fixture."""
    data = np.load(FIXTURES / f"{name}.npz")
    inputs = [data[f"x{i}"] for i in range(sum(key.startswith("x") for key in data.files))]
    outputs = [data[f"y{i}"] for i in range(sum(key.startswith("y") for key in data.files))]
    return inputs, outputs


def model_inputs(inputs):
    """One array for a one-input model, the list otherwise (as Keras's predict takes them)."""
    return inputs[0] if len(inputs) == 1 else inputs


def as_list(outputs):
    if isinstance(outputs, dict):
        return list(outputs.values())
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


def import_keras():
    """Keras on the torch backend, or a skip when either is absent."""
    os.environ.setdefault("KERAS_BACKEND", "torch")
    pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras's and torch's import-time deprecation notices
        return pytest.importorskip("keras")
