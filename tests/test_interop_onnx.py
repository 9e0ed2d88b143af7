"""ONNX export (model.export(path, format="onnx")): ONNX Runtime on the exported model against Keras's
outputs for every fixture and against fastmlp's own predictions for every activation fastmlp has (with
its parameters) and every layer option; and skl2onnx converting pipelines that hold fastmlp.sklearn's
MLPs."""

import warnings

import numpy as np
import pytest
from conftest import assert_close
from interop_fixtures import ATOL, FIXTURES, MODELS, RTOL, keras_data, model_inputs

import fastmlp
import fastmlp.sklearn

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
pytest.importorskip("h5py")

from fastmlp._interop import fastmlp_models, keras_files, layer_catalog, onnx_export  # noqa: E402
from fastmlp._interop.graph import LayerNode, ModelGraph, TensorRef, sequential  # noqa: E402


def run_onnx(model, inputs):
    """ONNX Runtime's outputs, the inputs given in the type the model declares (float or double)."""
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    feed = {meta.name: np.asarray(x, np.float64 if meta.type == "tensor(double)" else np.float32)
            for meta, x in zip(session.get_inputs(), inputs)}
    return session.run(None, feed)


@pytest.mark.parametrize("opset", [14, 17, 21])
@pytest.mark.parametrize("name", [name for name in MODELS if name != "activations"])  # some fastmlp lacks
def test_fixtures_exported_run_in_onnx_runtime_as_keras_predicted(tmp_path, name, opset):
    inputs, keras_outputs = keras_data(name)
    model = fastmlp.models.load_model(FIXTURES / f"{name}.keras")
    model.export(tmp_path / "m.onnx", format="onnx", opset_version=opset)
    exported = onnx.load(tmp_path / "m.onnx")
    assert exported.opset_import[0].version == opset
    assert_close(f"{name} opset {opset}: ONNX Runtime vs Keras", run_onnx(exported, inputs), keras_outputs, RTOL, ATOL)
    predicted = model.predict(model_inputs(inputs), verbose=0)
    predicted = list(predicted.values()) if isinstance(predicted, dict) else predicted
    assert_close(f"{name}: ONNX Runtime vs fastmlp", run_onnx(exported, inputs), predicted, RTOL, ATOL)


def test_export_refuses_other_formats(tmp_path):
    model = fastmlp.models.load_model(FIXTURES / "functional_mlp.keras")
    with pytest.raises(ValueError, match="format='onnx' only"):
        model.export(tmp_path / "m", format="tf_saved_model")
    assert not (tmp_path / "m").exists()


def test_names_and_dynamic_batch():
    graph = keras_files.read_keras_file(FIXTURES / "merges.keras")
    model = onnx_export.to_onnx(graph)
    assert [i.name for i in model.graph.input] == ["a", "b"]
    assert [o.name for o in model.graph.output] == ["out", "diff"]
    assert model.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    assert model.opset_import[0].version == onnx_export.DEFAULT_OPSET
    inputs, _ = keras_data("merges")
    one_row = run_onnx(model, [x[:1] for x in inputs])
    assert one_row[0].shape == (1, 3)


def _one_layer(class_name, width=6, weights=None, input_shape=None, **config):
    shape = input_shape or (width,)
    layers = [("InputLayer", layer_catalog.make_config("InputLayer", "x", batch_shape=[None, *shape]), {}),
              (class_name, layer_catalog.make_config(class_name, "layer", **config), weights or {})]
    return sequential(layers)


def _fastmlp_activations():
    return sorted(entry["class_name"] for entry in fastmlp._core.registries["activation"].entries())


def test_the_exporter_covers_exactly_fastmlp_activations():
    assert sorted({*onnx_export._ACTIVATIONS, *onnx_export._ALONG_AXIS}) == _fastmlp_activations()


# Every activation fastmlp has, with default and non-default parameters.
PARAMETERISED = [(name, {}) for name in _fastmlp_activations()] + [
    ("relu", {"negative_slope": 0.1}), ("relu", {"max_value": 1.5}), ("relu", {"threshold": 0.4}),
    ("relu", {"negative_slope": 0.2, "max_value": 2.0, "threshold": -0.3}), ("leaky_relu", {"negative_slope": 0.03}),
    ("elu", {"alpha": 0.4}), ("gelu", {"approximate": True}), ("softmax", {"axis": 1}), ("celu", {"alpha": 2.0}),
    ("squareplus", {"b": 0.5}), ("soft_shrink", {"threshold": 1.0}), ("hard_shrink", {"threshold": 0.2}),
    ("log_softmax", {"axis": 1}), ("glu", {"axis": 1})]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,parameters", PARAMETERISED, ids=lambda v: str(v))
def test_every_activation(tmp_path, name, parameters, dtype):
    # In double too: ONNX Runtime lacks double kernels for several operators (Elu, Softplus, Erf, ...), so
    # a float64 model's file wrote them out; before, 10 activations gave files it could not run.
    rng = np.random.default_rng(5)
    x = rng.normal(0.0, 2.0, (40, 6)).astype(dtype)
    x[:, 0] = np.linspace(-6, 6, 40)  # through every kink and plateau
    x[:3, 1] = [-60.0, 60.0, 0.0]  # far out, where exp overflows unless the formula avoids it
    for layer in (fastmlp.layers.Activation({"class_name": name, "config": parameters}, dtype=dtype),
                  fastmlp.layers.Dense(4, activation={"class_name": name, "config": parameters}, dtype=dtype)):
        model = fastmlp.Sequential([fastmlp.Input((6,), dtype=dtype), layer])  # Dense(4): glu halves an even width
        model.export(tmp_path / "a.onnx")
        exported = onnx.load(tmp_path / "a.onnx")
        assert exported.graph.input[0].type.tensor_type.elem_type == (11 if dtype == "float64" else 1)
        got = run_onnx(exported, [x])[0]
        assert got.dtype == dtype
        assert_close(f"{name}{parameters} {dtype}", got, model.predict(x, verbose=0), RTOL, ATOL)


LAYER_CASES = {
    "Dense no bias": lambda r: _one_layer("Dense", units=4, use_bias=False, activation="tanh",
                                          weights={"kernel": r.normal(size=(6, 4))}),
    "BatchNormalization": lambda r: _one_layer("BatchNormalization", epsilon=0.01, weights={
        "gamma": r.uniform(0.5, 2, 6), "beta": r.normal(size=6), "moving_mean": r.normal(size=6),
        "moving_variance": r.uniform(0.2, 3, 6)}),
    "BatchNormalization plain": lambda r: _one_layer("BatchNormalization", center=False, scale=False, weights={
        "moving_mean": r.normal(size=6), "moving_variance": r.uniform(0.2, 3, 6)}),
    "LayerNormalization": lambda r: _one_layer("LayerNormalization", epsilon=1e-5, weights={
        "gamma": r.uniform(0.5, 2, 6), "beta": r.normal(size=6)}),
    "LayerNormalization rms": lambda r: _one_layer("LayerNormalization", rms_scaling=True, weights={
        "gamma": r.uniform(0.5, 2, 6)}),
    "Normalization": lambda r: _one_layer("Normalization", mean=list(r.normal(size=6)),
                                          variance=list(r.uniform(0.1, 2, 6))),
    "Normalization invert": lambda r: _one_layer("Normalization", invert=True, weights={
        "mean": r.normal(size=6), "variance": r.uniform(0.1, 2, 6), "count": np.asarray(5)}),
    "Normalization zero variance": lambda r: _one_layer("Normalization", mean=[1.0] * 6, variance=[0.0] * 6),
    "PReLU": lambda r: _one_layer("PReLU", weights={"alpha": r.uniform(0, 0.5, 6)}),
    "PReLU shared": lambda r: _one_layer("PReLU", shared_axes=[1], weights={"alpha": np.asarray([0.3])}),
    "Flatten": lambda r: _one_layer("Flatten", input_shape=(3, 2)),
    "ReLU": lambda r: _one_layer("ReLU", max_value=1.0, negative_slope=0.05, threshold=0.1),
    "LeakyReLU": lambda r: _one_layer("LeakyReLU"),
    "ELU": lambda r: _one_layer("ELU", alpha=0.3),
    "Softmax": lambda r: _one_layer("Softmax"),
    "Dropout": lambda r: _one_layer("Dropout", rate=0.5),
    "GaussianNoise": lambda r: _one_layer("GaussianNoise", stddev=1.0),
    "Identity": lambda r: _one_layer("Identity"),
}


@pytest.mark.parametrize("case", sorted(LAYER_CASES))
def test_every_layer_option(tmp_path, case):
    # Each option as a Keras file may hold it, made a fastmlp model, exported and run.
    rng = np.random.default_rng(11)
    graph = LAYER_CASES[case](rng)
    for node in graph.layers:
        node.weights = {k: np.asarray(v, np.int64 if k == "count" else np.float32) for k, v in node.weights.items()}
    shape = graph.layers[0].config["batch_shape"][1:]
    x = rng.normal(size=(9, *shape)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the shared PReLU slope's notice
        model = fastmlp_models.model_from_graph(graph)
    model.export(tmp_path / "m.onnx")
    assert_close(case, run_onnx(onnx.load(tmp_path / "m.onnx"), [x])[0], model.predict(x, verbose=0), RTOL, ATOL)
    graph.layers[0].config["dtype"] = "float64"  # the same layer in double, as a float64 Keras file holds it
    for node in graph.layers:
        node.weights = {k: (v if k == "count" else np.asarray(v, np.float64)) for k, v in node.weights.items()}
        node.config["dtype"] = "float64"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = fastmlp_models.model_from_graph(graph)
    assert model.dtype == "float64"
    model.export(tmp_path / "m64.onnx")
    assert_close(f"{case} float64", run_onnx(onnx.load(tmp_path / "m64.onnx"), [x])[0],
                 model.predict(x.astype(np.float64), verbose=0), RTOL, ATOL)


def test_layers_by_hand():
    # Keras's definitions at a few points, independent of fastmlp's and ONNX Runtime's code.
    x = np.asarray([[1.0, -2.0], [3.0, 0.5]], np.float32)
    bn = _one_layer("BatchNormalization", width=2, epsilon=1e-9, weights={
        "gamma": [2.0, 1.0], "beta": [0.0, 1.0], "moving_mean": [1.0, 0.0], "moving_variance": [4.0, 1.0]})
    norm = _one_layer("Normalization", width=2, mean=[1.0, 0.0], variance=[4.0, 0.0])
    prelu = _one_layer("PReLU", width=2, weights={"alpha": [0.5, 0.25]})
    ln = _one_layer("LayerNormalization", width=2, epsilon=1e-9, weights={"gamma": [1.0, 1.0], "beta": [0.0, 0.0]})
    cases = [(bn, [[0.0, -1.0], [2.0, 1.5]]), (norm, [[0.0, -2e7], [1.0, 0.5e7]]),  # max(std, 1e-7)
             (prelu, [[1.0, -0.5], [3.0, 0.5]]), (ln, [[1.0, -1.0], [1.0, -1.0]])]
    for graph, expected in cases:
        for node in graph.layers:
            node.weights = {k: np.asarray(v, np.float32) for k, v in node.weights.items()}
        np.testing.assert_allclose(run_onnx(onnx_export.to_onnx(graph), [x])[0], expected, rtol=1e-6)
        np.testing.assert_allclose(fastmlp_models.model_from_graph(graph).predict(x, verbose=0), expected, rtol=1e-6)


def test_merge_layers():
    rng = np.random.default_rng(2)
    nodes = [LayerNode("InputLayer", layer_catalog.make_config("InputLayer", name, batch_shape=[None, 4]))
             for name in ("a", "b", "c")]
    refs = [TensorRef(name) for name in ("a", "b", "c")]
    merges = ["Add", "Multiply", "Average", "Maximum", "Minimum", "Concatenate"]
    for kind in merges:
        nodes.append(LayerNode(kind, layer_catalog.make_config(kind, kind.lower()), refs))
    nodes.append(LayerNode("Subtract", layer_catalog.make_config("Subtract", "subtract"), refs[:2]))
    outputs = [TensorRef(kind.lower()) for kind in merges + ["Subtract"]]
    graph = ModelGraph(nodes, refs, outputs).validate()
    xs = [rng.normal(size=(5, 4)).astype(np.float32) for _ in refs]
    expected = [xs[0] + xs[1] + xs[2], xs[0] * xs[1] * xs[2], (xs[0] + xs[1] + xs[2]) / 3,
                np.maximum(np.maximum(xs[0], xs[1]), xs[2]), np.minimum(np.minimum(xs[0], xs[1]), xs[2]),
                np.concatenate(xs, axis=1), xs[0] - xs[1]]
    assert_close("fastmlp merges", fastmlp_models.model_from_graph(graph).predict(xs, verbose=0), expected, RTOL, ATOL)
    assert_close("ONNX merges", run_onnx(onnx_export.to_onnx(graph), xs), expected, RTOL, ATOL)
    for node in graph.layers:
        node.config["dtype"] = "float64"
    assert graph.dtype == "float64"  # ONNX Runtime has no double Mean: Average is a Sum and a Div there
    assert_close("ONNX merges in double", run_onnx(onnx_export.to_onnx(graph), xs), expected, RTOL, ATOL)


def test_an_output_named_by_an_empty_key_gets_a_name(tmp_path):
    # ONNX reads "" as "no tensor": it was an onnx.checker.ValidationError.
    inputs = fastmlp.Input((3,), name="x")
    model = fastmlp.Model(inputs, {"": fastmlp.layers.Dense(2)(inputs), "b": fastmlp.layers.Dense(1)(inputs)})
    model.export(tmp_path / "m.onnx")
    exported = onnx.load(tmp_path / "m.onnx")
    names = [output.name for output in exported.graph.output]
    assert "" not in names and "b" in names and len(set(names)) == 2
    x = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    expected = model.predict(x, verbose=0)
    got = dict(zip(names, run_onnx(exported, [x])))
    assert_close("output ''", got[names[0]], expected[""], RTOL, ATOL)
    assert_close("output 'b'", got["b"], expected["b"], RTOL, ATOL)


def test_opset_below_14_is_refused():
    graph = _one_layer("Activation", activation="relu")
    with pytest.raises(ValueError, match="opset must be 14"):
        onnx_export.to_onnx(graph, opset=12)


def test_save_onnx_writes_a_loadable_file(tmp_path):
    graph = keras_files.read_keras_file(FIXTURES / "wide_and_deep.keras")
    onnx_export.save_onnx(graph, tmp_path / "m.onnx")
    model = onnx.load(tmp_path / "m.onnx")
    onnx.checker.check_model(model)
    inputs, expected = keras_data("wide_and_deep")
    assert_close("saved ONNX", run_onnx(model, inputs), expected, RTOL, ATOL)


# ---- skl2onnx --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def registered():
    pytest.importorskip("skl2onnx")
    fastmlp.sklearn.register_skl2onnx_converters()


def _digits():
    from sklearn.datasets import load_digits
    x, y = load_digits(return_X_y=True)
    return x[:300].astype(np.float32), y[:300]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("task", ["multiclass", "binary strings", "multilabel", "regression", "two targets"])
def test_skl2onnx_converts_a_pipeline_with_fastmlp_estimators(registered, task):
    from skl2onnx import to_onnx
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from fastmlp.sklearn import MLPClassifier, MLPRegressor
    x, y = _digits()
    targets = {"multiclass": y, "binary strings": np.where(y % 2, "odd", "even"),
               "multilabel": np.stack([y % 2, y > 4, y == 3], axis=1), "regression": x[:, 10] - x[:, 20],
               "two targets": x[:, [10, 20]]}[task]
    estimator = (MLPRegressor if task in ("regression", "two targets") else MLPClassifier)(
        hidden_layer_sizes=(12, 8), activation="tanh", max_iter=20, random_state=0)
    pipeline = make_pipeline(StandardScaler(), estimator).fit(x, targets)
    options = {id(estimator): {"zipmap": False}} if hasattr(estimator, "predict_proba") else None
    outputs = run_onnx(to_onnx(pipeline, x[:1], options=options), [x])
    if hasattr(estimator, "predict_proba"):
        np.testing.assert_array_equal(outputs[0], pipeline.predict(x))
        assert_close(f"{task} probabilities", outputs[1], pipeline.predict_proba(x), RTOL, ATOL)
    else:
        assert_close(f"{task} predictions", outputs[0], pipeline.predict(x).reshape(len(x), -1), RTOL, ATOL)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_skl2onnx_zipmap_output(registered):
    from skl2onnx import to_onnx

    from fastmlp.sklearn import MLPClassifier
    x, y = _digits()
    estimator = MLPClassifier(hidden_layer_sizes=(10,), max_iter=10, random_state=0).fit(x, y)
    labels, maps = run_onnx(to_onnx(estimator, x[:1]), [x[:20]])
    probabilities = np.asarray([[row[c] for c in estimator.classes_] for row in maps])
    np.testing.assert_array_equal(labels, estimator.predict(x[:20]))
    assert_close("zipmap probabilities", probabilities, estimator.predict_proba(x[:20]), RTOL, ATOL)


# Users' traced layers export as the ONNX operators of their graph's primitives (tests/test_custom_code.py).
NOT_EXPORTED = {"TracedLayer"}


def test_every_fastmlp_layer_is_one_the_exporters_know():
    fastmlp_layers = {entry["class_name"] for entry in fastmlp._core.registries["layer"].entries()}
    assert fastmlp_layers - NOT_EXPORTED <= layer_catalog.SUPPORTED


def test_a_model_of_every_fastmlp_layer_exports(tmp_path):
    layers = fastmlp.layers
    a, b = fastmlp.Input((4, 2), name="a"), fastmlp.Input((5,), name="b")
    h = layers.Normalization(mean=[0.5] * 8, variance=[2.0] * 8)(layers.Flatten()(a))
    h = layers.AlphaDropout(0.1)(layers.Dropout(0.2)(layers.GaussianNoise(0.3)(layers.Dense(5)(h))))
    h = layers.PReLU()(layers.LayerNormalization()(layers.BatchNormalization()(h)))
    h = layers.Activation("tanh")(h)
    h = layers.GaussianDropout(0.1)(layers.Identity()(layers.ActivityRegularization(l2=1e-3)(h)))
    h = layers.UnitNormalization()(layers.Rescaling(2.0, offset=0.1)(h))
    h = layers.ELU(alpha=0.5)(layers.LeakyReLU(0.2)(layers.ReLU(max_value=0.4, negative_slope=0.1)(h)))
    merged = [m()([h, b]) for m in (layers.Add, layers.Subtract, layers.Multiply, layers.Average, layers.Maximum,
                                    layers.Minimum, layers.Concatenate)]
    out = layers.Softmax()(layers.Dense(3)(layers.Concatenate()(merged)))
    model = fastmlp.Model([a, b], out)
    fastmlp_layers = {entry["class_name"] for entry in fastmlp._core.registries["layer"].entries()}
    assert {type(layer).__name__ for layer in model.layers} - {"InputLayer"} == fastmlp_layers - NOT_EXPORTED
    rng = np.random.default_rng(9)
    model.compile("adam", "categorical_crossentropy")  # trained a little, so that the statistics are not 0 and 1
    model.fit([rng.normal(size=(32, 4, 2)), rng.normal(size=(32, 5))], np.eye(3)[rng.integers(0, 3, 32)], verbose=0)
    x = [rng.normal(size=(7, 4, 2)).astype(np.float32), rng.normal(size=(7, 5)).astype(np.float32)]
    model.export(tmp_path / "every.onnx")
    assert_close("every fastmlp layer", run_onnx(onnx.load(tmp_path / "every.onnx"), x)[0], model.predict(x, verbose=0),
                 RTOL, ATOL)
