"""Reading Keras files: every fixture predicts what Keras predicted, compile state comes back, and broken
or foreign files give ModelFileError (never a crash)."""

import io
import json
import zipfile

import numpy as np
import pytest
from conftest import assert_close
from interop_fixtures import ATOL, FIXTURES, RTOL, as_list, fixture_files, keras_data, model_inputs

h5py = pytest.importorskip("h5py")

from fastmlp._interop import executor, keras_archive, keras_files  # noqa: E402
from fastmlp._interop.errors import ModelFileError, UnsupportedLayerError  # noqa: E402


@pytest.mark.parametrize("name,path", fixture_files(), ids=lambda v: getattr(v, "name", v))
def test_executor_reproduces_keras_predictions(name, path):
    graph = keras_files.read_keras_file(path)
    inputs, expected = keras_data(name)
    assert_close(f"{path.name} vs Keras", as_list(executor.predict(graph, model_inputs(inputs))), expected, RTOL, ATOL)


@pytest.mark.parametrize("name", ["sequential", "functional_mlp", "wide_and_deep", "residual", "merges", "two_outputs"])
def test_layer_order_matches_the_order_keras_saved(name):
    # Keras saves layers (and finds their weights) in its own topological order; ours must agree.
    graph = keras_files.read_keras_file(FIXTURES / f"{name}.keras")
    with zipfile.ZipFile(FIXTURES / f"{name}.keras") as archive:
        config = json.loads(archive.read("config.json"))
    saved = [entry["config"]["name"] for entry in config["config"]["layers"]]
    assert [node.name for node in graph.keras_order()] == saved


def test_sequential_fixture_holds_every_listed_layer():
    graph = keras_files.read_keras_file(FIXTURES / "sequential.keras")
    kinds = {node.class_name for node in graph.layers}
    assert {"InputLayer", "Flatten", "Normalization", "Dense", "Dropout", "BatchNormalization", "LayerNormalization",
            "PReLU", "GaussianNoise", "Activation", "Softmax"} <= kinds
    assert graph.kind == "Sequential"
    assert graph.layer("dense").weights["kernel"].shape == (8, 10)  # Keras's (inputs, units)
    assert graph.compile is None


def test_dict_inputs_and_outputs_keep_their_keys():
    graph = keras_files.read_keras_file(FIXTURES / "merges.keras")
    assert graph.input_keys == ["a", "b"] and graph.output_keys == ["out", "diff"]
    inputs, expected = keras_data("merges")
    outputs = executor.predict(graph, {"a": inputs[0], "b": inputs[1]})
    assert list(outputs) == ["out", "diff"]
    assert_close("merges by key", list(outputs.values()), expected, RTOL, ATOL)


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_compile_state_and_optimizer_variables(suffix):
    graph = keras_files.read_keras_file(FIXTURES / f"compiled_adam{suffix}")
    state = graph.compile
    assert state.loss == "categorical_crossentropy" and state.metrics == ["accuracy"]
    assert state.optimizer.class_name == "Adam"
    assert state.optimizer.config["learning_rate"] == pytest.approx(0.01)
    variables = state.optimizer.variables
    # Keras's own variables, in its order, as make_fixtures.py saved them from the live optimizer.
    saved = np.load(FIXTURES / "compiled_adam.npz")
    keras_values = [saved[f"optimizer{i}"] for i in range(sum(k.startswith("optimizer") for k in saved.files))]
    assert len(variables) == len(keras_values) == 2 + 2 * 6
    for (key, value), expected in zip(variables.items(), keras_values):
        np.testing.assert_array_equal(value, expected, err_msg=key)
    assert int(variables["iteration"]) == 4  # 32 rows, batches of 8, one epoch
    dense, norm = (node.name for node in graph.layers[1:3])
    assert list(variables)[2:6] == [f"{dense}_kernel_momentum", f"{dense}_kernel_velocity", f"{dense}_bias_momentum",
                                    f"{dense}_bias_velocity"]
    assert variables[f"{norm}_gamma_velocity"].shape == (8,)


def test_rmsprop_slots_are_named_by_keras_rules():
    graph = keras_files.read_keras_file(FIXTURES / "compiled_rmsprop.keras")
    names = list(graph.compile.optimizer.variables)
    dense = graph.layers[1].name
    # velocity for every weight, then momentum (momentum > 0), then average_gradient (centered).
    assert names[2] == f"{dense}_kernel_velocity" and names[8] == f"{dense}_kernel_momentum"
    assert names[14] == f"{dense}_kernel_average_gradient" and len(names) == 2 + 3 * 6
    saved = np.load(FIXTURES / "compiled_rmsprop.npz")
    for index, value in enumerate(graph.compile.optimizer.variables.values()):
        np.testing.assert_array_equal(value, saved[f"optimizer{index}"])


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_a_layer_fastmlp_lacks_is_named(suffix):
    with pytest.raises(UnsupportedLayerError, match=r"'Conv1D' \(layer 'conv'") as caught:
        keras_files.read_keras_file(FIXTURES / f"unsupported{suffix}")
    assert isinstance(caught.value, ValueError) and caught.value.name == "Conv1D"


# ---- damaged and foreign files ---------------------------------------------------------------------
def _archive_with(tmp_path, replace):
    """A copy of functional_mlp.keras with members replaced (None: removed)."""
    path = tmp_path / "edited.keras"
    with zipfile.ZipFile(FIXTURES / "functional_mlp.keras") as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            if item.filename in replace:
                if replace[item.filename] is not None:
                    target.writestr(item.filename, replace[item.filename])
            else:
                target.writestr(item, source.read(item.filename))
    return path


def _weights_with(edit):
    """functional_mlp's model.weights.h5 after ``edit(h5file)``."""
    with zipfile.ZipFile(FIXTURES / "functional_mlp.keras") as archive:
        buffer = io.BytesIO(archive.read("model.weights.h5"))
    with h5py.File(buffer, "a") as h5:
        edit(h5)
    return buffer.getvalue()


def _replace_kernel(h5):
    group = h5["layers/dense/vars"]
    del group["0"]
    group["0"] = np.zeros((4, 8), np.float32)


def _drop_bias(h5):
    del h5["layers/dense_1/vars/1"]


BROKEN = {
    "not json": {"config.json": b"{not json"},
    "absurdly nested json": {"config.json": b"[" * 100000 + b"]" * 100000},
    "no config": {"config.json": None},
    "no weights": {"model.weights.h5": None},
    "weights not hdf5": {"model.weights.h5": b"\x89HDF\r\n\x1a\n" + b"\0" * 64},
    "truncated weights": {"model.weights.h5": _weights_with(lambda h5: None)[:2000]},
    "kernel of the wrong shape": {"model.weights.h5": _weights_with(_replace_kernel)},
    "missing bias": {"model.weights.h5": _weights_with(_drop_bias)},
    "config of another kind": {"config.json": json.dumps({"class_name": "Functional", "config": {"layers": 3}})},
    "dangling inbound": {"config.json": json.dumps({"class_name": "Functional", "config": {
        "layers": [{"class_name": "Dense", "config": {"name": "d", "units": 2},
                    "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__",
                                                 "config": {"keras_history": ["nowhere", 0, 0]}}]}]}],
        "input_layers": [["nowhere", 0, 0]], "output_layers": [["d", 0, 0]]}})},
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_damaged_archives_raise_model_file_error(tmp_path, case):
    path = _archive_with(tmp_path, BROKEN[case])
    with pytest.raises(ModelFileError) as caught:
        keras_files.read_keras_file(path)
    print(case, "->", caught.value)


@pytest.mark.parametrize("size", [0, 10, 1000, 20000])
def test_truncated_files_raise_model_file_error(tmp_path, size):
    for name in ("functional_mlp.keras", "sequential.h5"):
        path = tmp_path / name
        path.write_bytes((FIXTURES / name).read_bytes()[:size])
        with pytest.raises(ModelFileError):
            keras_files.read_keras_file(path)


def test_foreign_files_raise_model_file_error(tmp_path):
    text = tmp_path / "model.keras"
    text.write_text("just some text\n")
    with pytest.raises(ModelFileError, match="neither a .keras archive"):
        keras_files.read_keras_file(text)
    with pytest.raises(ModelFileError, match="directory"):
        keras_files.read_keras_file(tmp_path)
    other_zip = tmp_path / "other.keras"
    with zipfile.ZipFile(other_zip, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(ModelFileError, match="no config.json"):
        keras_files.read_keras_file(other_zip)
    with pytest.raises(ModelFileError, match="not a .keras file"):
        keras_archive.read_keras(text)


def test_weights_only_h5_is_refused(tmp_path):
    path = tmp_path / "weights.h5"
    with h5py.File(path, "w") as h5:
        h5.create_group("dense").create_dataset("kernel", data=np.zeros((2, 2)))
    with pytest.raises(ModelFileError, match="no model config"):
        keras_files.read_keras_file(path)


def test_corrupted_bytes_never_crash(tmp_path):
    # Flip bytes through the archive: each read either succeeds or raises a ValueError.
    original = (FIXTURES / "wide_and_deep.keras").read_bytes()
    rng = np.random.default_rng(3)
    for trial in range(40):
        data = bytearray(original)
        for position in rng.integers(0, len(data), 8):
            data[position] ^= 0xFF
        path = tmp_path / f"flipped{trial}.keras"
        path.write_bytes(bytes(data))
        try:
            keras_files.read_keras_file(path)
        except ValueError:
            pass


def _mutations(value, rng):
    """Copies of a JSON value with one leaf or list replaced by something of another type."""
    paths = []

    def collect(item, path):
        paths.append(path)
        if isinstance(item, dict):
            for key, child in item.items():
                collect(child, path + [key])
        elif isinstance(item, list):
            for index, child in enumerate(item):
                collect(child, path + [index])

    collect(value, [])
    replacements = [None, 7, -1, "text", [], {}, [None], {"class_name": 3}, 1e300]
    for index in rng.choice(len(paths), size=100, replace=False):
        path = paths[index]
        if not path:
            continue
        copy = json.loads(json.dumps(value))
        target = copy
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = replacements[rng.integers(len(replacements))]
        yield copy


def test_malformed_configs_raise_value_errors(tmp_path):
    with zipfile.ZipFile(FIXTURES / "wide_and_deep.keras") as archive:
        config = json.loads(archive.read("config.json"))
    rng = np.random.default_rng(8)
    for mutated in _mutations(config, rng):
        path = _archive_with(tmp_path, {"config.json": json.dumps(mutated)})
        try:
            keras_files.read_keras_file(path)
        except ValueError:
            pass


def _keras2_h5(path, optimizer_weights):
    """A legacy file in Keras 2's dialect: batch_input_shape on the first layer, ':0' weight names."""
    config = {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
        {"class_name": "Dense", "config": {"name": "dense", "units": 3, "activation": "relu",
                                           "batch_input_shape": [None, 2], "use_bias": True}},
        {"class_name": "LeakyReLU", "config": {"name": "leaky", "alpha": 0.1}}]}}
    training = {"loss": "mse", "metrics": None, "optimizer_config": {"class_name": "Adam",
                                                                     "config": {"learning_rate": 0.001}}}
    kernel = np.arange(6, dtype=np.float32).reshape(2, 3) - 2
    with h5py.File(path, "w") as h5:
        h5.attrs["model_config"] = json.dumps(config)
        h5.attrs["training_config"] = json.dumps(training)
        h5.attrs["keras_version"] = "2.13.1"
        weights = h5.create_group("model_weights")
        layer = weights.create_group("dense")
        layer.attrs["weight_names"] = [b"dense/kernel:0", b"dense/bias:0"]
        layer["dense/bias:0"] = np.asarray([0.5, -0.5, 0.0], np.float32)
        layer["dense/kernel:0"] = kernel
        weights.create_group("leaky").attrs["weight_names"] = []
        if optimizer_weights:
            group = h5.create_group("optimizer_weights")
            group.attrs["weight_names"] = [b"Adam/iter:0"]
            group["Adam/iter:0"] = np.asarray(3, np.int64)
    return kernel


def test_keras2_h5_dialect(tmp_path):
    path = tmp_path / "keras2.h5"
    kernel = _keras2_h5(path, optimizer_weights=True)
    with pytest.warns(UserWarning, match="Keras 2.13.1.*starts afresh"):
        graph = keras_files.read_keras_file(path)
    assert [node.class_name for node in graph.layers] == ["InputLayer", "Dense", "LeakyReLU"]
    assert graph.layer("leaky").config["negative_slope"] == 0.1
    assert graph.compile.optimizer.class_name == "Adam" and graph.compile.optimizer.variables == {}
    x = np.asarray([[1.0, 2.0], [-1.0, 0.5]])
    z = x @ kernel + [0.5, -0.5, 0.0]
    expected = np.maximum(z, 0.0)  # relu, then LeakyReLU changes nothing (already >= 0)
    np.testing.assert_allclose(executor.predict(graph, x), expected, rtol=1e-12)


def test_a_file_that_crashes_hdf5_costs_an_exception_not_the_process(tmp_path):
    # These overwritten bytes made h5py 3.16 die with a segmentation fault inside an attribute read
    # (found by fuzzing); the reader probes legacy files in a forked child first.
    rng = np.random.default_rng(1284)
    data = bytearray((FIXTURES / "compiled_adam.h5").read_bytes())
    for position in rng.integers(0, len(data), int(rng.integers(1, 20))):
        data[position] = int(rng.integers(0, 256))
    path = tmp_path / "crashes_hdf5.h5"
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="damaged"):
        keras_files.read_keras_file(path)
