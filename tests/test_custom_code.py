"""Users' own code in the C++ loop: the keras-io patterns ("Making new layers and models via
subclassing", the custom loss and metric sections of "Training & evaluation with the built-in
methods") written once against a module ``K`` and run with ``K = fastmlp`` and ``K = keras``: the same
weights train to the same values, the same losses and metrics come out, and the models save, load,
pickle and clone."""

import pickle

import numpy as np
import pytest

import fastmlp as fm
from interop_fixtures import import_keras

# Keras's torch Variables predate NumPy 2's copy keyword; their get_weights() warns inside Keras.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword")


def guide_classes(K):
    """The guide's classes, written as a Keras user writes them; only K differs."""
    ops = K.ops

    class Linear(K.layers.Layer):
        def __init__(self, units=32, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal",
                                     trainable=True, name="w")
            self.b = self.add_weight(shape=(self.units,), initializer="zeros", trainable=True, name="b")

        def call(self, inputs):
            return ops.matmul(inputs, self.w) + self.b

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    class MLPBlock(K.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.linear_1 = Linear(8)
            self.linear_2 = Linear(4)

        def call(self, inputs):
            x = ops.relu(self.linear_1(inputs))
            return ops.tanh(self.linear_2(x))

    class CustomMSE(K.losses.Loss):
        def __init__(self, regularization_factor=0.1, name="custom_mse"):
            super().__init__(name=name)
            self.regularization_factor = regularization_factor

        def call(self, y_true, y_pred):
            mse = ops.mean(ops.square(y_true - y_pred), axis=-1)
            reg = ops.mean(ops.square(0.5 - y_pred), axis=-1)
            return mse + reg * self.regularization_factor

    class TwoDense(K.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense1 = K.layers.Dense(6, activation="relu")
            self.dense2 = K.layers.Dense(3, activation="softmax")

        def call(self, inputs):
            return self.dense2(self.dense1(inputs) * 2.0)

    def custom_mean_squared_error(y_true, y_pred):
        return ops.mean(ops.square(y_true - y_pred), axis=-1)

    def mean_abs_gap(y_true, y_pred):
        return ops.mean(ops.abs(y_true - y_pred), axis=-1)

    return dict(Linear=Linear, MLPBlock=MLPBlock, CustomMSE=CustomMSE, TwoDense=TwoDense,
                custom_mean_squared_error=custom_mean_squared_error, mean_abs_gap=mean_abs_gap)


def data(seed=0, rows=64, features=5, outputs=3):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, features)).astype(np.float32)
    y = np.tanh(x @ rng.normal(size=(features, outputs))).astype(np.float32)
    return x, y


def regression_model(K, classes, loss):
    inputs = K.Input((5,))
    hidden = classes["MLPBlock"]()(inputs)
    outputs = K.layers.Dense(3)(hidden)
    model = K.Model(inputs, outputs)
    model.compile(optimizer=K.optimizers.SGD(learning_rate=0.05), loss=loss(classes),
                  metrics=[classes["mean_abs_gap"]])
    return model


LOSSES = {
    "function": lambda c: c["custom_mean_squared_error"],
    "subclass": lambda c: c["CustomMSE"](regularization_factor=0.3),
}


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_custom_layers_losses_and_metrics_train_as_in_keras(loss):
    keras = import_keras()
    x, y = data()
    ours = regression_model(fm, guide_classes(fm), LOSSES[loss])
    theirs = regression_model(keras, guide_classes(keras), LOSSES[loss])
    assert len(ours.get_weights()) == len(theirs.get_weights()) == 6
    theirs.set_weights(ours.get_weights())
    np.testing.assert_allclose(ours.predict(x, verbose=0), np.asarray(theirs.predict(x, verbose=0)), atol=1e-5)
    ours_history = ours.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0).history
    theirs_history = theirs.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0).history
    for key in ("loss", "mean_abs_gap"):
        print(key, ours_history[key], theirs_history[key])
        np.testing.assert_allclose(ours_history[key], theirs_history[key], rtol=2e-4)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), atol=2e-5)
    assert ours.evaluate(x, y, verbose=0)[0] == pytest.approx(theirs.evaluate(x, y, verbose=0)[0], rel=1e-4)


def test_nested_sublayers_are_tracked_as_keras_tracks_them():
    block = guide_classes(fm)["MLPBlock"]()
    out = block(np.ones((2, 5), np.float32))
    assert out.shape == (2, 4)
    assert len(block.weights) == 4 and len(block.trainable_weights) == 4
    assert [tuple(w.shape) for w in block.weights] == [(5, 8), (8,), (8, 4), (4,)]
    block.trainable = False
    assert block.trainable_weights == [] and len(block.non_trainable_weights) == 4


def test_a_model_subclass_is_traced_into_the_c_loop_and_matches_keras():
    keras = import_keras()
    x, _ = data(1)
    labels = np.argmax(x[:, :3], axis=1)
    models = []
    for K in (fm, keras):
        model = guide_classes(K)["TwoDense"]()
        model.compile(optimizer=K.optimizers.SGD(learning_rate=0.1), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        model.predict(x[:2], verbose=0)  # builds it
        models.append(model)
    ours, theirs = models
    theirs.set_weights(ours.get_weights())
    h1 = ours.fit(x, labels, batch_size=16, epochs=2, shuffle=False, verbose=0).history
    h2 = theirs.fit(x, labels, batch_size=16, epochs=2, shuffle=False, verbose=0).history
    np.testing.assert_allclose(h1["loss"], h2["loss"], rtol=2e-4)
    np.testing.assert_allclose(ours.predict(x, verbose=0), np.asarray(theirs.predict(x, verbose=0)), atol=1e-5)


def test_variables_view_the_weights_in_c_memory():
    linear = guide_classes(fm)["Linear"](2)
    x = np.ones((1, 3), np.float32)
    linear(x)
    linear.w.assign(np.full((3, 2), 0.5))
    linear.b.assign_add([1.0, -1.0])
    np.testing.assert_allclose(linear(x), [[2.5, 0.5]])
    assert isinstance(linear.w, fm.Variable) and linear.w.shape == (3, 2) and linear.b.numpy().tolist() == [1, -1]
    assert np.asarray(linear.w).base is not None  # a view, not a copy


def test_a_model_with_custom_layers_saves_loads_pickles_and_clones(tmp_path):
    x, y = data(2)
    model = regression_model(fm, guide_classes(fm), LOSSES["function"])
    model.fit(x, y, epochs=1, verbose=0)
    expected = model.predict(x, verbose=0)
    model.save(tmp_path / "m.fmlp")
    loaded = fm.models.load_model(tmp_path / "m.fmlp", compile=False)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), expected)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(model)).predict(x, verbose=0), expected)
    clone = fm.models.clone_model(model)
    clone.set_weights(model.get_weights())
    np.testing.assert_array_equal(clone.predict(x, verbose=0), expected)
    loaded.compile(optimizer="adam", loss="mse")
    assert np.isfinite(loaded.fit(x, y, epochs=1, verbose=0).history["loss"][0])


def test_a_custom_layer_in_a_sequential_without_an_input_shape():
    x, y = data(3)
    model = fm.Sequential([guide_classes(fm)["Linear"](8), fm.layers.Activation("relu"), fm.layers.Dense(3)])
    model.compile("adam", loss=guide_classes(fm)["custom_mean_squared_error"])
    history = model.fit(x, y, epochs=5, verbose=0).history["loss"]
    assert history[-1] < history[0]


def test_lambda_layers_and_ops_on_keras_tensors():
    keras = import_keras()
    x, _ = data(4)
    outputs = []
    for K in (fm, keras):
        inputs = K.Input((5,))
        a = K.layers.Lambda(lambda t: K.ops.square(t) - 1.0)(inputs)
        b = K.ops.concatenate([a, K.ops.exp(-inputs)], axis=-1)
        outputs.append(np.asarray(K.Model(inputs, K.ops.sum(b, axis=-1, keepdims=True)).predict(x, verbose=0)))
    np.testing.assert_allclose(outputs[0], outputs[1], rtol=1e-5)


def test_data_dependent_control_flow_in_a_layer_names_the_line():
    class Branchy(fm.layers.Layer):
        def call(self, x):
            if fm.ops.max(x) > 0:
                return x
            return -x

    with pytest.raises(TypeError, match=r"(?s)test_custom_code.py:\d+: +if fm.ops.max\(x\) > 0.*ops.where"):
        Branchy()(np.ones((2, 3), np.float32))


def categorical_true_positives(K):
    """keras-io's stateful metric, as written there (argmax, a cast comparison, assign_add)."""
    ops = K.ops

    class CategoricalTruePositives(K.metrics.Metric):
        def __init__(self, name="categorical_true_positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.true_positives = self.add_variable(shape=(), name="ctp", initializer="zeros")

        def update_state(self, y_true, y_pred, sample_weight=None):
            y_pred = ops.reshape(ops.argmax(y_pred, axis=1), (-1, 1))
            values = ops.cast(y_true, "int32") == ops.cast(y_pred, "int32")
            values = ops.cast(values, "float32")
            if sample_weight is not None:
                values = ops.multiply(values, ops.cast(sample_weight, "float32"))
            self.true_positives.assign_add(ops.sum(values))

        def result(self):
            return self.true_positives.value

        def reset_state(self):
            self.true_positives.assign(0.0)

    return CategoricalTruePositives


def test_a_stateful_metric_subclass_runs_in_the_c_loop_as_in_keras():
    keras = import_keras()
    x, _ = data(5)
    labels = np.argmax(x[:, :3], axis=1).reshape(-1, 1).astype(np.float32)
    logs = []
    for K in (fm, keras):
        model = K.Sequential([K.Input((5,)), K.layers.Dense(3, activation="softmax")])
        model.compile(optimizer=K.optimizers.SGD(learning_rate=0.1), loss="sparse_categorical_crossentropy",
                      metrics=[categorical_true_positives(K)()])
        logs.append(model)
    ours, theirs = logs
    theirs.set_weights(ours.get_weights())
    h1 = ours.fit(x, labels, batch_size=16, epochs=2, shuffle=False, verbose=0).history
    h2 = theirs.fit(x, labels, batch_size=16, epochs=2, shuffle=False, verbose=0).history
    print(h1, h2)
    np.testing.assert_allclose(h1["categorical_true_positives"], h2["categorical_true_positives"])
    # On arrays, the same object has Keras's stateful API.
    metric = categorical_true_positives(fm)()
    metric.update_state(labels[:10], ours.predict(x[:10], verbose=0))
    metric.update_state(labels[10:], ours.predict(x[10:], verbose=0))
    assert float(metric.result()) == ours.evaluate(x, labels, verbose=0, return_dict=True)["categorical_true_positives"]


def test_a_metric_that_assigns_its_state_is_refused_with_what_to_write_instead():
    class Last(fm.metrics.Metric):
        def __init__(self, **kwargs):
            super().__init__(name="last", **kwargs)
            self.value_seen = self.add_variable(shape=(), initializer="zeros", name="seen")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.value_seen.assign(fm.ops.mean(y_pred))

        def result(self):
            return self.value_seen.value

    model = fm.Sequential([fm.Input((5,)), fm.layers.Dense(1)])
    with pytest.raises(TypeError, match="assign_add"):
        model.compile("sgd", "mse", metrics=[Last()])


def test_add_loss_in_a_layer_call_adds_to_the_loss_as_in_keras():
    keras = import_keras()
    x, y = data(6)
    histories = []
    for K in (fm, keras):
        class ActivityRegularization(K.layers.Layer):
            def call(self, inputs):
                self.add_loss(K.ops.mean(K.ops.square(inputs)) * 0.1)
                return inputs

        inputs = K.Input((5,))
        hidden = ActivityRegularization()(K.layers.Dense(4, activation="tanh")(inputs))
        model = K.Model(inputs, K.layers.Dense(3)(hidden))
        model.compile(optimizer=K.optimizers.SGD(learning_rate=0.05), loss="mse")
        histories.append(model)
    ours, theirs = histories
    theirs.set_weights(ours.get_weights())
    h1 = ours.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0).history["loss"]
    h2 = theirs.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0).history["loss"]
    print(h1, h2)
    np.testing.assert_allclose(h1, h2, rtol=2e-4)


def registered_scale(K):
    """A user's layer registered under one name in fastmlp and in Keras, as a script that writes its
    model for both would register it."""
    def make():
        class Scale(K.layers.Layer):
            def __init__(self, units=3, **kwargs):
                super().__init__(**kwargs)
                self.units = units

            def build(self, input_shape):
                self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal", name="w")
                self.gain = self.add_weight(shape=(self.units,), initializer="ones", name="gain")

            def call(self, x):
                return K.ops.tanh(K.ops.matmul(x, self.w)) * self.gain

            def get_config(self):
                return {**super().get_config(), "units": self.units}

        return K.saving.register_keras_serializable(package="fastmlp_tests", name="Scale")(Scale)

    if K not in _REGISTERED:  # once per process: a registry refuses a name given twice
        _REGISTERED[K] = make()
    return _REGISTERED[K]


_REGISTERED = {}


def test_a_registered_users_layer_goes_to_keras_files_and_back(tmp_path):
    keras = import_keras()
    x, y = data(8)
    ours = fm.Sequential([fm.Input((5,)), registered_scale(fm)(4), fm.layers.Dense(3)])
    ours.compile("adam", "mse")
    ours.fit(x, y, epochs=1, verbose=0)
    ours.save(tmp_path / "ours.keras")
    theirs = keras.models.load_model(tmp_path / "ours.keras", custom_objects={"Scale": registered_scale(keras)})
    np.testing.assert_allclose(np.asarray(theirs.predict(x, verbose=0)), ours.predict(x, verbose=0), atol=1e-5)
    theirs.save(tmp_path / "theirs.keras")
    back = fm.models.load_model(tmp_path / "theirs.keras")
    assert isinstance(back.layers[0], registered_scale(fm))
    np.testing.assert_allclose(back.predict(x, verbose=0), ours.predict(x, verbose=0), atol=1e-5)
    assert np.isfinite(back.fit(x, y, epochs=1, verbose=0).history["loss"][0])


def test_a_keras_file_refuses_an_unregistered_users_layer_by_name_and_writes_nothing(tmp_path):
    model = fm.Sequential([fm.Input((5,)), guide_classes(fm)["Linear"](3, name="my_linear")])
    with pytest.raises(ValueError, match="my_linear.*not registered"):
        model.save(tmp_path / "m.keras")
    assert list(tmp_path.iterdir()) == []


def test_threads_predicting_through_a_traced_layer_agree():
    import concurrent.futures
    x, _ = data(7, rows=512)
    model = fm.Sequential([fm.Input((5,)), guide_classes(fm)["MLPBlock"](), fm.layers.Dense(2)])
    expected = model.predict(x, verbose=0)
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: model.predict(x, verbose=0), range(8)))
    for result in results:
        np.testing.assert_array_equal(result, expected)


def test_an_index_out_of_range_inside_a_traced_layer_is_an_exception_not_a_crash():
    class Lookup(fm.layers.Layer):
        def build(self, input_shape):
            self.table = self.add_weight(shape=(4, 3), name="table")

        def call(self, ids):
            return fm.ops.reshape(fm.ops.take(self.table, ids, axis=0), (-1, 6))

    model = fm.Sequential([fm.Input((2,)), Lookup(), fm.layers.Dense(1)])
    model.compile("sgd", "mse")
    good = np.array([[0, 3], [1, 2]], np.float32)
    assert model.predict(good, verbose=0).shape == (2, 1)
    model.fit(good, np.ones((2, 1)), epochs=1, verbose=0)
    with pytest.raises((IndexError, ValueError), match="out of range"):
        model.predict(np.array([[0, 7]], np.float32), verbose=0)
    with pytest.raises((IndexError, ValueError), match="out of range"):
        model.fit(np.array([[0, 9]], np.float32), np.ones((1, 1)), epochs=1, verbose=0)
    assert model.predict(good, verbose=0).shape == (2, 1)  # still usable


def test_an_added_loss_counts_in_evaluate_as_in_keras():
    keras = import_keras()
    x, y = data(9)
    results = []
    for K in (fm, keras):
        class Penalized(K.layers.Layer):
            def call(self, inputs):
                self.add_loss(K.ops.sum(K.ops.abs(inputs)) * 0.01)
                return inputs

        inputs = K.Input((5,))
        model = K.Model(inputs, K.layers.Dense(3)(Penalized()(inputs)))
        model.compile(optimizer="sgd", loss="mse")
        results.append(model)
    ours, theirs = results
    theirs.set_weights(ours.get_weights())
    np.testing.assert_allclose(ours.evaluate(x, y, verbose=0), theirs.evaluate(x, y, verbose=0), rtol=1e-5)


def test_layers_and_models_called_on_arrays_return_arrays_with_numpy():
    """Tutorials written for tensors call .numpy() on what a layer or model returns."""
    x = np.ones((2, 5), np.float32)
    dense = fm.layers.Dense(3)
    out = dense(x)
    assert isinstance(out, np.ndarray) and type(out.numpy()) is np.ndarray
    np.testing.assert_array_equal(out.numpy(), out)
    linear = guide_classes(fm)["Linear"](4)
    assert linear(x).numpy().shape == (2, 4)
    model = fm.Sequential([fm.Input((5,)), fm.layers.Dense(2)])
    np.testing.assert_array_equal(model(x).numpy(), model.predict(x, verbose=0))
    assert model(x, training=True).numpy().shape == (2, 2)


class EveryPrimitive(fm.layers.Layer):
    """A layer whose call uses every primitive of the graph (and the ops lowered onto them)."""

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], 4), initializer="random_normal", name="w")
        self.v = self.add_weight(shape=(4,), initializer="ones", name="v")

    def call(self, x):
        ops = fm.ops
        h = ops.matmul(x, self.w) + self.v                                    # (None, 4)
        p = ops.sigmoid(h) + 0.5                                              # positive
        t = ops.stack([h, -h], axis=1)                                        # (None, 2, 4)
        parts = [
            ops.exp(-ops.square(h)), ops.log(p), ops.sqrt(p), ops.abs(h), ops.sign(h), ops.reciprocal(p),
            ops.log1p(p), ops.expm1(-p), ops.tanh(h), ops.sin(h), ops.cos(h), ops.floor(h), ops.ceil(h),
            ops.round(h), ops.cast(h * 3.0, "int32"), ops.stop_gradient(h), ops.power(p, h),
            ops.maximum(h, 0.1), ops.minimum(h, -0.1), h / p - h * p,
            ops.cast(ops.equal(ops.floor(h), 0.0), "float32"), ops.cast(h != 0.5, "float32"),
            ops.cast(ops.greater(h, 0.0), "float32"), ops.cast(ops.less_equal(h, 0.2), "float32"),
            ops.cast(ops.logical_and(h > 0, p > 1), "float32"), ops.cast(ops.logical_or(h > 1, p < 1), "float32"),
            ops.cast(ops.logical_not(h > 0), "float32"), ops.cast(ops.isfinite(h), "float32"),
            ops.cast(ops.isnan(h), "float32"), ops.where(h > 0, h, p), ops.clip(h, -0.5, 0.5),
            ops.relu(h), ops.gelu(h), ops.softmax(h), ops.log_softmax(h), ops.softmax(t, axis=1)[:, 0],
            ops.broadcast_to(ops.expand_dims(ops.sum(h, axis=-1), -1), (None, 4)),
            ops.mean(t, axis=1), ops.max(t, axis=1), ops.min(t, axis=1), ops.logsumexp(t, axis=1),
            ops.reshape(ops.transpose(t, (0, 2, 1)), (-1, 8))[:, ::2], t[:, 1, ::-1],
            ops.take(h, np.array([3, 0, 1, 1]), axis=1), ops.cast(ops.argmax(t, axis=1), "float32"),
        ]
        return ops.concatenate(parts, axis=-1)


def test_a_traced_layer_of_every_primitive_exports_to_onnx(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    x, _ = data(10, rows=16)
    model = fm.Sequential([fm.Input((5,)), EveryPrimitive(), fm.layers.Dense(2)])
    model.export(tmp_path / "every.onnx", verbose=False)
    session = ort.InferenceSession(str(tmp_path / "every.onnx"), providers=["CPUExecutionProvider"])
    ours = model.predict(x, verbose=0)
    onnx_out = session.run(None, {session.get_inputs()[0].name: x})[0]
    print("max |onnx - fastmlp|:", np.max(np.abs(onnx_out - ours)))
    np.testing.assert_allclose(onnx_out, ours, rtol=1e-4, atol=1e-4)


def test_a_constraint_on_add_weight_projects_after_each_step_as_in_keras():
    keras = import_keras()
    x, y = data(11)
    models = []
    for K in (fm, keras):
        class NonNegative(K.layers.Layer):
            def build(self, input_shape):
                self.w = self.add_weight(shape=(input_shape[-1], 3), initializer="random_normal", name="w",
                                         constraint=K.constraints.NonNeg())

            def call(self, inputs):
                return K.ops.matmul(inputs, self.w)

        model = K.Sequential([K.Input((5,)), NonNegative()])
        model.compile(optimizer=K.optimizers.SGD(learning_rate=0.1), loss="mse")
        models.append(model)
    ours, theirs = models
    theirs.set_weights(ours.get_weights())
    ours.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    theirs.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    assert np.all(ours.get_weights()[0] >= 0) and np.any(ours.get_weights()[0] == 0)
    np.testing.assert_allclose(ours.get_weights()[0], np.asarray(theirs.get_weights()[0]), atol=2e-5)
