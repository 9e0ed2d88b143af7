"""Model files from Python: save/load round trips (bit-exact weights, same predictions, the compile
state, training that continues exactly as without the round trip) and the refusal of damaged files."""

import pathlib
import re
import struct
import zlib

import numpy as np
import pytest

import fastmlp as fm

DOC = pathlib.Path(__file__).resolve().parent.parent / "docs" / "model-format.md"


def make_model(optimizer="adam", seed=0):
    fm.utils.set_random_seed(seed)
    model = fm.Sequential([fm.layers.Input((5,)),
                           fm.layers.Dense(7, activation="tanh", name="hidden"),
                           fm.layers.Dense(4, activation="leaky_relu", use_bias=False),
                           fm.layers.Dense(3, activation="softmax", name="probabilities")], name="classifier")
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    return model


@pytest.fixture
def data():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(60, 5)).astype(np.float32)
    y = fm.utils.to_categorical(rng.integers(0, 3, 60), 3)
    return x, y


def assert_same_weights(a, b):
    """Bit for bit, which also holds for NaN and -0.0 where allclose would not tell."""
    wa, wb = a.get_weights(), b.get_weights()
    assert [w.shape for w in wa] == [w.shape for w in wb]
    for index, (u, v) in enumerate(zip(wa, wb)):
        assert u.dtype == v.dtype == np.float32
        assert u.tobytes() == v.tobytes(), f"weight {index} differs"


def saved_bytes(tmp_path, model, **kwargs):
    path = tmp_path / "model.fmlp"
    model.save(path, **kwargs)
    return path, path.read_bytes()


# ---- round trips ----------------------------------------------------------------------------------
def test_round_trip_keeps_layers_weights_and_predictions(tmp_path, data):
    x, y = data
    model = make_model()
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    path, _ = saved_bytes(tmp_path, model)
    loaded = fm.models.load_model(path)

    assert isinstance(loaded, fm.Sequential)
    assert loaded.name == "classifier"
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    assert [type(layer) for layer in loaded.layers] == [fm.layers.Dense] * 3
    assert [layer.get_config() for layer in loaded.layers] == [layer.get_config() for layer in model.layers]
    assert loaded.input_shape == (None, 5) and loaded.output_shape == (None, 3)
    assert loaded.count_params() == model.count_params()
    assert_same_weights(model, loaded)
    assert np.array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))
    # The loaded layers' weights are live views, as for any model.
    loaded.layers[0].kernel[0, 0] += 1
    assert not np.array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))


@pytest.mark.parametrize("optimizer, config", [
    (lambda: fm.optimizers.SGD(learning_rate=0.05, momentum=0.8, nesterov=True),
     {"learning_rate": 0.05, "momentum": 0.8, "nesterov": True}),
    (lambda: fm.optimizers.Adam(learning_rate=0.002, beta_1=0.8, beta_2=0.99, epsilon=1e-6),
     {"learning_rate": 0.002, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-6}),
    (lambda: fm.optimizers.RMSprop(learning_rate=0.003, rho=0.8, momentum=0.5, centered=True),
     {"learning_rate": 0.003, "rho": 0.8, "momentum": 0.5, "centered": True}),
], ids=["sgd", "adam", "rmsprop"])
def test_round_trip_restores_the_compile_state(tmp_path, data, optimizer, config):
    x, y = data
    model = make_model(optimizer())
    model.fit(x, y, epochs=1, batch_size=20, verbose=0)
    loaded = fm.models.load_model(saved_bytes(tmp_path, model)[0])
    assert type(loaded.optimizer) is type(model.optimizer)
    restored = loaded.optimizer.get_config()
    for key, value in config.items():
        assert restored[key] == pytest.approx(value, rel=1e-12), key
    assert loaded.optimizer.iterations == model.optimizer.iterations == 3
    assert loaded.loss == "categorical_crossentropy"
    assert loaded.compiled_metrics == ["accuracy"]
    assert loaded.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "rmsprop"])
def test_training_continues_exactly_as_without_saving(tmp_path, data, optimizer):
    x, y = data
    model = make_model(optimizer)
    model.fit(x, y, epochs=3, batch_size=8, verbose=0)
    loaded = fm.models.load_model(saved_bytes(tmp_path, model)[0])
    # Shuffled batches and a validation split: the optimizer state and the shuffling generator
    # both have to come back for the two runs to agree bit for bit.
    kwargs = dict(epochs=3, batch_size=8, validation_split=0.2, shuffle=True, verbose=0)
    continued = model.fit(x, y, **kwargs)
    resumed = loaded.fit(x, y, **kwargs)
    assert_same_weights(model, loaded)
    assert continued.history == resumed.history
    assert loaded.optimizer.iterations == model.optimizer.iterations


def every_layer_model(optimizer, loss):
    fm.utils.set_random_seed(4)
    model = fm.Sequential([
        fm.layers.Input((5,)),
        fm.layers.GaussianNoise(0.1, seed=2),
        fm.layers.Dense(8, activation="gelu", kernel_regularizer=fm.regularizers.L1L2(l1=1e-3, l2=1e-2),
                        bias_regularizer="l2", activity_regularizer=fm.regularizers.L1(1e-4)),
        fm.layers.BatchNormalization(momentum=0.9, epsilon=1e-2),
        fm.layers.PReLU(),
        fm.layers.Dropout(0.25, seed=5),
        fm.layers.Dense(6),
        fm.layers.Activation(fm.layers.ReLU(max_value=4.0, negative_slope=0.1, threshold=0.5)
                             if hasattr(fm.layers, "ReLU") else "selu"),
        fm.layers.Dense(3, activation="linear")])
    model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy", "auc"])
    return model


@pytest.mark.parametrize("optimizer", [
    lambda: fm.optimizers.SGD(0.05, momentum=0.5, nesterov=True, clipvalue=0.5),
    lambda: fm.optimizers.Adam(fm.optimizers.schedules.ExponentialDecay(0.01, 10, 0.5), amsgrad=True),
    lambda: fm.optimizers.AdamW(0.003, weight_decay=0.01, clipnorm=1.0),
    lambda: fm.optimizers.RMSprop(0.002, rho=0.8, momentum=0.3, centered=True),
    lambda: fm.optimizers.Adagrad(0.05, initial_accumulator_value=0.2),
    lambda: fm.optimizers.Adadelta(1.0, rho=0.9),
    lambda: fm.optimizers.Adamax(fm.optimizers.schedules.CosineDecay(0.01, 50, alpha=0.1, warmup_target=0.02,
                                                                      warmup_steps=3)),
    lambda: fm.optimizers.Nadam(fm.optimizers.schedules.InverseTimeDecay(0.01, 5, 0.5), global_clipnorm=2.0),
], ids=["sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta", "adamax", "nadam"])
def test_every_layer_optimizer_and_schedule_round_trips(tmp_path, data, optimizer):
    x, y = data
    loss = fm.losses.CategoricalCrossentropy(from_logits=True)
    model = every_layer_model(optimizer(), loss)
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    loaded = fm.models.load_model(saved_bytes(tmp_path, model)[0])
    assert [type(layer) for layer in loaded.layers] == [type(layer) for layer in model.layers]
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    assert_same_weights(model, loaded)
    assert type(loaded.optimizer) is type(model.optimizer)
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    assert loaded.optimizer.iterations == model.optimizer.iterations
    assert np.array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)


def test_saving_without_optimizer_state(tmp_path, data):
    x, y = data
    model = make_model()
    model.fit(x, y, epochs=2, verbose=0)
    full = saved_bytes(tmp_path, model)[1]
    path, weights_only = saved_bytes(tmp_path, model, include_optimizer=False)
    assert len(weights_only) < len(full)
    loaded = fm.models.load_model(path)
    assert_same_weights(model, loaded)
    assert isinstance(loaded.optimizer, fm.optimizers.Adam) and loaded.optimizer.iterations == 0
    loaded.fit(x, y, epochs=1, verbose=0)  # a fresh optimizer, still trainable


def test_load_without_compiling(tmp_path, data):
    x, y = data
    model = make_model()
    loaded = fm.models.load_model(saved_bytes(tmp_path, model)[0], compile=False)
    assert loaded.optimizer is None
    with pytest.raises(RuntimeError, match="compile"):
        loaded.fit(x, y, verbose=0)
    loaded.compile(optimizer="sgd", loss="categorical_crossentropy")
    loaded.fit(x, y, epochs=1, verbose=0)


def test_uncompiled_models_and_the_saving_module(tmp_path, data):
    x, _ = data
    fm.utils.set_random_seed(1)
    model = fm.Sequential([fm.layers.Dense(2, input_dim=5)])
    path = tmp_path / "plain.fmlp"
    fm.saving.save_model(model, str(path))
    loaded = fm.saving.load_model(path)
    assert loaded.optimizer is None and loaded.loss is None
    assert np.array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))
    assert fm.saving.FORMAT_VERSION == 2


def test_save_arguments(tmp_path):
    model = make_model()
    path = tmp_path / "model.fmlp"
    model.save(path)
    with pytest.raises(FileExistsError, match="overwrite=True"):
        model.save(path, overwrite=False)
    model.save(path, overwrite=True)
    assert [p.name for p in tmp_path.iterdir()] == ["model.fmlp"]  # no temporary files left behind
    unbuilt = fm.Sequential([fm.layers.Dense(2)])
    with pytest.raises(ValueError, match="no weights to save"):
        unbuilt.save(tmp_path / "unbuilt.fmlp")
    with pytest.raises(ValueError, match="cannot save model file"):
        model.save(tmp_path / "no_such_directory" / "model.fmlp")
    with pytest.raises(TypeError):
        model.save(42)


# ---- refusals -------------------------------------------------------------------------------------
def load_bytes(tmp_path, content):
    path = tmp_path / "damaged.fmlp"
    path.write_bytes(content)
    return fm.models.load_model(path)


def with_checksum(content):
    body = content[:-4]
    return body + struct.pack("<I", zlib.crc32(body))


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        fm.models.load_model(tmp_path / "nothing_here.fmlp")


@pytest.mark.parametrize("cut", [0, 5, 12, 19, 100, -500, -40, -4, -1])
def test_truncated_files_raise_value_error(tmp_path, cut):
    content = saved_bytes(tmp_path, make_model())[1]
    with pytest.raises(ValueError, match="not a fastmlp model file|truncated|damaged") as error:
        load_bytes(tmp_path, content[:cut])
    assert isinstance(error.value, fm.saving.ModelFileError)


def test_every_damaged_byte_is_refused(tmp_path, data):
    x, y = data
    model = make_model()
    model.fit(x, y, epochs=1, verbose=0)
    content = saved_bytes(tmp_path, model)[1]
    step = max(1, len(content) // 400)  # a few hundred positions spread over header, tensors and checksum
    for position in list(range(0, len(content), step)) + [len(content) - 1]:
        damaged = bytearray(content)
        damaged[position] ^= 0x04
        with pytest.raises(ValueError):
            load_bytes(tmp_path, bytes(damaged))
    damaged = bytearray(content)
    damaged[-20] ^= 0xFF  # inside the last tensor
    with pytest.raises(ValueError, match="damaged: its CRC-32 checksum"):
        load_bytes(tmp_path, bytes(damaged))


def test_foreign_files_raise_value_error(tmp_path):
    with pytest.raises(ValueError, match="not a fastmlp model file"):
        load_bytes(tmp_path, b"")
    # HDF5's and zip's first bytes make load_model read a Keras file; these are not ones either.
    pytest.importorskip("h5py")
    with pytest.raises(fm.saving.ModelFileError, match="not a Keras .h5 file"):
        load_bytes(tmp_path, b"\x89HDF\r\n\x1a\n" + bytes(100))
    with pytest.raises(fm.saving.ModelFileError, match="not a .keras file"):
        load_bytes(tmp_path, b"PK\x03\x04 a zip file, such as a .keras model")


def test_newer_versions_are_refused_with_both_versions_named(tmp_path):
    content = bytearray(saved_bytes(tmp_path, make_model())[1])
    content[8:12] = struct.pack("<I", 7)
    with pytest.raises(ValueError, match="format version 7.*newer fastmlp.*reads format version 2"):
        load_bytes(tmp_path, with_checksum(bytes(content)))


def test_a_consistent_file_describing_another_model_is_refused(tmp_path):
    content = saved_bytes(tmp_path, make_model())[1]
    changed = content.replace(b'"units":7', b'"units":8', 1)
    assert changed != content
    with pytest.raises(ValueError, match=r"tensor 'layers/0/kernel' has shape \(5, 7\), the model needs \(5, 8\)"):
        load_bytes(tmp_path, with_checksum(changed))


# ---- the documentation's reader -------------------------------------------------------------------
@pytest.mark.skipif(not DOC.exists(), reason="docs/ is not next to the tests")
def test_the_documented_python_reader_reads_a_saved_file(tmp_path, data, capsys):
    x, y = data
    model = make_model()
    model.fit(x, y, epochs=1, verbose=0)
    path, _ = saved_bytes(tmp_path, model)
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    assert blocks, "docs/model-format.md has no Python example"
    namespace = {"path": str(path)}
    exec(compile(blocks[-1], str(DOC), "exec"), namespace)  # noqa: S102 - our own documentation
    header, tensors = namespace["header"], namespace["tensors"]
    assert header["model"]["config"]["input_shape"] == [5]
    assert np.array_equal(tensors["layers/0/kernel"], model.layers[0].kernel)
    assert np.array_equal(tensors["layers/2/bias"].reshape(-1), model.layers[2].bias)
    assert "layers/1/bias" not in tensors  # use_bias=False
    assert "hidden tanh (5, 7)" in capsys.readouterr().out
    # A NumPy forward pass over the documented tensors reproduces the model's predictions.
    out = x.astype(np.float64)
    for index, layer in enumerate(header["model"]["config"]["layers"]):
        config = layer["config"]
        out = out @ tensors[f"layers/{index}/kernel"]
        if config["use_bias"]:
            out = out + tensors[f"layers/{index}/bias"]
        activation = config["activation"]  # a name: every activation here has its default parameters
        if activation == "tanh":
            out = np.tanh(out)
        elif activation == "leaky_relu":
            out = np.where(out > 0, out, 0.2 * out)
        elif activation == "softmax":
            out = np.exp(out - out.max(axis=1, keepdims=True))
            out /= out.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(out, model.predict(x, verbose=0), atol=1e-5)


# ---- weights files and configurations ----------------------------------------------------------------
def _every_layer_model():
    return fm.Sequential([fm.layers.Input((5,)), fm.layers.Dense(8, activation="relu", name="d1"),
                          fm.layers.BatchNormalization(), fm.layers.PReLU(), fm.layers.Dropout(0.1),
                          fm.layers.GaussianNoise(0.1), fm.layers.Dense(3, activation="softmax")])


def test_save_weights_load_weights_round_trip_is_bit_exact(tmp_path, data):
    x, y = data
    model = _every_layer_model()
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    model.fit(x, y, epochs=2, verbose=0)
    model.save_weights(tmp_path / "model.weights.h5")
    other = _every_layer_model()
    other.load_weights(tmp_path / "model.weights.h5")
    for saved, loaded in zip(model.get_weights(), other.get_weights()):
        assert saved.dtype == loaded.dtype and saved.shape == loaded.shape
        np.testing.assert_array_equal(saved, loaded)
    np.testing.assert_array_equal(model.predict(x, verbose=0), other.predict(x, verbose=0))
    with pytest.raises(FileExistsError):
        model.save_weights(tmp_path / "model.weights.h5", overwrite=False)
    with pytest.raises(ValueError):
        fm.Sequential([fm.layers.Input((5,)), fm.layers.Dense(2)]).load_weights(tmp_path / "model.weights.h5")


def test_get_config_from_config_round_trip():
    model = fm.Sequential([fm.layers.Input((6,)),
                           fm.layers.Dense(8, activation="tanh", use_bias=False, name="first",
                                           kernel_regularizer=fm.regularizers.L2(0.1)),
                           fm.layers.BatchNormalization(momentum=0.9), fm.layers.PReLU(), fm.layers.Dropout(0.25),
                           fm.layers.GaussianNoise(0.5), fm.layers.Activation("selu"),
                           fm.layers.Dense(3, activation="softmax", name="last")], name="configured")
    config = model.get_config()
    rebuilt = fm.Sequential.from_config(config)
    assert rebuilt.get_config() == config
    assert [type(layer) for layer in rebuilt.layers] == [type(layer) for layer in model.layers]
    assert rebuilt.count_params() == model.count_params()
    # A fresh model from the same config takes the other's weights and then predicts the same.
    rebuilt.set_weights(model.get_weights())
    x = np.random.default_rng(0).normal(size=(5, 6)).astype(np.float32)
    np.testing.assert_array_equal(rebuilt.predict(x, verbose=0), model.predict(x, verbose=0))


# ---- issue 26, item 12: nesting counted as the user builds it ------------------------------------------
MAX_NESTING = 100  # kMaxModelNesting, cpp/include/fastmlp/layers/model_layer.hpp


def nested(depth, kind):
    """A model nested ``depth`` deep (1: no model inside), each level wrapping the one inside it."""
    inner = fm.Sequential([fm.layers.Input((3,)), fm.layers.Dense(2, name="core")], name="level1")
    for level in range(2, depth + 1):
        if kind == "Sequential":
            inner = fm.Sequential([fm.layers.Input((3,)), inner], name=f"level{level}")
        else:
            x = fm.Input((3,), name=f"in{level}")
            inner = fm.Model(x, inner(x), name=f"level{level}")
    return inner


@pytest.mark.parametrize("kind", ["Sequential", "Functional"])
def test_a_model_nested_to_the_limit_saves_loads_pickles_and_copies(tmp_path, kind):
    # Nested 19 deep (a functional model 18), a model saved but could not load, pickle or deepcopy: the
    # JSON reader's 64 levels were the only limit.
    import copy
    import pickle
    model = nested(MAX_NESTING, kind)
    x = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    expected = model.predict(x, verbose=0)
    model.save(tmp_path / "deep.fmlp")
    for other in (fm.models.load_model(tmp_path / "deep.fmlp"), pickle.loads(pickle.dumps(model)),
                  copy.deepcopy(model)):
        np.testing.assert_array_equal(other.predict(x, verbose=0), expected)


@pytest.mark.parametrize("kind", ["Sequential", "Functional"])
def test_nesting_past_the_limit_is_refused_as_it_is_built(kind):
    model = nested(MAX_NESTING, kind)
    with pytest.raises(ValueError, match=f"nested {MAX_NESTING} deep; used as a layer it would make "
                                         f"{MAX_NESTING + 1}, and models may be nested at most {MAX_NESTING} deep"):
        fm.Sequential([fm.layers.Input((3,)), model])


def test_a_model_that_grew_past_the_limit_after_it_was_wrapped_is_refused_when_saved(tmp_path):
    inner = fm.Sequential([fm.layers.Input((3,)), fm.layers.Dense(3)], name="inner")
    outer = fm.Sequential([fm.layers.Input((3,)), inner], name="outer")  # nested 2 deep, then inner grows
    inner.add(nested(MAX_NESTING - 1, "Sequential"))
    with pytest.raises(ValueError, match=f"nested {MAX_NESTING + 1} deep, and models may be nested at most"):
        outer.save(tmp_path / "too_deep.fmlp")
    assert not (tmp_path / "too_deep.fmlp").exists()
