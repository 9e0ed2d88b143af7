"""Model files made to hurt the reader (issue 13, items 1 and 6-10). Whatever the file, loading ends
soon with a ModelFileError (a ValueError) whose message is valid text, having allocated at most a
small multiple of the file's size. Loads that could hang, crash or exhaust memory run in their own
process with a time limit, so that a regression fails here instead of stalling the run."""

import json
import os
import struct
import zlib

import numpy as np
import pytest

import fastmlp as fm
from conftest import run_isolated

MAX_HEADER_BYTES = 16 << 20  # fastmlp::kMaxHeaderBytes (cpp/include/fastmlp/io.hpp), docs/model-format.md


def model_file(path, header, data=b"", version=2):
    """A file with fastmlp's layout (magic, version, header length, header, data, CRC-32)."""
    body = b"FASTMLP\0" + struct.pack("<II", version, len(header)) + header + data
    path.write_bytes(body + struct.pack("<I", zlib.crc32(body)))
    return path


def split(path):
    """(header as a dict, the data section) of a saved model file."""
    raw = path.read_bytes()
    (length,) = struct.unpack_from("<I", raw, 12)
    return json.loads(raw[16:16 + length]), raw[16 + length:-4]


def rewrite(path, change, keep_data=True):
    """Applies ``change`` to the header of the model file at ``path``, with a valid checksum after."""
    header, data = split(path)
    change(header)
    model_file(path, json.dumps(header).encode(), data if keep_data else b"")
    return path


def small_model_file(tmp_path, file_name="model.fastmlp", **kwargs):
    """A Dense(2) model on 3 inputs (Sequential ``kwargs``), saved at tmp_path/file_name."""
    path = tmp_path / file_name
    fm.Sequential([fm.layers.Input((3,)), fm.layers.Dense(2)], **kwargs).save(path)
    return path


def load_in_child(path, timeout):
    """Loads ``path`` in a fresh interpreter; returns (the error's type and message, the growth of the
    child's peak resident memory in bytes during the load)."""
    status, out, err = run_isolated(f"""
        import resource
        import fastmlp as fm
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        try:
            fm.models.load_model({str(path)!r})
            outcome = "loaded"
        except Exception as error:
            outcome = type(error).__name__ + ": " + str(error)[:400]
        grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
        print(grown * 1024)
        print(outcome)
        """, timeout=timeout)
    print(f"exit status {status}; stdout {out[-600:]!r}; stderr {err[-600:]!r}")
    assert status == 0, "the load did not finish in time" if status is None else "the child crashed"
    grown, outcome = out.strip().split("\n", 1)
    return outcome, int(grown)


def noisy_model(tmp_path):
    fm.utils.set_random_seed(0)
    model = fm.Sequential([fm.layers.Input((4,)), fm.layers.GaussianNoise(0.1), fm.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(0).normal(size=(32, 4)).astype(np.float32)
    model.fit(x, x[:, :2], epochs=1, verbose=0)
    path = tmp_path / "noisy.fastmlp"
    model.save(path)
    return path, x


# ---- item 1: generator states --------------------------------------------------------------------
ZERO_STATE = " ".join(["0"] * 312) + " 312"


@pytest.mark.parametrize("which", ["model", "layer"])
def test_a_generator_state_of_zeros_is_refused_when_read(tmp_path, which):
    # Such a file loaded, and the first fit never returned (the normal distribution's rejection loop
    # drew zeros forever, deaf to Ctrl-C). The load and a fit run in a child with a time limit.
    path, _ = noisy_model(tmp_path)

    def zero(header):
        if which == "model":
            header["rng"]["state"] = ZERO_STATE
        else:
            header["rng"]["layers"][0] = ZERO_STATE

    rewrite(path, zero)
    status, out, err = run_isolated(f"""
        import numpy as np
        import fastmlp as fm
        try:
            model = fm.models.load_model({str(path)!r})
        except fm.saving.ModelFileError as error:
            print("refused:", error)
        else:
            x = np.ones((64, 4), np.float32)
            model.fit(x, x[:, :2], epochs=2, verbose=0)
            print("trained")
        """, timeout=60)
    print(status, out, err[-1000:])
    assert status == 0, "fit hung" if status is None else "crashed"
    assert out.startswith("refused:") and "generator state in the header is all zeros" in out


def test_the_saved_generator_states_still_load_and_continue_training(tmp_path):
    path, x = noisy_model(tmp_path)
    first, second = fm.models.load_model(path), fm.models.load_model(path)
    for model in (first, second):
        model.fit(x, x[:, :2], epochs=1, verbose=0)
    for a, b in zip(first.get_weights(), second.get_weights()):
        np.testing.assert_array_equal(a, b)


# ---- item 6: declared shapes before allocation ---------------------------------------------------
def test_a_small_file_declaring_huge_layers_is_refused_before_allocating(tmp_path):
    # 16384 inputs and Dense(16384) with no tensors: the reader allocated 2 GB (kernel and gradient)
    # before it noticed the tensors were missing.
    path = small_model_file(tmp_path, "small.fastmlp")

    def grow(header):
        config = header["model"]["config"]
        config["input_shape"] = [16384]
        config["layers"][0]["config"]["units"] = 16384
        header["tensors"] = []
        header["compile"] = None
        header["optimizer_state"] = None

    rewrite(path, grow, keep_data=False)
    print(f"file of {path.stat().st_size} bytes")
    outcome, grown = load_in_child(path, timeout=60)
    print(outcome, f"peak resident memory grew by {grown / 1e6:.1f} MB")
    assert outcome.startswith("ModelFileError") and "needs a tensor 'layers/0/kernel' of shape (16384, 16384)" in outcome
    assert grown < 50e6


def test_a_declared_shape_that_differs_from_the_layer_is_named(tmp_path):
    path = small_model_file(tmp_path, "other.fastmlp")
    rewrite(path, lambda header: header["model"]["config"]["layers"][0]["config"].update(units=5))
    with pytest.raises(fm.saving.ModelFileError, match=r"tensor 'layers/0/kernel' has shape \(3, 2\), the model needs \(3, 5\)"):
        fm.models.load_model(path)


def functional_model_file(tmp_path, file_name="graph.fastmlp"):
    """A functional model saved at tmp_path/file_name: two inputs of 3, Dense(4) on each, Concatenate,
    GaussianNoise (a layer with its own generator) and Dense(2), compiled and trained a little."""
    fm.utils.set_random_seed(0)
    a, b = fm.layers.Input((3,), name="a"), fm.layers.Input((3,), name="b")
    merged = fm.layers.Concatenate()([fm.layers.Dense(4, name="left")(a), fm.layers.Dense(4, name="right")(b)])
    model = fm.Model([a, b], fm.layers.Dense(2, name="out")(fm.layers.GaussianNoise(0.1, name="noise")(merged)))
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(0).normal(size=(32, 3)).astype(np.float32)
    model.fit([x, -x], x[:, :2], epochs=1, verbose=0)
    path = tmp_path / file_name
    model.save(path)
    return path


def test_a_small_functional_file_declaring_a_huge_layer_is_refused_before_allocating(tmp_path):
    # The same check on a graph: the widths each layer is built for come from the graph (here, a
    # Concatenate of two Dense(16384)), and each layer's tensors are looked up before it is built.
    path = functional_model_file(tmp_path)

    def grow(header):
        for layer in header["model"]["config"]["layers"]:
            if layer["class_name"] == "Dense":
                layer["config"]["units"] = 16384
        header["tensors"] = []
        header["compile"] = None
        header["optimizer_state"] = None

    rewrite(path, grow, keep_data=False)
    outcome, grown = load_in_child(path, timeout=60)
    print(outcome, f"peak resident memory grew by {grown / 1e6:.1f} MB")
    assert outcome.startswith("ModelFileError") and "needs a tensor 'layers/" in outcome
    assert "of shape (3, 16384)" in outcome
    assert grown < 50e6


def test_a_functional_layer_whose_tensor_has_another_shape_is_named(tmp_path):
    path = functional_model_file(tmp_path)

    def widen(header):
        for layer in header["model"]["config"]["layers"]:
            if layer["config"].get("name") == "out":
                layer["config"]["units"] = 5

    rewrite(path, widen)
    with pytest.raises(fm.saving.ModelFileError, match=r"has shape \(8, 2\), the model needs \(8, 5\)"):
        fm.models.load_model(path)


def test_a_functional_models_generator_states_of_zeros_are_refused(tmp_path):
    path = functional_model_file(tmp_path)
    fm.models.load_model(path)  # loads as saved
    for which in ("model", "layer"):
        def zero(header):
            if which == "model":
                header["rng"]["state"] = ZERO_STATE
            else:
                states = header["rng"]["layers"]
                states[next(i for i, state in enumerate(states) if state is not None)] = ZERO_STATE
        zeroed = rewrite(functional_model_file(tmp_path, f"zero_{which}.fastmlp"), zero)
        with pytest.raises(fm.saving.ModelFileError, match="generator state in the header is all zeros"):
            fm.models.load_model(zeroed)


def nested_model(kind):
    """A small model that uses another model as a layer, as ``kind`` says."""
    def chain(with_input=True):
        return fm.Sequential(([fm.layers.Input((3,))] if with_input else []) + [fm.layers.Dense(4), fm.layers.Dense(3)])

    if kind == "Sequential in Sequential":
        return fm.Sequential([fm.layers.Input((3,)), chain(), fm.layers.Dense(2)])
    if kind == "Sequential without an input shape in Sequential":  # the outer model builds it, for its width
        return fm.Sequential([fm.layers.Input((3,)), chain(with_input=False), fm.layers.Dense(2)])
    a = fm.layers.Input((3,), name="a")
    if kind == "Sequential in functional":
        return fm.Model(a, fm.layers.Dense(2)(chain()(a)))
    if kind == "functional in Sequential in functional":  # two levels down
        b = fm.layers.Input((3,), name="b")
        inner = fm.Model(b, fm.layers.Dense(3)(fm.layers.Dense(4)(b)))
        return fm.Model(a, fm.layers.Dense(2)(fm.Sequential([fm.layers.Input((3,)), inner])(a)))
    raise AssertionError(kind)


NESTED_HUGE = {  # the first tensor the reader looks up: the inner model's, by its path
    "Sequential in Sequential": "layers/0/0/kernel",
    "Sequential without an input shape in Sequential": "layers/0/0/kernel",
    "Sequential in functional": "layers/0/0/kernel",
    "functional in Sequential in functional": "layers/0/0/0/kernel",
}


@pytest.mark.parametrize("kind", list(NESTED_HUGE))
def test_a_small_file_whose_nested_model_declares_a_huge_layer_is_refused_before_allocating(tmp_path, kind):
    # A model used as a layer is built as its config is read; it was built before any of its shapes
    # were checked, so a nested Dense(16384) on 16384 inputs allocated 2 GB (kernel and gradient).
    # Now every layer at every depth is checked against the tensor table before it is built.
    path = tmp_path / "nested.fastmlp"
    nested_model(kind).save(path)

    def huge(item, top):
        if isinstance(item, dict):
            if item.get("class_name") == "Dense":
                item["config"]["units"] = 16384
            if item.get("class_name") == "InputLayer":
                item["config"]["batch_shape"] = [None, 16384]
            if "input_shape" in item:
                item["input_shape"] = [16384]
                if kind.startswith("Sequential without") and not top:
                    del item["input_shape"]  # saving wrote the width the outer model built it for
            for key, value in item.items():
                huge(value, top and key == "config")
        elif isinstance(item, list):
            for value in item:
                huge(value, False)

    def grow(header):
        huge(header["model"], True)
        header["tensors"] = []
        header["compile"] = header["optimizer_state"] = header["rng"] = None

    rewrite(path, grow, keep_data=False)
    outcome, grown = load_in_child(path, timeout=60)
    print(f"{path.stat().st_size} bytes: {outcome}; peak resident memory grew by {grown / 1e6:.1f} MB")
    assert outcome.startswith("ModelFileError")
    assert f"needs a tensor '{NESTED_HUGE[kind]}' of shape (16384, 16384) for 16384 inputs" in outcome
    assert grown < 50e6


@pytest.mark.parametrize("kind", list(NESTED_HUGE))
def test_a_nested_models_tensor_of_another_shape_is_named_and_intact_files_load(tmp_path, kind):
    model = nested_model(kind)
    path = tmp_path / "nested.fastmlp"
    model.save(path)
    x = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    np.testing.assert_array_equal(fm.models.load_model(path).predict(x, verbose=0), model.predict(x, verbose=0))

    def widen(item):  # the nested model's first Dense: 4 units in the file's tensors, 5 in its config
        if isinstance(item, dict):
            if item.get("class_name") == "Dense" and item["config"]["units"] == 4:
                item["config"]["units"] = 5
            for value in item.values():
                widen(value)
        elif isinstance(item, list):
            for value in item:
                widen(value)

    rewrite(path, lambda header: widen(header["model"]))
    with pytest.raises(fm.saving.ModelFileError,
                       match=rf"tensor '{NESTED_HUGE[kind]}' has shape \(3, 4\), the model needs \(3, 5\)"):
        fm.models.load_model(path)


# ---- item 7: the header's parse ------------------------------------------------------------------
def test_an_object_with_many_members_parses_in_linear_time(tmp_path):
    # Checking each name against all the earlier ones took 23 s for 80 000 members (quadratic);
    # 300 000 would take minutes. Sorting the names takes well under a second.
    members = ",".join(f'"m{i}":0' for i in range(300_000))
    path = model_file(tmp_path / "members.fastmlp", ("{" + members + "}").encode())
    outcome, _ = load_in_child(path, timeout=30)
    assert outcome.startswith("ModelFileError") and "missing field" in outcome


def test_a_large_header_costs_a_small_multiple_of_its_size(tmp_path):
    # 10 MB of "0," cost 700 MB while loading (75 bytes per byte).
    header = ("[" + ",".join(["0"] * 5_000_000) + "]").encode()
    path = model_file(tmp_path / "zeros.fastmlp", header)
    outcome, grown = load_in_child(path, timeout=60)
    print(f"{len(header) / 1e6:.1f} MB header: peak resident memory grew by {grown / 1e6:.0f} MB")
    assert outcome.startswith("ModelFileError") and 'missing field "tensors"' in outcome
    assert grown < 25 * len(header)


@pytest.mark.parametrize("declared", [MAX_HEADER_BYTES + 1, 2**32 - 1])
def test_a_header_over_the_cap_is_refused_before_it_is_read(tmp_path, declared):
    path = tmp_path / "huge.fastmlp"
    path.write_bytes(b"FASTMLP\0" + struct.pack("<II", 2, declared) + b"{}" + b"\0" * 4)
    with pytest.raises(fm.saving.ModelFileError, match=f"declares {declared} bytes, more than the {MAX_HEADER_BYTES}"):
        fm.models.load_model(path)


# ---- item 8: file sizes --------------------------------------------------------------------------
def test_a_4_gib_file_with_valid_magic_is_refused_without_reading_it(tmp_path):
    # It was read whole before any check: MemoryError (std::bad_alloc) after 1 GB. A sparse file
    # takes no disk space; the child's memory shows that the data was never read.
    path = small_model_file(tmp_path, "big.fastmlp")
    with open(path, "r+b") as file:
        file.truncate(4 << 30)
    outcome, grown = load_in_child(path, timeout=60)
    print(outcome, f"peak resident memory grew by {grown / 1e6:.1f} MB")
    assert outcome.startswith("ModelFileError") and "bytes after its last tensor" in outcome \
        and f"of its {4 << 30})" in outcome
    assert grown < 50e6


@pytest.mark.parametrize("header", [b"{" + b"x" * 99, b'{"model": 1, "tensors": 7}'.ljust(100), b"[]".ljust(100)],
                         ids=["unparsable", "no tensor table", "not an object"])
def test_a_4_gib_file_whose_header_does_not_parse_is_refused_without_reading_it(tmp_path, header):
    # [issue 26] When the header failed to parse, the reader fell back to reading the whole file: 1 GB
    # allocated of a 4 GiB file with a 100-byte header before std::bad_alloc. Nothing past the header is
    # read until the header is valid.
    path = tmp_path / "big.fastmlp"
    path.write_bytes(b"FASTMLP\0" + struct.pack("<II", 2, len(header)) + header)
    with open(path, "r+b") as file:
        file.truncate(4 << 30)
    outcome, grown = load_in_child(path, timeout=60)
    print(outcome, f"peak resident memory grew by {grown / 1e6:.1f} MB")
    assert outcome.startswith("ModelFileError") and "header" in outcome
    assert grown < 50e6


def test_dev_zero_is_refused_at_once():
    outcome, grown = load_in_child("/dev/zero", timeout=30)
    assert outcome.startswith("ModelFileError") and "not a fastmlp model file" in outcome
    assert grown < 50e6


def test_a_pipe_is_read_only_as_far_as_the_file_says(tmp_path):
    # A FIFO has no size: the reader stops where the header and the tensor table say the file ends
    # and refuses one that goes on (a writer that never stops would otherwise be read forever).
    saved = small_model_file(tmp_path, "model.fastmlp")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    status, out, err = run_isolated(f"""
        import threading
        import fastmlp as fm

        def write_forever():
            with open({str(fifo)!r}, "wb") as pipe:
                pipe.write(open({str(saved)!r}, "rb").read())
                try:
                    while True:
                        pipe.write(b"\\0" * 65536)
                except BrokenPipeError:
                    pass

        threading.Thread(target=write_forever, daemon=True).start()
        try:
            fm.saving.ModelFileError  # noqa
            from fastmlp import _core
            _core.load_model({str(fifo)!r})
            print("loaded")
        except fm.saving.ModelFileError as error:
            print("refused:", error)
        """, timeout=60)
    print(status, out, err[-1000:])
    assert status == 0 and out.startswith("refused:") and "holds more than the" in out


# ---- item 9: names that are not UTF-8 ------------------------------------------------------------
def test_a_path_that_is_not_utf8_gives_model_file_error(tmp_path):
    name = os.fsencode(tmp_path) + b"/caf\xe9-\xff.fastmlp"
    with open(name, "wb") as file:
        file.write(b"FASTMLP\0 damaged")
    with pytest.raises(fm.saving.ModelFileError, match=r"caf\\xe9-\\xff\.fastmlp"):
        fm.models.load_model(name)
    with pytest.raises(fm.saving.ModelFileError, match=r"caf\\xe9-\\xff\.fastmlp"):
        fm.models.load_model(os.fsdecode(name))
    model = fm.Sequential([fm.layers.Input((3,)), fm.layers.Dense(2)])
    missing = os.fsencode(tmp_path) + b"/no-such-dir-\xff/model.fastmlp"
    with pytest.raises(fm.saving.ModelFileError, match=r"no-such-dir-\\xff"):
        model.save(os.fsdecode(missing))


def test_a_model_name_that_is_not_utf8_gives_model_file_error(tmp_path):
    path = small_model_file(tmp_path, "named.fastmlp", name="abc")
    raw = path.read_bytes()
    (length,) = struct.unpack_from("<I", raw, 12)
    header = raw[16:16 + length].replace(b'"abc"', b'"a\xffc"', 1)
    model_file(path, header, raw[16 + length:-4])
    with pytest.raises(fm.saving.ModelFileError, match="a string holds bytes that are not UTF-8"):
        fm.models.load_model(path)


def test_damaged_headers_give_printable_messages(tmp_path):
    for header in (b"\xff", b'{"\xc3\x28": 1, "\xc3\x28": 2}', b"[1, \x80]", b'"\xed\xa0\x80"'):
        path = model_file(tmp_path / "bytes.fastmlp", header)
        with pytest.raises(fm.saving.ModelFileError, match="the header is damaged") as error:
            fm.models.load_model(path)
        assert str(error.value).isprintable() and str(error.value).isascii(), str(error.value)


# ---- item 10: configs read from a file are validated as the constructors validate them -------------
@pytest.mark.parametrize("where, value, message", [
    ("kernel_regularizer", {"class_name": "L2", "config": {"l2": -0.5}}, "L2 l2 must be a finite number >= 0"),
    ("units", -3, "units"),
    ("activation", "no_such_activation", "no_such_activation"),
])
def test_an_invalid_config_in_a_file_is_a_model_file_error(tmp_path, where, value, message):
    # A negative regularizer strength loaded in C++ and failed later in Python with a plain ValueError.
    path = small_model_file(tmp_path, "config.fastmlp")
    rewrite(path, lambda header: header["model"]["config"]["layers"][0]["config"].__setitem__(where, value))
    with pytest.raises(fm.saving.ModelFileError, match=message):
        fm.models.load_model(path)


def test_control_characters_from_a_file_are_escaped_in_messages(tmp_path):
    # Found by fuzz_model: a config key "lay\u0001s" reached the message as a raw control character.
    path = small_model_file(tmp_path, "control.fastmlp")
    rewrite(path, lambda header: header["model"]["config"].__setitem__("lay\x01s\x7f", []))
    with pytest.raises(fm.saving.ModelFileError, match=r"no member 'lay\\x01s\\x7f'") as error:
        fm.models.load_model(path)
    assert str(error.value).isprintable(), str(error.value)
