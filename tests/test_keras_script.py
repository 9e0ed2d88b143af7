"""examples/keras_script.py is a script written for Keras (only the import changed): it must run on
fastmlp as it is and learn the digits."""

import pathlib
import runpy

import numpy as np

SCRIPT = pathlib.Path(__file__).resolve().parent.parent / "examples" / "keras_script.py"


def test_the_keras_script_runs_unchanged(tmp_path, monkeypatch, capsys):
    source = SCRIPT.read_text()
    assert "import fastmlp as keras" in source and "fastmlp." not in source.replace("import fastmlp as keras", "")
    monkeypatch.chdir(tmp_path)
    namespace = runpy.run_path(str(SCRIPT), run_name="__main__")
    out = capsys.readouterr().out
    print(out)
    assert "Total params: 17,226" in out  # model.summary(): 64*128+128 + 128*64+64 + 64*10+10
    assert "Epoch 1/100" in out
    history = namespace["history"].history
    assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    # Early stopping ended the run and put back the best epoch's weights.
    assert len(history["loss"]) < 100
    model, x_val, y_val = namespace["model"], namespace["x_val"], namespace["y_val"]
    assert model.evaluate(x_val, y_val, verbose=0)[0] == min(history["val_loss"])
    assert namespace["test_accuracy"] > 0.93
    assert np.mean(namespace["predicted"] == np.argmax(namespace["y_test"], axis=1)) == namespace["test_accuracy"]
    assert (tmp_path / "history.png").read_bytes()[:4] == b"\x89PNG"
