"""Model files written by fastmlp 0.1.0 (format version 1) keep loading: each predicts what 0.1.0
predicted and, when it was saved with its training state, trains on exactly as 0.1.0 trained it.
The files and the script that wrote them are in tests/fixtures/format_v1."""

import pathlib

import numpy as np
import pytest

import fastmlp as fm

FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures" / "format_v1"
NAMES = sorted(path.stem for path in FIXTURES.glob("*.fmlp"))


def test_the_fixtures_are_there():
    assert len(NAMES) == 10


@pytest.mark.parametrize("name", NAMES)
def test_a_version_1_file_predicts_as_fastmlp_0_1_0_did(name):
    expected = np.load(FIXTURES / f"{name}.npz")
    model = fm.models.load_model(FIXTURES / f"{name}.fmlp")
    predicted = model.predict(expected["x"], verbose=0)
    print(name, "max difference", np.max(np.abs(predicted - expected["predicted"])))
    np.testing.assert_allclose(predicted, expected["predicted"], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", [n for n in NAMES if "continued_0" in np.load(FIXTURES / f"{n}.npz")])
def test_a_version_1_file_trains_on_as_fastmlp_0_1_0_did(name):
    expected = np.load(FIXTURES / f"{name}.npz")
    model = fm.models.load_model(FIXTURES / f"{name}.fmlp")
    model.fit(expected["x"], expected["y"], epochs=1, batch_size=8, verbose=0)
    weights = model.get_weights()
    continued = [expected[f"continued_{i}"] for i in range(len(weights))]
    assert f"continued_{len(weights)}" not in expected
    worst = max(float(np.max(np.abs(w - c))) for w, c in zip(weights, continued))
    print(name, "max weight difference after one more epoch", worst)
    for w, c in zip(weights, continued):
        np.testing.assert_allclose(w, c, rtol=1e-5, atol=1e-6)
