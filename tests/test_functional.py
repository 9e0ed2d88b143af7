"""Keras's functional API: one test per pattern that Keras scripts write (a functional MLP, a residual
MLP, a wide-and-deep network with two inputs, two outputs with two losses), then shared layers, nested
models, layers and models called on arrays, build(), configs, files, copies, summaries and errors."""

import pickle

import numpy as np
import pytest

import fastmlp as fm
from fastmlp import layers

L = layers


@pytest.fixture
def digits():
    from sklearn.datasets import load_digits
    data = load_digits()
    return (data.data / 16.0).astype(np.float32), data.target.astype(np.int64)


# ---- the four patterns ------------------------------------------------------------------------------
def test_functional_mlp_trains_saves_loads_and_pickles(digits, tmp_path, capsys):
    x, y = digits
    fm.utils.set_random_seed(0)
    inputs = fm.Input(shape=(64,), name="digits")
    h = L.Dense(64, activation="relu")(inputs)
    h = L.Dense(64, activation="relu")(h)
    outputs = L.Dense(10)(h)
    model = fm.Model(inputs=inputs, outputs=outputs, name="mnist_model")
    model.summary()
    out = capsys.readouterr().out
    assert "Connected to" in out and "digits[0][0]" in out and "Total params: 8,970" in out
    assert [type(layer).__name__ for layer in model.layers] == ["InputLayer", "Dense", "Dense", "Dense"]
    model.compile(loss=fm.losses.SparseCategoricalCrossentropy(from_logits=True),
                  optimizer=fm.optimizers.RMSprop(), metrics=["accuracy"])
    history = model.fit(x[:1400], y[:1400], batch_size=64, epochs=25, validation_split=0.2, verbose=0)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    loss, accuracy = model.evaluate(x[1400:], y[1400:], verbose=0)
    assert accuracy > 0.9, accuracy

    model.save(tmp_path / "functional.fmlp")
    loaded = fm.models.load_model(tmp_path / "functional.fmlp")
    assert isinstance(loaded, fm.Model) and not isinstance(loaded, fm.Sequential)
    assert loaded.get_config() == model.get_config() and loaded.name == "mnist_model"
    expected = model.predict(x, verbose=0)
    for copy in (loaded, pickle.loads(pickle.dumps(model))):
        assert copy.predict(x, verbose=0).tobytes() == expected.tobytes()
    assert loaded.evaluate(x[1400:], y[1400:], verbose=0) == [loss, accuracy]

    rebuilt = fm.Model.from_config(model.get_config())
    rebuilt.set_weights(model.get_weights())
    assert rebuilt.predict(x, verbose=0).tobytes() == expected.tobytes()
    clone = fm.models.clone_model(model)
    clone.set_weights(model.get_weights())
    assert clone.predict(x, verbose=0).tobytes() == expected.tobytes()


def test_residual_mlp_with_add_layers_and_the_plus_operator(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(512, 8)).astype(np.float32)
    y = (np.sin(x[:, :1]) + x[:, 1:2] * x[:, 2:3]).astype(np.float32)
    fm.utils.set_random_seed(1)
    inputs = fm.Input((8,))
    h = L.Dense(32, activation="relu")(inputs)
    block = L.Dense(32)(L.Dense(32, activation="relu")(h))
    h = L.Add()([h, block])
    block = L.Dense(32)(L.Dense(32, activation="relu")(h))
    h = h + block  # Keras turns arithmetic on symbolic tensors into layers
    model = fm.Model(inputs, L.Dense(1)(h))
    assert sum(type(layer).__name__ == "Add" for layer in model.layers) == 2
    model.compile(optimizer=fm.optimizers.Adam(0.003), loss="mse")
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=30, batch_size=32, verbose=0)
    after = model.evaluate(x, y, verbose=0)
    print(f"residual MLP: mse {before:.4f} -> {after:.4f}")
    assert after < 0.2 * before
    model.save(tmp_path / "residual.fmlp")
    assert fm.models.load_model(tmp_path / "residual.fmlp").predict(x, verbose=0).tobytes() == \
        model.predict(x, verbose=0).tobytes()


def test_wide_and_deep_takes_two_inputs_by_list_or_by_name():
    rng = np.random.default_rng(2)
    wide, deep = rng.normal(size=(300, 6)).astype(np.float32), rng.normal(size=(300, 4)).astype(np.float32)
    labels = ((wide[:, 0] + deep[:, 0] * deep[:, 1]) > 0).astype(np.float32)

    def build():
        fm.utils.set_random_seed(3)
        wide_in, deep_in = fm.Input((6,), name="wide"), fm.Input((4,), name="deep")
        d = L.Dense(16, activation="relu")(deep_in)
        d = L.Dense(16, activation="relu")(d)
        both = L.concatenate([wide_in, d], name="both")
        model = fm.Model([wide_in, deep_in], L.Dense(1, activation="sigmoid")(both))
        model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
        return model

    by_list, by_name = build(), build()
    assert by_list.input_names == ["wide", "deep"]
    h1 = by_list.fit([wide, deep], labels, epochs=20, batch_size=16, verbose=0)
    h2 = by_name.fit({"deep": deep, "wide": wide}, labels, epochs=20, batch_size=16, verbose=0)
    assert h1.history == h2.history
    assert h1.history["accuracy"][-1] > 0.85
    assert by_list.layers[0].name == "deep" and by_list.get_layer("both").output_shape == (None, 22)
    with pytest.raises(ValueError, match="2 inputs"):
        by_list.predict(wide, verbose=0)
    with pytest.raises(ValueError, match="lacks arrays for \\['deep'\\]"):
        by_list.predict({"wide": wide}, verbose=0)


def test_two_outputs_with_two_losses_weights_and_metrics_are_named_as_keras_names_them():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(200, 5)).astype(np.float32)
    classes = (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0)
    value = (x[:, 2:3] * 2).astype(np.float32)
    fm.utils.set_random_seed(5)
    inputs = fm.Input((5,), name="features")
    h = L.Dense(16, activation="relu")(inputs)
    model = fm.Model(inputs, {"cls": L.Dense(3, activation="softmax", name="cls")(h),
                              "reg": L.Dense(1, name="reg")(h)})
    model.compile(optimizer="adam", loss={"cls": "sparse_categorical_crossentropy", "reg": "mse"},
                  loss_weights={"cls": 1.0, "reg": 0.5}, metrics={"cls": ["accuracy"], "reg": ["mae"]})
    assert model.metrics_names == ["loss", "cls_loss", "reg_loss", "cls_accuracy", "reg_mae"]
    history = model.fit(x, {"cls": classes, "reg": value}, epochs=3, verbose=0, validation_split=0.25)
    assert set(history.history) == {"loss", "cls_loss", "reg_loss", "cls_accuracy", "reg_mae", "val_loss",
                                    "val_cls_loss", "val_reg_loss", "val_cls_accuracy", "val_reg_mae"}
    logs = model.evaluate(x, [classes, value], verbose=0, return_dict=True)
    predicted = model.predict(x, verbose=0)
    assert set(predicted) == {"cls", "reg"}
    p = predicted["cls"].astype(np.float64)
    cross_entropy = -np.mean(np.log(np.clip(p[np.arange(len(x)), classes], 1e-7, 1)))
    mse = np.mean((predicted["reg"].astype(np.float64) - value) ** 2)
    assert logs["cls_loss"] == pytest.approx(cross_entropy, rel=1e-5)
    assert logs["reg_loss"] == pytest.approx(mse, rel=1e-5)
    assert logs["loss"] == pytest.approx(cross_entropy + 0.5 * mse, rel=1e-5)  # Keras: Σ w_o loss_o
    assert logs["cls_accuracy"] == pytest.approx(np.mean(np.argmax(p, axis=1) == classes))
    with pytest.raises(ValueError, match="list with one list of metrics per output"):
        model.compile(optimizer="adam", loss="mse", metrics=["mae"])  # as Keras 3 refuses it


# ---- the same network as a Sequential, shared layers, nested models ------------------------------------
def test_a_functional_chain_trains_bit_for_bit_as_the_same_sequential():
    rng = np.random.default_rng(6)
    x, y = rng.normal(size=(90, 7)).astype(np.float32), rng.normal(size=(90, 2)).astype(np.float32)
    fm.utils.set_random_seed(7)
    sequential = fm.Sequential([L.Input((7,)), L.Dense(12, activation="relu"), L.Dropout(0.2, seed=3),
                                L.BatchNormalization(), L.Dense(2)])
    inputs = fm.Input((7,))
    h = inputs
    for layer in sequential.layers:
        h = type(layer).from_config(layer.get_config())(h)
    functional = fm.Model(inputs, h)
    functional.set_weights(sequential.get_weights())
    functional._core.set_seed(11)
    sequential._core.set_seed(11)
    for model in (sequential, functional):
        model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    h1 = sequential.fit(x, y, epochs=3, batch_size=16, verbose=0)
    h2 = functional.fit(x, y, epochs=3, batch_size=16, verbose=0)
    assert h1.history == h2.history
    assert all(a.tobytes() == b.tobytes() for a, b in zip(sequential.get_weights(), functional.get_weights()))


def test_a_layer_called_twice_shares_its_weights_and_sums_its_gradients():
    rng = np.random.default_rng(8)
    left, right = rng.normal(size=(64, 4)).astype(np.float32), rng.normal(size=(64, 4)).astype(np.float32)
    target = np.abs(left - right).sum(axis=1, keepdims=True).astype(np.float32)
    fm.utils.set_random_seed(9)
    a, b = fm.Input((4,)), fm.Input((4,))
    encoder = L.Dense(6, activation="tanh")
    distance = L.Subtract()([encoder(a), encoder(b)])
    model = fm.Model([a, b], L.Dense(1)(distance))
    assert model.count_params() == 4 * 6 + 6 + 6 + 1 and len(model.weights) == 4
    # One SGD step with learning rate 1 moves the shared kernel by minus the sum of both calls'
    # gradients: compare with the gradient the same computation gets when the calls are two layers
    # holding equal weights.
    kernel, bias = encoder.get_weights()
    twin_a, twin_b = L.Dense(6, activation="tanh"), L.Dense(6, activation="tanh")
    a2, b2 = fm.Input((4,)), fm.Input((4,))
    head = L.Dense(1)
    untied = fm.Model([a2, b2], head(L.Subtract()([twin_a(a2), twin_b(b2)])))
    twin_a.set_weights([kernel, bias])
    twin_b.set_weights([kernel, bias])
    head.set_weights(model.layers[-1].get_weights())
    for m in (model, untied):
        m.compile(optimizer=fm.optimizers.SGD(learning_rate=1.0), loss="mse")
        m.train_on_batch([left, right], target)
    step = kernel - encoder.kernel
    expected = (kernel - twin_a.kernel) + (kernel - twin_b.kernel)
    np.testing.assert_allclose(step, expected, rtol=1e-5, atol=1e-6)


def test_models_used_as_layers(tmp_path):
    rng = np.random.default_rng(10)
    x = rng.normal(size=(40, 6)).astype(np.float32)
    fm.utils.set_random_seed(11)
    encoder = fm.Sequential([L.Dense(8, activation="relu"), L.Dense(3)], name="encoder")
    # Keras's Sequential([model, Softmax()]): the inner model's weights are the outer's.
    classifier = fm.Sequential([L.Input((6,)), encoder, L.Softmax()])
    assert encoder.built and classifier.count_params() == encoder.count_params()
    probabilities = classifier.predict(x, verbose=0)
    logits = encoder.predict(x, verbose=0)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    np.testing.assert_allclose(probabilities, e / e.sum(axis=1, keepdims=True), rtol=1e-5, atol=1e-7)
    # A nested functional model called twice (a siamese network), then trained, saved and loaded.
    a, b = fm.Input((6,)), fm.Input((6,))
    inner_in = fm.Input((6,))
    tower = fm.Model(inner_in, L.Dense(4, activation="tanh")(inner_in), name="tower")
    siamese = fm.Model([a, b], L.Dense(1, activation="sigmoid")(L.concatenate([tower(a), tower(b)])))
    assert [type(layer).__name__ for layer in siamese.layers].count("Model") == 1
    siamese.compile(optimizer="adam", loss="binary_crossentropy")
    y = (x[:, :1] > 0).astype(np.float32)
    before = tower.get_weights()[0].copy()
    siamese.fit([x, x[::-1]], y, epochs=2, verbose=0)
    assert not np.array_equal(before, tower.get_weights()[0])  # training the outer trains the inner
    siamese.save(tmp_path / "siamese.fmlp")
    loaded = fm.models.load_model(tmp_path / "siamese.fmlp")
    assert loaded.predict([x, x], verbose=0).tobytes() == siamese.predict([x, x], verbose=0).tobytes()
    loaded.fit([x, x[::-1]], y, epochs=1, verbose=0)
    siamese.fit([x, x[::-1]], y, epochs=1, verbose=0)
    assert loaded.predict([x, x], verbose=0).tobytes() == siamese.predict([x, x], verbose=0).tobytes()


# ---- layers and models called on arrays; build -----------------------------------------------------
def test_layers_and_models_called_on_arrays_build_on_first_call():
    rng = np.random.default_rng(12)
    x = rng.normal(size=(5, 3)).astype(np.float32)
    dense = L.Dense(2, activation="relu")
    out = dense(x)
    assert dense.built and out.shape == (5, 2)
    np.testing.assert_allclose(out, np.maximum(x @ dense.kernel + dense.bias, 0), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(L.Add()([x, 2 * x]), 3 * x, rtol=1e-6)
    np.testing.assert_allclose(L.Concatenate()([x, x[:, :1]]), np.hstack([x, x[:, :1]]))
    dropped = L.Dropout(0.5, seed=1)(np.ones((100, 10), np.float32), training=True)
    assert set(np.unique(dropped)) == {0.0, 2.0}
    model = fm.Sequential([L.Dense(4), L.Dense(1)])
    assert model(x).shape == (5, 1) and model.built  # Keras builds a Sequential on its first call
    assert model(x, training=True).shape == (5, 1)
    with pytest.raises(ValueError, match="built for inputs of \\[3\\] features"):
        dense(np.ones((2, 4), np.float32))


def test_build_creates_the_weights_for_an_input_shape():
    dense = L.Dense(3)
    dense.build((None, 5))
    assert dense.kernel.shape == (5, 3)
    merge = L.Concatenate()
    merge.build([(None, 2), (None, 3)])
    assert merge.output_shape == (None, 5)
    model = fm.Sequential([L.Dense(2)])
    model.build((None, 4))
    assert model.count_params() == 10


# ---- configs, summaries, errors --------------------------------------------------------------------
def test_the_config_is_keras_functional_config():
    inputs = fm.Input((3,), name="x")
    shared = L.Dense(3, name="shared")
    h = shared(shared(inputs))
    model = fm.Model(inputs, [L.Dense(1, name="a")(h), L.Dense(2, name="b")(inputs)], name="m")
    config = model.get_config()
    assert config["input_layers"] == ["x", 0, 0] and config["output_layers"] == [["a", 0, 0], ["b", 0, 0]]
    by_name = {entry["name"]: entry for entry in config["layers"]}
    nodes = by_name["shared"]["inbound_nodes"]
    assert [node["args"][0]["config"]["keras_history"] for node in nodes] == [["x", 0, 0], ["shared", 0, 0]]
    assert by_name["x"]["class_name"] == "InputLayer" and by_name["x"]["config"]["batch_shape"] == [None, 3]
    rebuilt = fm.Model.from_config(config)
    assert rebuilt.get_config() == config and rebuilt.count_params() == model.count_params()
    assert len(rebuilt.get_layer("shared").weights) == 2  # still one shared layer


def test_summary_lists_each_connection_of_a_merge(capsys):
    a, b = fm.Input((2,), name="left"), fm.Input((2,), name="right")
    fm.Model([a, b], L.Add(name="sum")([a, b])).summary()
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if "sum (Add)" in line)
    assert "left[0][0]" in row and "right[0][0]" in out.splitlines()[out.splitlines().index(row) + 1]


def test_graph_errors_say_what_to_fix():
    inputs = fm.Input((3,))
    other = fm.Input((3,))
    with pytest.raises(ValueError, match="not among the model's inputs"):
        fm.Model(inputs, L.Add()([inputs, other]))
    with pytest.raises(ValueError, match="must be tensors made by fastmlp.Input"):
        fm.Model(L.Dense(2)(inputs), L.Dense(1)(inputs))
    with pytest.raises(ValueError, match="called on a list of tensors"):
        L.Add()(inputs)
    with pytest.raises(ValueError, match="takes one input"):
        L.Dense(2)([inputs, other])
    with pytest.raises(ValueError, match="put a Flatten\\(\\) layer first"):
        L.Dense(2)(fm.Input((2, 3)))
    with pytest.raises(TypeError, match="symbolic"):
        np.asarray(inputs)


def test_a_subclassed_model_with_call_is_traced_at_its_first_data():
    class MyModel(fm.Model):
        def __init__(self):
            super().__init__()
            self.dense = L.Dense(1)

        def call(self, inputs):
            return self.dense(inputs)

    model = MyModel()
    assert model.predict(np.ones((3, 2), np.float32), verbose=0).shape == (3, 1)
    assert model.count_params() == 3

    class Wrapped(fm.Model):  # a subclass that only names its graph is fine
        def __init__(self):
            inputs = fm.Input((2,))
            super().__init__(inputs, L.Dense(1)(inputs))

    assert Wrapped().count_params() == 3


def test_feature_extraction_from_a_sequential_as_in_keras_guide():
    rng = np.random.default_rng(13)
    x = rng.normal(size=(4, 5)).astype(np.float32)
    initial = fm.Sequential([fm.Input((5,)), L.Dense(4, activation="relu", name="first"),
                             L.Dense(3, name="second"), L.Dense(2, name="third")])
    extractor = fm.Model(inputs=initial.inputs, outputs=[layer.output for layer in initial.layers])
    features = extractor(x)
    assert [f.shape for f in features] == [(4, 4), (4, 3), (4, 2)]
    np.testing.assert_array_equal(features[-1], initial.predict(x, verbose=0))
    middle = fm.Model(initial.inputs, initial.get_layer("second").output)
    np.testing.assert_array_equal(middle(x), features[1])
