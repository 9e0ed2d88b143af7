"""Reading Keras files: fastmlp.models.load_model makes every fixture a fastmlp model that predicts what
Keras predicted, compile state comes back, and broken or foreign files give ModelFileError (never a crash)."""

import io
import json
import os
import zipfile

import numpy as np
import pytest
from conftest import assert_close, sparsemax_reference
from interop_fixtures import ATOL, FIXTURES, RTOL, as_list, fixture_files, keras_data, model_inputs

import fastmlp

h5py = pytest.importorskip("h5py")

from fastmlp._interop import keras_archive, keras_files  # noqa: E402
from fastmlp._interop.errors import UnsupportedLayerError  # noqa: E402
from fastmlp.saving import ModelFileError  # noqa: E402

load_model = fastmlp.models.load_model
# The fixture of every Keras activation holds some that fastmlp lacks (tested apart, below).
LOADABLE = [(name, path) for name, path in fixture_files() if name != "activations"]


@pytest.mark.parametrize("name,path", LOADABLE, ids=lambda v: getattr(v, "name", v))
def test_load_model_reproduces_keras_predictions(name, path):
    model = load_model(path)
    graph = keras_files.read_keras_file(path)
    assert type(model) is (fastmlp.Sequential if graph.kind == "Sequential" else fastmlp.Model)
    assert [layer.name for layer in model.layers] == [n.name for n in graph.layers if n.class_name != "InputLayer"] \
        or graph.kind == "Functional"
    inputs, expected = keras_data(name)
    assert_close(f"{path.name}: fastmlp vs Keras", as_list(model.predict(model_inputs(inputs), verbose=0)), expected,
                 RTOL, ATOL)


def test_every_activation_predicts_as_keras():
    # The fixture concatenates one branch per Keras activation (in make_fixtures.py's order), then
    # ReLU, LeakyReLU, ELU and Softmax layers and a gelu Dense; glu's branch has half the columns.
    from fastmlp._interop import shapes
    graph = keras_files.read_keras_file(FIXTURES / "activations.keras")
    widths = {name: shape[-1] for name, shape in shapes.infer_shapes(graph).items()}
    offsets, start = {}, 0
    for ref in graph.layers[-1].inbound:
        offsets[ref.layer] = start
        start += widths[ref.layer]
    assert widths["act_glu"] == 4 and start == 279
    model = load_model(FIXTURES / "activations.keras")
    inputs, expected = keras_data("activations")
    predicted, wanted = model.predict(inputs[0], verbose=0), expected[0].copy()
    assert predicted.shape == wanted.shape == (len(inputs[0]), 279)
    # Keras 3.15's sparsemax takes its threshold from the sum of the cumulative sums over the support
    # (keras-team/keras#23425, fixed upstream by #23469), so its rows only sum to 1 where the support
    # is one logit. fastmlp follows the definition: it must give Keras's rows where Keras is right, and
    # the definition (from Keras's own pre-activation, the linear branch's columns) everywhere.
    first, linear = offsets["act_sparsemax"], offsets["act_linear"]
    ours, keras_rows = predicted[:, first:first + 8], wanted[:, first:first + 8]
    right = np.isclose(keras_rows.sum(axis=1), 1.0)
    assert 0 < right.sum() < len(right)  # the fixture has rows of both kinds
    assert_close("sparsemax where Keras is right", ours[right], keras_rows[right], RTOL, ATOL)
    wanted[:, first:first + 8] = sparsemax_reference(expected[0][:, linear:linear + 8].astype(np.float64))
    np.testing.assert_allclose(ours.sum(axis=1), 1.0, rtol=1e-5)
    assert_close("fastmlp's activations vs Keras", predicted, wanted, RTOL, ATOL)



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
    outputs = load_model(FIXTURES / "merges.keras").predict({"a": inputs[0], "b": inputs[1]}, verbose=0)
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
        load_model(FIXTURES / f"unsupported{suffix}")
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
        load_model(path)
    print(case, "->", caught.value)


@pytest.mark.parametrize("size", [0, 10, 1000, 20000])
def test_truncated_files_raise_model_file_error(tmp_path, size):
    for name in ("functional_mlp.keras", "sequential.h5"):
        path = tmp_path / name
        path.write_bytes((FIXTURES / name).read_bytes()[:size])
        with pytest.raises(ModelFileError):
            load_model(path)


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
    with pytest.raises(ModelFileError, match="not a fastmlp model file"):  # neither zip nor HDF5 nor fastmlp's
        load_model(text)


def test_weights_only_h5_is_refused(tmp_path):
    path = tmp_path / "weights.h5"
    with h5py.File(path, "w") as h5:
        h5.create_group("dense").create_dataset("kernel", data=np.zeros((2, 2)))
    with pytest.raises(ModelFileError, match="no model config"):
        load_model(path)


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
            load_model(path)
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
            load_model(path)
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
    with pytest.warns(UserWarning, match="starts afresh"):
        model = load_model(path)
    assert model.optimizer.iterations == 0 and model.loss == "mse"
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-6)


@pytest.mark.skipif(bool(os.environ.get("FASTMLP_UNDER_SANITIZERS")),
                    reason="the crash it provokes (in a child) is HDF5's, which ASan reports as a finding by design")
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
        load_model(path)


def test_a_probe_child_that_exits_instead_of_dying_still_marks_the_file_damaged(tmp_path, monkeypatch):
    # A crash caught by a handler that exits (AddressSanitizer's reports and exits 1) is no signal.
    from fastmlp._interop import hdf5_probe

    monkeypatch.setattr(hdf5_probe, "_walk", lambda source, path: os._exit(3))
    path = tmp_path / "model.h5"
    path.write_bytes((FIXTURES / "compiled_adam.h5").read_bytes())
    with pytest.raises(ModelFileError, match="exited with status 3"):
        hdf5_probe.probe(str(path), path)


# ---- compile state into a fastmlp model ----------------------------------------------------------------
COMPILED = ["compiled_adam.keras", "compiled_adam.h5", "compiled_rmsprop.keras"]


def assert_slots_hold(model, variables):
    """Every slot of the fastmlp optimizer holds the Keras variable of the same name."""
    core = model._core
    names = core.optimizer.slot_names
    assert names
    for index, (layer_index, weight) in enumerate(core.optimizer_parameters):
        for slot, array in zip(names, core.optimizer.slots(index)):
            expected = variables[f"{core.layers[layer_index].name}_{weight}_{slot}"]
            np.testing.assert_array_equal(np.asarray(array).ravel(), np.asarray(expected).ravel())


@pytest.mark.parametrize("file", COMPILED)
def test_compile_state_comes_into_fastmlp(file):
    model = load_model(FIXTURES / file)
    state = keras_files.read_keras_file(FIXTURES / file).compile.optimizer
    assert type(model.optimizer).__name__ == state.class_name
    assert model.optimizer.learning_rate == pytest.approx(0.01)
    assert model.optimizer.iterations == 4
    assert model.loss == "categorical_crossentropy"
    assert [getattr(metric, "name", metric) for metric in model.compiled_metrics] == ["accuracy"]
    assert_slots_hold(model, state.variables)
    assert load_model(FIXTURES / file, compile=False).optimizer is None


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")
@pytest.mark.parametrize("file", [file for file in COMPILED if file.endswith(".keras")])  # Keras 3.15 cannot
def test_fit_continues_where_keras_stopped(file):  # fit a legacy .h5 with its optimizer ("Unknown variable")
    from interop_fixtures import import_keras
    keras = import_keras()
    rng = np.random.default_rng(4)
    x = rng.normal(size=(16, 4)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 16)]
    ours, theirs = load_model(FIXTURES / file), keras.saving.load_model(FIXTURES / file)
    ours.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    theirs.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    assert ours.optimizer.iterations == int(theirs.optimizer.iterations) == 8
    assert_close(f"{file}: weights after fastmlp's and Keras's fit", ours.get_weights(),
                 [np.asarray(w) for w in theirs.get_weights()], RTOL, ATOL)


def test_optimizer_state_that_does_not_fit_is_refused():
    from fastmlp._interop import fastmlp_models
    graph = keras_files.read_keras_file(FIXTURES / "compiled_adam.keras")
    dense = graph.layers[1].name
    del graph.compile.optimizer.variables[f"{dense}_bias_velocity"]
    with pytest.raises(ModelFileError, match=f"lacks \\['{dense}_bias_velocity'\\]"):
        fastmlp_models.model_from_graph(graph)
    for key in [key for key in graph.compile.optimizer.variables if key.startswith(dense)]:
        graph.compile.optimizer.variables[key.replace(dense, "elsewhere")] = graph.compile.optimizer.variables.pop(key)
    with pytest.raises(ModelFileError, match="does not fit the model's trainable weights"):
        fastmlp_models.model_from_graph(graph)
