"""Model files written by the last fastmlp before functional models (format version 2, d498e61) keep
loading as Sequential models: each predicts what that fastmlp predicted and, when it was saved with its
training state, trains on exactly as it did. The files and the script that wrote them are in
tests/fixtures/format_v2."""

import pathlib

import numpy as np
import pytest

import fastmlp as fm

FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures" / "format_v2"
NAMES = sorted(path.stem for path in FIXTURES.glob("*.fmlp"))


def test_the_fixtures_are_there():
    assert NAMES == ["classifier", "images", "uncompiled"]


@pytest.mark.parametrize("name", NAMES)
def test_a_format_2_file_loads_as_a_sequential_and_predicts_as_it_did(name, tmp_path):
    expected = np.load(FIXTURES / f"{name}.npz")
    model = fm.models.load_model(FIXTURES / f"{name}.fmlp")
    assert isinstance(model, fm.Sequential)
    predicted = model.predict(expected["x"], verbose=0)
    print(name, "max difference", np.max(np.abs(predicted - expected["predicted"])))
    np.testing.assert_allclose(predicted, expected["predicted"], rtol=1e-6, atol=1e-6)
    model.save(tmp_path / "again.fmlp")  # written in today's form, read back the same
    again = fm.models.load_model(tmp_path / "again.fmlp")
    assert again.get_config() == model.get_config()
    assert again.predict(expected["x"], verbose=0).tobytes() == predicted.tobytes()


@pytest.mark.parametrize("name", [n for n in NAMES if "continued_0" in np.load(FIXTURES / f"{n}.npz")])
def test_a_format_2_file_trains_on_as_it_did(name):
    expected = np.load(FIXTURES / f"{name}.npz")
    model = fm.models.load_model(FIXTURES / f"{name}.fmlp")
    model.fit(expected["x"], expected["y"], epochs=1, batch_size=8, verbose=0)
    weights = model.get_weights()
    assert f"continued_{len(weights)}" not in expected
    for i, w in enumerate(weights):
        np.testing.assert_allclose(w, expected[f"continued_{i}"], rtol=1e-5, atol=1e-6)
