"""Each example's quick version, run in this process (one also as a script), asserting on its results."""

import importlib.util
import pathlib
import subprocess
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"
MNIST_DIR = pathlib.Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

pytest.importorskip("matplotlib", reason="the examples plot with matplotlib (pip install fastmlp[examples])")


def load_example(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def assert_png(path):
    path = pathlib.Path(path)
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    assert 1000 < len(data) < 400_000, f"{path} has {len(data)} bytes"


def test_logic_gates(tmp_path, capsys):
    result = load_example("logic_gates").main(["--quick", "--out", str(tmp_path)])
    print(capsys.readouterr().out)
    assert result["perceptron"]["AND"] == 1.0 and result["perceptron"]["OR"] == 1.0
    assert result["perceptron"]["XOR"] <= 0.75  # one perceptron cannot separate XOR
    assert result["xor"] and all(accuracy == 1.0 for accuracy in result["xor"].values())  # a hidden layer can
    assert_png(result["png"])


def test_digits_grid_search(tmp_path, capsys):
    result = load_example("digits_grid_search").main(["--quick", "--out", str(tmp_path)])
    print(capsys.readouterr().out)
    assert result["accuracy"].shape == (4, 5)
    assert result["best_accuracy"] >= 0.9  # measured 0.98 with 10 epochs
    assert result["accuracy"].min() < result["best_accuracy"] - 0.05  # the grid matters
    assert_png(result["png"])


def test_mnist(tmp_path, capsys):
    if not (MNIST_DIR / "t10k-images-idx3-ubyte.gz").exists():
        pytest.skip(f"the shared MNIST files are not in {MNIST_DIR} (a checkout outside the workspace)")
    result = load_example("mnist_mlp").main(["--quick", "--out", str(tmp_path), "--data", str(MNIST_DIR)])
    out = capsys.readouterr().out
    print(out)
    assert "1000 training and 2000 test images" in out and "Total params: 669,706" in out
    history = result["history"]
    assert sorted(history) == ["accuracy", "loss", "val_accuracy", "val_loss"] and len(history["loss"]) == 2
    assert history["loss"][1] < history["loss"][0]
    assert result["test_accuracy"] > 0.7  # measured 0.79 after 2 epochs on 1,000 images
    assert_png(result["png"])


def test_regression(tmp_path, capsys):
    result = load_example("regression_curve").main(["--quick", "--out", str(tmp_path)])
    print(capsys.readouterr().out)
    assert result["r2_truth"] > 0.9  # measured 0.937 after 100 epochs, 0.987 after 300
    assert result["history"]["loss"][-1] < 0.2 * result["history"]["loss"][0]
    assert_png(result["png"])


def test_sklearn_to_fastmlp(tmp_path, capsys):
    result = load_example("sklearn_to_fastmlp").main(["--quick", "--out", str(tmp_path)])
    print(capsys.readouterr().out)
    ours, theirs = result["results"]["fastmlp"], result["results"]["scikit-learn"]
    assert ours["epochs"] == theirs["epochs"] == 20
    assert ours["accuracy"] > 0.9 and abs(ours["accuracy"] - theirs["accuracy"]) < 0.03
    assert_png(result["png"])


def test_an_example_runs_as_a_script(tmp_path):
    completed = subprocess.run([sys.executable, "-W", "error", str(EXAMPLES / "regression_curve.py"), "--quick",
                                "--out", str(tmp_path)], capture_output=True, text=True, timeout=120)
    print(completed.stdout, completed.stderr[-2000:])
    assert completed.returncode == 0
    assert "R^2 against the true curve" in completed.stdout
    assert_png(tmp_path / "regression_fit.png")
