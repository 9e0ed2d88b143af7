"""examples/keras_guides.py is Keras's guides "The Functional API", "The Sequential model", "Training &
evaluation with built-in methods" and "Writing your own callbacks" as their dense parts are written,
with only the imports changed. It must run on fastmlp and give Keras's results: the same structures
(shapes, parameter counts, log and history keys, the callbacks' hooks and their logs' keys) and accuracies
and errors within what two random initialisations differ by. Keras's results are those that Keras 3.15.1
on torch 2.13.0 got from the same script (tests/fixtures/keras_guides/make_keras_results.py wrote them)."""

import json
import pathlib
import runpy

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "examples" / "keras_guides.py"
KERAS = json.loads((ROOT / "tests" / "fixtures" / "keras_guides" / "keras_results.json").read_text())

# Values that depend on the random initialisation: fastmlp's may differ from Keras's by this much.
TOLERANCES = {"functional_test_accuracy": ("abs", 0.04), "reloaded_test_accuracy": ("abs", 0.04),
              "builtin_test_accuracy": ("abs", 0.04), "autoencoder_mse": ("rel", 0.15),
              "ticket_final_loss": ("rel", 0.25), "regression_mae": ("rel", 0.15), "early_stopping_epochs": ("abs", 8),
              "final_learning_rate": ("rel", 1e-6)}


def test_the_script_changes_only_the_imports():
    source = SCRIPT.read_text()
    body = source.split('"""', 2)[2]
    assert body.count("fastmlp") == 2
    assert "import fastmlp as keras\n" in body and "from fastmlp import layers, ops\n" in body


def test_keras_guides_run_on_fastmlp_and_give_keras_results(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    results = runpy.run_path(str(SCRIPT), run_name="__main__")["RESULTS"]
    assert json.loads((tmp_path / "results.json").read_text()) == results
    for key, expected in KERAS.items():
        if key == "versions":
            continue
        actual = results[key]
        print(f"{key}: fastmlp {actual!r}, Keras {expected!r}")
        if key in TOLERANCES:
            kind, tolerance = TOLERANCES[key]
            assert actual == pytest.approx(expected, **{kind: tolerance}), key
        else:
            assert actual == expected, key
    assert set(results) == set(KERAS) - {"versions"}
    assert results["functional_test_accuracy"] > 0.85 and results["builtin_test_accuracy"] > 0.85
