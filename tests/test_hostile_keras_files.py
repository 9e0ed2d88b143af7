"""Keras files made to hurt the readers (issue 26, items 1-3, 5 and 6). Whatever the .keras archive or
legacy .h5 file holds, ``load_model`` ends soon with a ValueError (ModelFileError, or the error naming
something fastmlp lacks), having allocated at most a small multiple of the file's size, and reads
nothing outside the file. The hostile files are built here, each a few KB."""

import bz2
import io
import json
import lzma
import os
import struct
import tracemalloc
import zipfile

import numpy as np
import pytest
from conftest import run_isolated
from interop_fixtures import FIXTURES

import fastmlp

h5py = pytest.importorskip("h5py")

from fastmlp._interop.errors import UnsupportedLayerError  # noqa: E402
from fastmlp.saving import ModelFileError  # noqa: E402

load_model = fastmlp.models.load_model
ARCHIVE = FIXTURES / "compiled_adam.keras"  # Sequential: Dense(8) on 4 inputs, BatchNormalization, Dense(3); Adam


def members(source=ARCHIVE):
    with zipfile.ZipFile(source) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def archive_with(tmp_path, replace=(), methods=(), name="edited.keras"):
    """ARCHIVE with members replaced ({name: bytes}) and compressed by other methods ({name: method})."""
    contents = {**members(), **dict(replace)}
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as archive:
        for member, data in contents.items():
            archive.writestr(member, data, compress_type=dict(methods).get(member, zipfile.ZIP_STORED))
    return path


def config_with(edit):
    config = json.loads(members()["config.json"])
    edit(config)
    return json.dumps(config)


def weights_with(edit, source=ARCHIVE):
    buffer = io.BytesIO(members(source)["model.weights.h5"])
    with h5py.File(buffer, "a") as h5:
        edit(h5)
    return buffer.getvalue()


def replace_dataset(h5, name, **kwargs):
    del h5[name]
    h5.create_dataset(name, **kwargs)


def refused(path, error=ModelFileError, match=None):
    """Loads ``path``, which must raise ``error``; returns the peak of Python-visible allocations (NumPy's
    and the bytes of every member included) during the load."""
    tracemalloc.start()
    try:
        with pytest.raises(error, match=match) as caught:
            load_model(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    print(f"{type(caught.value).__name__}: {caught.value}; peak {peak / 2**20:.1f} MiB")
    return peak


# ---- item 1: zip bombs --------------------------------------------------------------------------------
BOMB_BYTES = 16 << 20  # zeros; bzip2 makes them about 100 bytes (the 1 GiB bomb is 3.4 KB)


@pytest.mark.parametrize("member", ["model.weights.h5", "config.json"])
def test_a_bzip2_bomb_is_refused_before_inflating(tmp_path, member):
    path = archive_with(tmp_path, {member: bytes(BOMB_BYTES)}, {member: zipfile.ZIP_BZIP2})
    assert path.stat().st_size < 30_000
    peak = refused(path, match="compressed with zip method 12")
    assert peak < 4 << 20  # it inflated all 16 MiB (1 GiB: 2 GB of RSS) before


def test_a_damaged_lzma_member_is_a_model_file_error(tmp_path):
    path = archive_with(tmp_path, methods={"config.json": zipfile.ZIP_LZMA})
    data = bytearray(path.read_bytes())
    at = data.index(b"config.json") + 40  # inside the compressed stream (it was lzma.LZMAError)
    data[at:at + 8] = b"\xff" * 8
    path.write_bytes(bytes(data))
    refused(path)


def _declare_size(path, member, size):
    """Rewrites the uncompressed size of ``member`` in the central directory (where zipfile reads it)."""
    data = bytearray(path.read_bytes())
    entry = data.index(b"PK\x01\x02")  # the first entry of the central directory
    while True:
        (name_length,) = struct.unpack_from("<H", data, entry + 28)
        if data[entry + 46:entry + 46 + name_length] == member.encode():
            struct.pack_into("<I", data, entry + 24, size)
            break
        extra, comment = struct.unpack_from("<HH", data, entry + 30)
        entry += 46 + name_length + extra + comment
    path.write_bytes(bytes(data))


def test_a_member_declaring_more_than_deflate_can_give_is_refused_unread(tmp_path):
    path = archive_with(tmp_path, methods={"model.weights.h5": zipfile.ZIP_DEFLATED})
    _declare_size(path, "model.weights.h5", 4_000_000_000)
    refused(path, match="declares 4000000000 bytes, more than a")


def test_a_member_holding_more_than_it_declares_is_not_read_past_its_size(tmp_path):
    path = archive_with(tmp_path, {"config.json": b" " * (8 << 20) + members()["config.json"]},
                        {"config.json": zipfile.ZIP_DEFLATED})
    _declare_size(path, "config.json", 1000)
    assert refused(path, match="config.json") < 2 << 20


# ---- item 2: every malformed config is a ModelFileError --------------------------------------------------
def _set(path, value):
    def edit(config):
        target = config
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return edit


MALFORMED = {
    "units Infinity": (("config", "layers", 1, "config", "units"), float("inf")),
    "units 1e300": (("config", "layers", 1, "config", "units"), 1e300),
    "optimizer config 1": (("compile_config", "optimizer", "config"), 1),
    "optimizer name 5": (("compile_config", "optimizer", "config", "name"), 5),
    "optimizer clipnorm x": (("compile_config", "optimizer", "config", "clipnorm"), "x"),
    "optimizer learning_rate list": (("compile_config", "optimizer", "config", "learning_rate"), [1]),
    "loss class get": (("compile_config", "loss"), {"class_name": "get"}),
    "loss config 3": (("compile_config", "loss"), {"class_name": "MeanSquaredError", "config": 3}),
    "metrics number": (("compile_config", "metrics"), 7),
    "momentum text": (("config", "layers", 2, "config", "momentum"), "fast"),
    "axis huge": (("config", "layers", 2, "config", "axis"), 2**70),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_config_is_a_model_file_error(tmp_path, case):
    path = archive_with(tmp_path, {"config.json": config_with(_set(*MALFORMED[case]))})
    with pytest.raises(ValueError) as caught:  # ModelFileError, or the error naming what fastmlp lacks
        load_model(path)
    print(case, "->", type(caught.value).__name__, caught.value)
    assert isinstance(caught.value, (ModelFileError, UnsupportedLayerError))


def test_an_unknown_optimizer_option_is_named(tmp_path):
    path = archive_with(tmp_path, {"config.json": config_with(
        _set(("compile_config", "optimizer", "config", "beta_9"), 0.5))})
    refused(path, UnsupportedLayerError, match="Adam option 'beta_9=0.5'")


def _mutations(value, rng, count):
    """Copies of a JSON value with one node replaced by a value of another type."""
    paths = []

    def collect(item, path):
        paths.append(path)
        for key, child in (item.items() if isinstance(item, dict) else
                           enumerate(item) if isinstance(item, list) else ()):
            collect(child, path + [key])

    collect(value, [])
    replacements = [None, 7, -1, 0, "text", [], {}, [None], {"class_name": 3}, {"class_name": "get"}, 1e300,
                    float("inf"), float("nan"), True, 2**70, "\udcff"]
    for index in rng.choice(len(paths) - 1, size=count, replace=False) + 1:
        copy = json.loads(json.dumps(value))
        target = copy
        for key in paths[index][:-1]:
            target = target[key]
        target[paths[index][-1]] = replacements[rng.integers(len(replacements))]
        yield copy


def test_structured_config_mutations_give_only_value_errors(tmp_path):
    config = json.loads(members()["config.json"])
    weights = members()["model.weights.h5"]
    kinds = {}
    for number, mutated in enumerate(_mutations(config, np.random.default_rng(26), 24)):
        text = json.dumps(mutated).encode("utf-8", "surrogatepass")
        path = archive_with(tmp_path, {"config.json": text, "model.weights.h5": weights}, name=f"m{number}.keras")
        try:
            load_model(path)
            kinds["loaded"] = kinds.get("loaded", 0) + 1
        except (ModelFileError, UnsupportedLayerError) as error:
            kinds[type(error).__name__] = kinds.get(type(error).__name__, 0) + 1
    print(kinds)  # main: AttributeError, TypeError and OverflowError among them
    assert set(kinds) <= {"loaded", "ModelFileError", "UnsupportedLayerError"}


# ---- item 3: the HDF5 file inside the archive ------------------------------------------------------------
@pytest.mark.parametrize("shape", [(16384, 16384), (1 << 20, 1 << 20)])
def test_a_kernel_declaring_a_huge_shape_is_refused_before_reading(tmp_path, shape):
    def edit(h5):
        replace_dataset(h5, "layers/dense/vars/0", shape=shape, dtype="f4", chunks=(64, 64))
    path = archive_with(tmp_path, {"model.weights.h5": weights_with(edit)})
    assert path.stat().st_size < 40_000
    assert refused(path, match=str(shape[0])) < 4 << 20  # 1.27 GB, and MemoryError for 4 TiB, before


def test_an_optimizer_variable_declaring_a_huge_shape_is_refused_before_reading(tmp_path):
    def edit(h5):
        replace_dataset(h5, "optimizer/vars/2", shape=(16384, 16384), dtype="f4", chunks=(64, 64))
    path = archive_with(tmp_path, {"model.weights.h5": weights_with(edit)})
    assert refused(path, match="more than a file of") < 4 << 20


@pytest.mark.parametrize("dtype", ["compound", "int", "string", "bool"])
def test_a_weight_of_another_dtype_is_refused_by_name(tmp_path, dtype):
    data = {"compound": np.zeros((4, 8), [("a", "f4"), ("b", "i4")]), "int": np.zeros((4, 8), np.int32),
            "string": np.full((4, 8), b"x", "S1"), "bool": np.zeros((4, 8), bool)}[dtype]

    def edit(h5):
        replace_dataset(h5, "layers/dense/vars/0", data=data)
    path = archive_with(tmp_path, {"model.weights.h5": weights_with(edit)})
    if dtype in ("int", "bool"):  # numbers: Keras's own loader converts them too
        assert load_model(path).layers[0].get_weights()[0].shape == (4, 8)
    else:
        refused(path, match="not numbers")


@pytest.mark.parametrize("value", [np.inf, 1e30, -3.0, np.nan, np.zeros(3)], ids=str)
def test_an_optimizer_iteration_of_the_wrong_value_is_refused(tmp_path, value):
    def edit(h5):
        replace_dataset(h5, "optimizer/vars/0", data=value)
    path = archive_with(tmp_path, {"model.weights.h5": weights_with(edit)})
    refused(path, match="iteration")


def test_an_optimizer_slot_of_the_wrong_shape_is_refused(tmp_path):
    def edit(h5):
        replace_dataset(h5, "optimizer/vars/2", data=np.zeros((5, 5), np.float32))
    refused(archive_with(tmp_path, {"model.weights.h5": weights_with(edit)}))


# ---- item 5: legacy .h5 --------------------------------------------------------------------------------
def legacy_h5(path, name="dense", kernel=None, optimizer=None):
    """A legacy file as Keras 3 writes one: Dense(3) on 2 inputs named ``name``, compiled with Adam
    (given ``optimizer``'s extra options); ``kernel(group, key)`` puts the kernel in place."""
    config = {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
        {"class_name": "InputLayer", "config": {"name": "input", "batch_shape": [None, 2]}},
        {"class_name": "Dense", "config": {"name": name, "units": 3}}]}}
    training = {"loss": "mse", "optimizer_config": {"class_name": "Adam",
                                                    "config": {"learning_rate": 0.001, **(optimizer or {})}}}
    with h5py.File(path, "w") as h5:
        h5.attrs["model_config"] = json.dumps(config)
        h5.attrs["training_config"] = json.dumps(training)
        h5.attrs["keras_version"] = "3.15.0"
        # HDF5 cannot name a group with text that is not UTF-8: such a layer's group is simply absent.
        layer = h5.create_group("model_weights").create_group(name if name.isascii() else "other")
        layer.attrs["weight_names"] = [b"d/kernel", b"d/bias"]
        layer.create_group("d")["bias"] = np.zeros(3, np.float32)
        if kernel is None:
            layer["d/kernel"] = np.ones((2, 3), np.float32)
        else:
            kernel(layer, "d/kernel")
    return path


def test_a_legacy_file_as_written_loads(tmp_path):
    model = load_model(legacy_h5(tmp_path / "ok.h5"))
    np.testing.assert_array_equal(model.predict(np.ones((1, 2)), verbose=0), [[2.0, 2.0, 2.0]])


def test_a_layer_name_that_is_not_utf8_is_a_model_file_error(tmp_path):
    refused(legacy_h5(tmp_path / "name.h5", name="dense\udcff"))  # UnicodeEncodeError before


def test_an_unknown_optimizer_option_in_a_legacy_file_is_named(tmp_path):
    refused(legacy_h5(tmp_path / "option.h5", optimizer={"beta_9": 1.0}), UnsupportedLayerError, match="beta_9")


def test_a_legacy_kernel_declaring_a_huge_shape_is_refused_before_reading(tmp_path):
    path = legacy_h5(tmp_path / "huge.h5", kernel=lambda group, name: group.create_dataset(
        name, shape=(1 << 14, 1 << 14), dtype="f4", chunks=(64, 64)))
    assert path.stat().st_size < 40_000
    assert refused(path, match="16384") < 4 << 20  # 1.27 GB before


# ---- item 6: links and storage that leave the file ---------------------------------------------------------
def _secret(tmp_path):
    path = tmp_path / "secret.h5"
    with h5py.File(path, "w") as h5:
        h5["x"] = np.full((2, 3), 42.0, np.float32)
    return path


def _external_kernel(target, name="/x"):
    return lambda group, key: group.__setitem__(key, h5py.ExternalLink(str(target), name))


def test_an_external_link_in_a_legacy_file_is_refused(tmp_path):
    path = legacy_h5(tmp_path / "linked.h5", kernel=_external_kernel(_secret(tmp_path)))
    refused(path, match="external link")  # it loaded the other file's array as the kernel before


def test_an_external_link_in_a_keras_archive_is_refused(tmp_path):
    secret = _secret(tmp_path)

    def edit(h5):
        del h5["layers/dense_1/vars/1"]
        h5["layers/dense_1/vars/1"] = h5py.ExternalLink(str(secret), "/x")
    refused(archive_with(tmp_path, {"model.weights.h5": weights_with(edit)}), match="external link")


def test_a_soft_link_inside_the_file_still_loads(tmp_path):
    def kernel(group, key):
        group.file["elsewhere"] = np.ones((2, 3), np.float32)
        group[key] = h5py.SoftLink("/elsewhere")
    model = load_model(legacy_h5(tmp_path / "soft.h5", kernel=kernel))
    np.testing.assert_array_equal(model.layers[0].get_weights()[0], np.ones((2, 3)))


def test_external_storage_and_virtual_datasets_are_refused(tmp_path):
    raw = tmp_path / "raw.bin"
    raw.write_bytes(np.full((2, 3), 42.0, np.float32).tobytes())
    external = legacy_h5(tmp_path / "external.h5", kernel=lambda group, key: group.create_dataset(
        key, shape=(2, 3), dtype="f4", external=[(str(raw), 0, 24)]))
    refused(external, match="external files")
    layout = h5py.VirtualLayout(shape=(2, 3), dtype="f4")
    layout[:] = h5py.VirtualSource(str(_secret(tmp_path)), "x", shape=(2, 3))
    virtual = legacy_h5(tmp_path / "virtual.h5", kernel=lambda group, key: group.create_virtual_dataset(key, layout))
    refused(virtual, match="virtual")


def test_an_external_link_to_a_fifo_does_not_block(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    path = legacy_h5(tmp_path / "fifo.h5", kernel=_external_kernel(fifo))
    status, out, err = run_isolated(f"""
        import fastmlp
        try:
            fastmlp.models.load_model({str(path)!r})
        except ValueError as error:
            print(type(error).__name__, error)
        """, timeout=30)
    print(status, out, err[-2000:])
    assert status == 0, "load_model blocked on the FIFO" if status is None else err[-2000:]
    assert out.startswith("ModelFileError") and "external link" in out


def test_check_links_follows_nothing(tmp_path):
    from fastmlp._interop import hdf5_checks
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    path = legacy_h5(tmp_path / "fifo.h5", kernel=_external_kernel(fifo))
    with h5py.File(path, "r") as h5, pytest.raises(ModelFileError, match="'model_weights/dense/d/kernel' is an"):
        hdf5_checks.check_links(h5, path)


# ---- item 4: many layers load in linear time ------------------------------------------------------------
def test_a_model_of_many_layers_is_made_in_linear_time():
    # Loading 8000 Activation layers took 8.9 s, 2000 took 0.9 s: each layer remade the whole chain.
    # The reader's last step, timed without HDF5 (whose own lookups are linear).
    import time

    from fastmlp._interop import fastmlp_models, layer_catalog
    from fastmlp._interop.graph import sequential

    def seconds(count):  # CPU time: the machine's load stretches wall time, not this
        graph = sequential([("InputLayer", layer_catalog.make_config("InputLayer", "x", batch_shape=[None, 4]), {})] +
                           [("Activation", layer_catalog.make_config("Activation", f"a{i}", activation="relu"), {})
                            for i in range(count)])
        start = time.process_time()
        model = fastmlp_models.model_from_graph(graph)
        assert len(model.layers) == count
        return time.process_time() - start

    small = min(seconds(500) for _ in range(3))
    large = seconds(8000)
    print(f"500 layers {small:.3f} s, 8000 layers {large:.3f} s ({large / small:.1f} times)")
    assert large < 48 * small  # linear: 16 times; the quadratic reader took over 100 times


# ---- keep it that way: a short seeded run of the Keras-reader fuzzer ------------------------------------
def test_a_short_fuzzing_run_of_the_keras_readers_finds_nothing():
    # cpp/fuzz/fuzz_keras_readers.py in its plain mode (no atheris): structured mutations of the real Keras
    # fixtures (byte edits of .keras weights and legacy .h5 files, hostile config values), under an
    # address-space limit; CI also runs it coverage-guided for 45 s (.ci/run).
    import subprocess
    import sys

    harness = FIXTURES.parents[2] / "cpp" / "fuzz" / "fuzz_keras_readers.py"
    memory = "0" if os.environ.get("FASTMLP_UNDER_SANITIZERS") else "2048"  # ASan's shadow exceeds any limit
    done = subprocess.run([sys.executable, str(harness), "--plain", "--runs", "20", "--seed", "26"],
                          capture_output=True, text=True, timeout=180, env={**os.environ, "FUZZ_MEMORY_MB": memory})
    print(done.stdout[-2000:], done.stderr[-3000:])
    assert done.returncode == 0 and "no findings" in done.stdout


# An input the coverage-guided run of .ci/run found (its bytes as the harness reads them): a .keras file
# whose weights member makes HDF5 spin; the probe's child is stopped and the file refused, after a time
# that grows with the file's size (BASE_S for a small one), not after the two-minute cap.
SPINNING_INPUT = ("tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbU7tbW1tbW1"
                  "tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1AAAAAA==")


def test_a_small_file_that_stalls_hdf5_is_refused_within_seconds(tmp_path, monkeypatch):
    import base64
    import importlib.util
    import time

    from fastmlp._interop import hdf5_probe
    harness_path = FIXTURES.parents[2] / "cpp" / "fuzz" / "fuzz_keras_readers.py"
    spec = importlib.util.spec_from_file_location("fuzz_keras_readers", harness_path)
    harness = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(harness)
    path = tmp_path / "spinning.keras"
    path.write_bytes(harness.file_from_input(base64.b64decode(SPINNING_INPUT)))
    monkeypatch.setattr(hdf5_probe, "BASE_S", 1.0)
    start = time.monotonic()
    with pytest.raises(ModelFileError):
        load_model(path)
    assert time.monotonic() - start < 20
    assert hdf5_probe._timeout(str(path)) < 2
