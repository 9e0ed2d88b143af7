"""A save that fails midway leaves the previous file intact and no temporary file behind; a load that
fails returns nothing. (tests/test_saving.py covers round trips and damaged files.)"""

import os
import resource
import signal

import numpy as np
import pytest

import fastmlp as fm


def model(units=8, seed=0):
    fm.utils.set_random_seed(seed)
    net = fm.Sequential([fm.layers.Input((16,)), fm.layers.Dense(units, activation="relu"),
                         fm.layers.Dense(3, activation="softmax")])
    net.compile(optimizer="adam", loss="categorical_crossentropy")
    return net


class FileSizeLimit:
    """Makes every write past ``limit`` bytes fail with EFBIG (a full disk, as far as the writer can
    tell), instead of killing the process with SIGXFSZ."""

    def __init__(self, limit):
        self.limit = limit

    def __enter__(self):
        self.handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        self.previous = resource.getrlimit(resource.RLIMIT_FSIZE)
        resource.setrlimit(resource.RLIMIT_FSIZE, (self.limit, self.previous[1]))

    def __exit__(self, *exc):
        resource.setrlimit(resource.RLIMIT_FSIZE, self.previous)
        signal.signal(signal.SIGXFSZ, self.handler)


def test_a_save_failing_midway_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "model.fmlp"
    small = model(units=2)
    small.save(path)
    old = path.read_bytes()
    large = model(units=512)  # a file several times the size of the old one
    with FileSizeLimit(len(old) + 100):
        with pytest.raises(ValueError, match="cannot save model file"):
            large.save(path)
    assert path.read_bytes() == old
    assert sorted(os.listdir(tmp_path)) == ["model.fmlp"]
    loaded = fm.models.load_model(path)
    x = np.ones((2, 16), np.float32)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), small.predict(x, verbose=0))


def test_saving_into_a_missing_directory_raises_and_creates_nothing(tmp_path):
    with pytest.raises(ValueError, match="cannot save model file"):
        model().save(tmp_path / "missing" / "model.fmlp")
    assert os.listdir(tmp_path) == []


def test_saving_over_a_directory_fails_cleanly(tmp_path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "inside").write_text("keep me")
    with pytest.raises(ValueError, match="cannot save model file"):
        model().save(tmp_path / "taken")
    assert sorted(os.listdir(tmp_path)) == ["taken"]
    assert (tmp_path / "taken" / "inside").read_text() == "keep me"


def test_save_weights_failing_at_the_rename_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "weights.npz"
    net = model()
    net.save_weights(path)
    old = path.read_bytes()

    def failing_replace(source, target):
        raise OSError("simulated failure while renaming")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="simulated"):
        model(seed=1).save_weights(path)
    monkeypatch.undo()
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == ["weights.npz"]


def test_save_weights_failing_midway_keeps_the_old_file(tmp_path):
    path = tmp_path / "weights.npz"
    model(units=2).save_weights(path)
    old = path.read_bytes()
    with FileSizeLimit(len(old) + 100):
        with pytest.raises(OSError):
            model(units=512).save_weights(path)
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == ["weights.npz"]


def test_a_failed_save_does_not_change_the_model(tmp_path):
    net = model()
    before = net.get_weights()
    with pytest.raises(ValueError):
        net.save(tmp_path / "missing" / "m.fmlp")
    for a, b in zip(before, net.get_weights()):
        np.testing.assert_array_equal(a, b)
    net.save(tmp_path / "m.fmlp")  # and a later save works


def test_overwrite_false_keeps_the_existing_file(tmp_path):
    path = tmp_path / "model.fmlp"
    model().save(path)
    old = path.read_bytes()
    with pytest.raises(FileExistsError):
        model(seed=3).save(path, overwrite=False)
    assert path.read_bytes() == old


def test_a_file_cut_at_every_length_is_refused_with_value_error(tmp_path):
    path = tmp_path / "model.fmlp"
    model().save(path)
    content = path.read_bytes()
    cut = tmp_path / "cut.fmlp"
    for length in range(0, len(content), max(1, len(content) // 200)):
        cut.write_bytes(content[:length])
        with pytest.raises(ValueError):
            fm.models.load_model(cut)


def test_a_directory_or_unreadable_path_is_an_error_not_a_crash(tmp_path):
    with pytest.raises((ValueError, OSError)):
        fm.models.load_model(tmp_path)
