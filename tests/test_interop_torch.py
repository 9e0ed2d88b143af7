"""torch nn.Sequential into fastmlp (fastmlp.models.from_torch): the fastmlp model, its ONNX export and
(when installed) Keras on its .keras file reproduce what the module computes in eval mode; modules
without a counterpart are named."""

import numpy as np
import pytest
from conftest import assert_close

torch = pytest.importorskip("torch")
nn = torch.nn

import fastmlp  # noqa: E402
from fastmlp._interop import from_torch  # noqa: E402
from fastmlp._interop.errors import UnsupportedLayerError  # noqa: E402

TOL = 1e-5


def _every_module():
    """A module of every kind from_torch reads."""
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Flatten(), nn.Linear(8, 10), nn.ReLU(), nn.BatchNorm1d(10), nn.Linear(10, 9), nn.LeakyReLU(0.1),
        nn.LayerNorm(9), nn.Linear(9, 8), nn.ELU(0.5), nn.Dropout(0.2), nn.Linear(8, 8), nn.GELU(approximate="tanh"),
        nn.Linear(8, 8), nn.GELU(), nn.PReLU(8),
        nn.Sequential(nn.Linear(8, 7), nn.SELU(), nn.Linear(7, 7), nn.SiLU()),
        nn.Linear(7, 6), nn.Softplus(), nn.Linear(6, 6), nn.Softsign(), nn.PReLU(), nn.Identity(), nn.Linear(6, 6),
        nn.Mish(), nn.Hardswish(), nn.Hardsigmoid(), nn.Linear(6, 6, bias=False), nn.ReLU6(), nn.LogSigmoid(),
        nn.Tanhshrink(), nn.CELU(0.5), nn.Softshrink(0.3), nn.Hardshrink(0.1), nn.Hardtanh(), nn.LogSoftmax(dim=1),
        nn.LayerNorm(6, elementwise_affine=False),
        nn.BatchNorm1d(6, affine=False), nn.Linear(6, 5), nn.Sigmoid(), nn.Linear(5, 5), nn.Tanh(), nn.Linear(5, 4),
        nn.Softmax(dim=-1))
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm1d):  # statistics a few batches would have left
                module.running_mean.uniform_(-1, 1)
                module.running_var.uniform_(0.5, 2)
                if module.affine:
                    module.weight.uniform_(0.5, 1.5)
                    module.bias.uniform_(-1, 1)
    return model.eval()


def test_every_supported_module_matches_torch():
    model = _every_module()
    x = torch.randn(16, 4, 2, generator=torch.Generator().manual_seed(1)) * 2
    graph = from_torch.graph_from_torch(model, input_shape=(4, 2))
    with torch.no_grad():
        expected = model(x).numpy()
    with pytest.warns(UserWarning, match="p_re_lu_1': PReLU shares its slope"):  # torch's nn.PReLU()
        ours = fastmlp.models.from_torch(model, input_shape=(4, 2))
    assert isinstance(ours, fastmlp.Sequential)
    assert_close("torch vs fastmlp", ours.predict(x.numpy(), verbose=0), expected, TOL, TOL)
    dense = graph.layer("dense")
    np.testing.assert_array_equal(dense.weights["kernel"], model[1].weight.detach().numpy().T)  # (in, out)
    np.testing.assert_array_equal(ours.get_layer("dense").get_weights()[0], dense.weights["kernel"])
    kinds = [node.class_name for node in graph.layers]
    assert kinds[:4] == ["InputLayer", "Flatten", "Dense", "Activation"]
    assert {"BatchNormalization", "LayerNormalization", "PReLU", "LeakyReLU", "ELU", "Dropout", "Identity",
            "Softmax"} <= set(kinds)
    bn = graph.layer("batch_normalization")
    assert bn.config["momentum"] == pytest.approx(0.9) and bn.config["epsilon"] == pytest.approx(1e-5)


def test_imported_torch_model_trains_on():
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1)).eval()
    ours = fastmlp.models.from_torch(model)
    ours.compile(optimizer="sgd", loss="mse")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype(np.float32)
    y = x[:, :1] - x[:, 1:2]
    before = ours.evaluate(x, y, verbose=0)
    ours.fit(x, y, epochs=20, verbose=0)
    assert ours.evaluate(x, y, verbose=0) < before


def test_torch_model_exports_to_onnx(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    model = _every_module()
    x = np.random.default_rng(0).normal(size=(5, 4, 2)).astype(np.float32)
    path = tmp_path / "from_torch.onnx"
    with pytest.warns(UserWarning, match="shares its slope"):
        fastmlp.models.from_torch(model, input_shape=(4, 2)).export(path, format="onnx")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    with torch.no_grad():
        expected = model(torch.from_numpy(x)).numpy()
    assert_close("torch vs ONNX Runtime", session.run(None, {"input_layer": x})[0], expected, TOL, TOL)


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")
def test_torch_model_written_as_keras_file(tmp_path):
    from interop_fixtures import import_keras
    keras = import_keras()
    pytest.importorskip("h5py")
    model = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.BatchNorm1d(8), nn.Linear(8, 6), nn.LeakyReLU(0.05),
                          nn.LayerNorm(6), nn.Linear(6, 4), nn.ELU(0.3), nn.PReLU(4), nn.Linear(4, 3),
                          nn.Softmax(dim=1)).eval()
    fastmlp.models.from_torch(model).save(tmp_path / "from_torch.keras")
    loaded = keras.saving.load_model(tmp_path / "from_torch.keras")
    x = np.random.default_rng(1).normal(size=(6, 5)).astype(np.float32)
    with torch.no_grad():
        expected = model(torch.from_numpy(x)).numpy()
    assert_close("torch vs Keras", loaded.predict(x, verbose=0), expected, TOL, TOL)


@pytest.mark.parametrize("module,match", [
    (nn.Conv1d(1, 1, 3), "'Conv1d'"),
    (nn.Softplus(beta=2.0), "beta=2"),
    (nn.Softmax(dim=0), "dim=0"),
    (nn.BatchNorm1d(4, track_running_stats=False), "running statistics"),
    (nn.LSTM(4, 4), "'LSTM'"),
    (nn.Hardtanh(-2, 2), "'Hardtanh'"),
])
def test_unsupported_modules_are_named(module, match):
    with pytest.raises(UnsupportedLayerError, match=match):
        from_torch.graph_from_torch(nn.Sequential(nn.Linear(4, 4), module))


def test_sizes_and_shapes_are_checked():
    with pytest.raises(ValueError, match="Linear expects 5 features, its input has 4"):
        from_torch.graph_from_torch(nn.Sequential(nn.Linear(4, 4), nn.Linear(5, 2)))
    with pytest.raises(ValueError, match="give input_shape"):
        from_torch.graph_from_torch(nn.Sequential(nn.Flatten(), nn.Linear(4, 2)))
    with pytest.raises(ValueError, match="flatten it first"):
        from_torch.graph_from_torch(nn.Sequential(nn.Linear(4, 2)), input_shape=(3, 4))
    with pytest.raises(UnsupportedLayerError, match="start_dim=1"):
        from_torch.graph_from_torch(nn.Sequential(nn.Flatten(0), nn.Linear(4, 2)), input_shape=(4,))
