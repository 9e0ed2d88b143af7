"""The digits demo, in process and as `python -m fastmlp.demo`, with few epochs."""

import re
import subprocess
import sys

import pytest

from fastmlp import demo

ACCURACY_LINE = re.compile(r"held-out accuracy: (\d\.\d{4}) \(loss \d+\.\d{4}\) on (\d+) digits")


def test_demo_main_prints_held_out_accuracy(capsys):
    accuracy = demo.main(["--epochs", "30", "--seed", "0"])
    out = capsys.readouterr().out
    print(out[-400:])
    match = ACCURACY_LINE.search(out)
    assert match, "the demo did not print its held-out accuracy"
    assert float(match.group(1)) == pytest.approx(accuracy, abs=5e-5)
    assert int(match.group(2)) == 450  # a quarter of scikit-learn's 1797 digits
    assert "Total params: 3,760" in out and "Epoch 30/30" in out
    assert accuracy >= 0.9  # measured: 0.933 after 30 epochs with seed 0


def test_demo_runs_as_a_module(tmp_path):
    result = subprocess.run([sys.executable, "-W", "error", "-m", "fastmlp.demo", "--epochs", "2"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    print(result.stdout[-400:], result.stderr[-400:])
    assert result.returncode == 0
    match = ACCURACY_LINE.search(result.stdout)
    assert match and 0.0 <= float(match.group(1)) <= 1.0
    assert re.search(r"training time: \d+\.\d{3} s for 2 epochs", result.stdout)
