"""A model saved from Python gives the same predictions in C++: the predict_csv example (built by
CMake, its path in FASTMLP_PREDICT_CSV) reads a file written by model.save, whether the model was built
in fastmlp or imported from Keras, scikit-learn or PyTorch."""

import importlib.util
import os
import subprocess

import numpy as np
import pytest

import fastmlp as fm

PREDICT_CSV = os.environ.get("FASTMLP_PREDICT_CSV")
pytestmark = pytest.mark.skipif(not PREDICT_CSV, reason="set FASTMLP_PREDICT_CSV to the built predict_csv "
                                                        "example (cmake --build; CI does)")


def run_predict_csv(model_path, text):
    return subprocess.run([PREDICT_CSV, str(model_path)], input=text, capture_output=True, text=True,
                          timeout=120, check=False)


def as_csv(rows, digits=9):
    # Nine significant digits identify a float32 exactly (17 a float64), so C++ reads the very same inputs.
    return "".join(",".join(f"{value:.{digits}g}" for value in row) + "\n" for row in rows)


def predicted_in_cpp(path, rows, digits=9):
    """predict_csv's outputs for `rows`, as an array."""
    result = run_predict_csv(path, as_csv(rows, digits))
    assert result.returncode == 0, result.stderr
    return np.array([[float(v) for v in line.split(",")] for line in result.stdout.splitlines()])


@pytest.mark.parametrize("activations, loss, outputs", [
    (("elu", "leaky_relu", "softmax"), "categorical_crossentropy", 3),
    (("relu", "tanh", "sigmoid"), "binary_crossentropy", 2),
    (("softplus", "sigmoid", "linear"), "mean_squared_error", 4),
])
def test_python_saved_model_predicts_the_same_in_cpp(tmp_path, activations, loss, outputs):
    fm.utils.set_random_seed(4)
    rng = np.random.default_rng(4)
    model = fm.Sequential([fm.layers.Input((6,)),
                           fm.layers.Dense(9, activation=activations[0]),
                           fm.layers.Dense(5, activation=activations[1]),
                           fm.layers.Dense(outputs, activation=activations[2])])
    model.compile(optimizer="adam", loss=loss)
    x = rng.normal(size=(64, 6)).astype(np.float32)
    y = rng.uniform(size=(64, outputs)).astype(np.float32)
    if loss == "categorical_crossentropy":
        y = fm.utils.to_categorical(rng.integers(0, outputs, 64), outputs)
    model.fit(x, y, epochs=3, batch_size=16, verbose=0)
    path = tmp_path / "model.fmlp"
    model.save(path)

    inputs = rng.normal(scale=2.0, size=(40, 6)).astype(np.float32)
    cpp = predicted_in_cpp(path, inputs)
    python = model.predict(inputs, verbose=0)
    assert cpp.shape == python.shape
    worst = float(np.max(np.abs(cpp - python)))
    print(f"{activations} -> max |C++ - Python| = {worst:.3e}")
    np.testing.assert_allclose(cpp, python, rtol=0, atol=1e-6)


def test_float64_model_predicts_in_double_in_cpp(tmp_path):
    fm.utils.set_random_seed(6)
    rng = np.random.default_rng(6)
    model = fm.Sequential([fm.layers.Input((5,), dtype="float64"),
                           fm.layers.Dense(8, activation="tanh", dtype="float64"),
                           fm.layers.Dense(3, activation="softmax", dtype="float64")])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    model.fit(rng.normal(size=(32, 5)), fm.utils.to_categorical(rng.integers(0, 3, 32), 3), epochs=2, verbose=0)
    path = tmp_path / "model64.fmlp"
    model.save(path)

    inputs = rng.normal(size=(20, 5))
    cpp = predicted_in_cpp(path, inputs, digits=17)  # predict_csv prints 17 digits for a float64 model
    python = model.predict(inputs, verbose=0)
    assert python.dtype == np.float64
    worst = float(np.max(np.abs(cpp - python)))
    print(f"float64 -> max |C++ - Python| = {worst:.3e}")
    np.testing.assert_allclose(cpp, python, rtol=0, atol=1e-14)  # double precision on both sides; float32 is 1e-7


def test_predict_csv_reports_bad_lines_and_damaged_files(tmp_path):
    fm.utils.set_random_seed(5)
    model = fm.Sequential([fm.layers.Dense(2, input_dim=3)])
    path = tmp_path / "model.fmlp"
    model.save(path)

    result = run_predict_csv(path, "1,2,3\n\n4,5\n")
    assert result.returncode == 1
    assert "line 3 has 2 values; the model expects 3" in result.stderr
    assert len(result.stdout.splitlines()) == 1  # the good line before it was predicted

    damaged = bytearray(path.read_bytes())
    damaged[-10] ^= 0x01
    path.write_bytes(bytes(damaged))
    result = run_predict_csv(path, "1,2,3\n")
    assert result.returncode == 1
    assert "damaged" in result.stderr


# ---- imported models in C++ -------------------------------------------------------------------------------
def _imported_models():
    """(name, fastmlp model, inputs list, expected outputs list or None) of every import path."""
    from interop_fixtures import MODELS, FIXTURES, keras_data
    cases = []
    if importlib.util.find_spec("h5py"):
        for name in MODELS:
            if name == "activations":  # holds activations fastmlp lacks
                continue
            inputs, expected = keras_data(name)
            cases.append((f"keras {name}", lambda name=name: fm.models.load_model(FIXTURES / f"{name}.keras"),
                          inputs, expected))
        inputs, expected = keras_data("sequential")
        cases.append(("keras sequential.h5", lambda: fm.models.load_model(FIXTURES / "sequential.h5"), inputs,
                      expected))
    if importlib.util.find_spec("sklearn"):
        def sklearn_model():
            from sklearn.neural_network import MLPClassifier
            rng = np.random.default_rng(0)
            x = rng.normal(size=(60, 5))
            return fm.models.from_sklearn(MLPClassifier((7, 6), max_iter=5, random_state=0).fit(x, x[:, 0] > 0))
        cases.append(("scikit-learn", sklearn_model, [np.random.default_rng(1).normal(size=(9, 5))], None))
    if importlib.util.find_spec("torch"):
        def torch_model():
            import torch
            torch.manual_seed(0)
            nn = torch.nn
            return fm.models.from_torch(nn.Sequential(nn.Linear(5, 6), nn.GELU(), nn.LayerNorm(6), nn.Linear(6, 3),
                                                      nn.Softmax(dim=1)).eval())
        cases.append(("torch", torch_model, [np.random.default_rng(2).normal(size=(9, 5))], None))
    return cases


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("case", _imported_models(), ids=lambda case: case[0])
def test_imported_models_predict_the_same_in_cpp(tmp_path, case):
    name, make, inputs, expected = case
    model = make()
    path = tmp_path / "imported.fmlp"
    model.save(path)
    rows = np.hstack([np.asarray(x, np.float32).reshape(len(x), -1) for x in inputs])
    cpp = predicted_in_cpp(path, rows)
    predicted = model.predict(inputs[0] if len(inputs) == 1 else inputs, verbose=0)
    predicted = list(predicted.values()) if isinstance(predicted, dict) else predicted
    python = np.hstack(predicted) if isinstance(predicted, list) else predicted
    np.testing.assert_allclose(cpp, python, rtol=0, atol=1e-6, err_msg=name)
    if expected is not None:  # Keras's own predictions, which the fixture holds
        np.testing.assert_allclose(cpp, np.hstack(expected), rtol=1e-5, atol=1e-5, err_msg=f"{name} vs Keras")


def test_a_model_with_a_users_layer_and_loss_predicts_the_same_in_cpp(tmp_path):
    """The traced graph is part of the model file: C++ runs the user's layer without Python."""
    class Gated(fm.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], 4), name="w")
            self.gate = self.add_weight(shape=(4,), initializer="ones", name="gate")

        def call(self, x):
            h = fm.ops.matmul(x, self.w)
            return h * fm.ops.sigmoid(h * self.gate) + fm.ops.logsumexp(x, axis=-1, keepdims=True)

    fm.utils.set_random_seed(5)
    rng = np.random.default_rng(5)
    model = fm.Sequential([fm.layers.Input((6,)), Gated(), fm.layers.Dense(2)])
    model.compile(optimizer="adam", loss=lambda t, p: fm.ops.mean(fm.ops.abs(t - p), axis=-1))
    model.fit(rng.normal(size=(64, 6)), rng.normal(size=(64, 2)), epochs=2, verbose=0)
    path = tmp_path / "model.fmlp"
    model.save(path)
    inputs = rng.normal(size=(30, 6)).astype(np.float32)
    np.testing.assert_allclose(predicted_in_cpp(path, inputs), model.predict(inputs, verbose=0), rtol=1e-5, atol=1e-6)
