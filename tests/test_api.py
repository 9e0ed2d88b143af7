"""The Keras-style API: what a Keras user writes should work and return what Keras returns."""

import re
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import fastmlp as fm
from conftest import assert_close, make_model, reference_forward

Dense, Input = fm.layers.Dense, fm.layers.Input


@pytest.fixture
def blobs(rng):
    """Two well separated classes in 3 features, as float32, with 0/1 labels."""
    labels = rng.integers(0, 2, 60)
    x = (rng.normal(size=(60, 3)) + 2.0 * labels[:, None]).astype(np.float32)
    return x, labels.astype(np.float32)


def binary_model(seed=0, metrics=("accuracy",)):
    """3 -> Dense(4, relu) -> Dense(1, sigmoid), binary cross-entropy and Adam, seeded."""
    fm.utils.set_random_seed(seed)
    model = fm.Sequential([Dense(4, activation="relu", input_dim=3), Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=list(metrics))
    return model


# ---- building models -------------------------------------------------------------------------------
def test_sequential_from_list_equals_sequential_with_add(blobs):
    x, _ = blobs
    from_list = binary_model(seed=3)
    fm.utils.set_random_seed(3)
    with_add = fm.Sequential()
    with_add.add(Dense(4, activation="relu", input_dim=3))
    with_add.add(Dense(1, activation="sigmoid"))
    assert len(with_add.layers) == 2 and with_add.built
    for a, b in zip(from_list.get_weights(), with_add.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(from_list.predict(x, verbose=0), with_add.predict(x, verbose=0))


@pytest.mark.parametrize("declare", [
    lambda: [Dense(4, input_dim=3)],
    lambda: [Dense(4, input_shape=(3,))],
    lambda: [Input((3,)), Dense(4)],
    lambda: [Input(shape=(3,)), Dense(4)],
])
def test_ways_to_declare_the_input_width(declare):
    model = fm.Sequential(declare() + [Dense(2)])
    assert model.built
    assert model.input_shape == (None, 3)
    assert model.output_shape == (None, 2)
    assert [w.shape for w in model.get_weights()] == [(3, 4), (4,), (4, 2), (2,)]
    assert model.count_params() == 3 * 4 + 4 + 4 * 2 + 2


def test_deferred_build_happens_on_first_fit(blobs):
    x, y = blobs
    model = fm.Sequential([Dense(4, activation="relu"), Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    assert not model.built and model.layers[0].weights == []
    with pytest.raises(ValueError, match="input shape|fit"):
        model.layers[0].kernel
    model.fit(x, y, epochs=1, verbose=0)
    assert model.built and model.input_shape == (None, 3)
    assert model.layers[0].kernel.shape == (3, 4)
    assert model.predict(x, verbose=0).shape == (60, 1)


@pytest.mark.parametrize("first_use", ["predict", "call"])
def test_predict_or_a_call_builds_an_unbuilt_model_as_in_keras(blobs, first_use):
    x, _ = blobs
    model = fm.Sequential([Dense(4, activation="relu"), Dense(1, activation="sigmoid")])
    out = model.predict(x, verbose=0) if first_use == "predict" else model(x)
    assert model.built and model.input_shape == (None, 3) and out.shape == (60, 1)
    np.testing.assert_array_equal(out, model.predict(x, verbose=0))


def test_layer_names_are_unique_and_keras_like():
    model = fm.Sequential([Input((3,)), Dense(2), Dense(2), Dense(1, name="out")])
    names = [layer.name for layer in model.layers]
    assert names[2] == "out" and len(set(names)) == 3
    assert all(re.fullmatch(r"dense(_\d+)?", name) for name in names[:2])


# ---- data in -------------------------------------------------------------------------------------
@pytest.mark.parametrize("convert", [
    lambda a: a.tolist(),
    lambda a: a.astype(np.float64),
    lambda a: a.astype(np.int64),
    lambda a: a.astype(np.int32),
    lambda a: a > 0,
], ids=["list", "float64", "int64", "int32", "bool"])
def test_inputs_of_any_numeric_kind_give_float32_results(convert, rng):
    x = np.round(rng.normal(size=(10, 3)) * 3)  # integer values, so every dtype holds them exactly
    labels = (x[:, 0] > 0).astype(np.float32)
    model = binary_model()
    converted = convert(x)
    reference = np.asarray(converted).astype(np.float32)
    np.testing.assert_array_equal(model.predict(converted, verbose=0), model.predict(reference, verbose=0))
    assert model.evaluate(converted, labels, verbose=0) == model.evaluate(reference, labels, verbose=0)
    history = model.fit(convert(x), labels.tolist(), epochs=2, batch_size=4, verbose=0)
    assert len(history.history["loss"]) == 2


def test_bad_input_shapes_raise_value_errors(blobs):
    x, y = blobs
    model = binary_model()
    with pytest.raises(ValueError, match="3 input features"):
        model.predict(x[:, :2], verbose=0)
    with pytest.raises(ValueError, match="same number of samples"):
        model.fit(x, y[:-1], verbose=0)
    with pytest.raises(ValueError, match="reshape"):
        model.predict(x[:, 0], verbose=0)
    with pytest.raises(ValueError, match="NaN"):
        model.fit(np.where(x > 1, np.nan, x), y, verbose=0)


def test_invalid_targets_raise_value_errors(rng):
    x = rng.normal(size=(6, 4)).astype(np.float32)
    sparse = make_model(loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="labels must be integers"):
        sparse.fit(x, [0, 1, 2, 3, 0, 1], verbose=0)  # 3 is out of range for 3 classes
    with pytest.raises(ValueError, match="to_categorical"):
        make_model().fit(x, [0, 1, 2, 0, 1, 2], verbose=0)  # labels for a one-hot loss: a hint
    binary = make_model(output="sigmoid", loss="binary_crossentropy")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        binary.fit(x, np.full((6, 3), 2.0), verbose=0)


# ---- fit, evaluate, predict ----------------------------------------------------------------------
def test_fit_returns_history_with_validation_split(blobs):
    x, y = blobs
    model = binary_model()
    history = model.fit(x, y, epochs=3, batch_size=8, validation_split=0.25, verbose=0)
    assert isinstance(history, fm.callbacks.History) and model.history is history
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(values) == 3 for values in history.history.values())
    assert history.epoch == [0, 1, 2]
    # Keras holds out the last 25% of the samples, before shuffling.
    val_loss, val_accuracy = model.evaluate(x[45:], y[45:], verbose=0)
    assert history.history["val_loss"][-1] == pytest.approx(val_loss, rel=1e-6)
    assert history.history["val_accuracy"][-1] == pytest.approx(val_accuracy, abs=1e-12)


def test_fit_with_validation_data(blobs):
    x, y = blobs
    model = binary_model()
    history = model.fit(x[:40], y[:40], epochs=2, batch_size=8, validation_data=(x[40:], y[40:]), verbose=0)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(values) == 2 for values in history.history.values())
    assert history.history["val_loss"][-1] == pytest.approx(model.evaluate(x[40:], y[40:], verbose=0)[0], rel=1e-6)
    with pytest.raises(ValueError, match="validation_data"):
        model.fit(x, y, validation_data=(x,), verbose=0)


def test_fit_without_metrics_or_validation_records_only_the_loss(blobs):
    x, y = blobs
    history = binary_model(metrics=()).fit(x, y, epochs=4, verbose=0)
    assert list(history.history) == ["loss"] and len(history.history["loss"]) == 4


def test_training_loss_is_the_epoch_mean(blobs):
    """With one batch per epoch and no shuffling, an epoch's loss is the loss before its only step."""
    x, y = blobs
    model = binary_model()
    before = model.evaluate(x, y, verbose=0)
    history = model.fit(x, y, epochs=1, batch_size=len(x), shuffle=False, verbose=0)
    assert history.history["loss"][0] == pytest.approx(before[0], rel=1e-6)
    assert history.history["accuracy"][0] == pytest.approx(before[1], abs=1e-12)


def test_initial_epoch_resumes_numbering(blobs, capsys):
    x, y = blobs
    history = binary_model().fit(x, y, epochs=3, initial_epoch=1, verbose=1)
    assert history.epoch == [1, 2] and len(history.history["loss"]) == 2
    out = capsys.readouterr().out
    assert "Epoch 2/3" in out and "Epoch 3/3" in out and "Epoch 1/3" not in out


def test_evaluate_return_types(blobs):
    x, y = blobs
    plain = binary_model(metrics=())
    loss = plain.evaluate(x, y, verbose=0)
    assert isinstance(loss, float)
    with_metrics = binary_model(metrics=["accuracy"])
    loss_and_accuracy = with_metrics.evaluate(x, y, verbose=0)
    assert isinstance(loss_and_accuracy, list) and len(loss_and_accuracy) == 2
    assert loss_and_accuracy[0] == pytest.approx(loss, rel=1e-7)  # same seed, same weights
    logs = with_metrics.evaluate(x, y, verbose=0, return_dict=True)
    assert logs == {"loss": loss_and_accuracy[0], "accuracy": loss_and_accuracy[1]}
    # The values themselves, from the predictions.
    p = with_metrics.predict(x, verbose=0).ravel().astype(np.float64)
    q = np.clip(p, 1e-7, 1 - 1e-7)
    assert_close("evaluate loss vs NumPy BCE", logs["loss"], -np.mean(y * np.log(q) + (1 - y) * np.log(1 - q)),
                 rtol=1e-5, atol=1e-7)
    assert logs["accuracy"] == pytest.approx(np.mean((p > 0.5) == y), abs=1e-12)


def test_predict_shape_and_dtype(blobs):
    x, _ = blobs
    model = make_model("relu", "softmax", sizes=(3, 7, 5))
    out = model.predict(x, verbose=0)
    assert out.shape == (60, 5) and out.dtype == np.float32 and out.flags.c_contiguous
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-6)
    assert model.predict(x[:1], verbose=0).shape == (1, 5)
    np.testing.assert_array_equal(model.predict(x, batch_size=7, verbose=0), out)


def test_metric_names_resolve_as_in_keras(rng):
    x = rng.normal(size=(30, 4)).astype(np.float32)
    labels = rng.integers(0, 3, 30)
    model = make_model(loss="categorical_crossentropy", metrics=["accuracy", "mse", "mae"])
    logs = model.evaluate(x, fm.utils.to_categorical(labels, 3), verbose=0, return_dict=True)
    p = model.predict(x, verbose=0).astype(np.float64)
    one_hot = np.eye(3)[labels]
    assert list(logs) == ["loss", "accuracy", "mse", "mae"]
    assert logs["accuracy"] == pytest.approx(np.mean(p.argmax(1) == labels), abs=1e-12)
    assert_close("mse metric", logs["mse"], np.mean((p - one_hot) ** 2), rtol=1e-5, atol=1e-7)
    assert_close("mae metric", logs["mae"], np.mean(np.abs(p - one_hot)), rtol=1e-5, atol=1e-7)
    sparse = make_model(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    assert sparse.evaluate(x, labels, verbose=0)[1] == pytest.approx(
        np.mean(sparse.predict(x, verbose=0).argmax(1) == labels), abs=1e-12)


def test_predict_and_evaluate_over_many_chunks_match_numpy(rng):
    """2500 rows cross the core's 1024-row inference chunks; four layers use both ping-pong buffers."""
    sizes, activations = (5, 9, 7, 6, 4), ["elu", "tanh", "sigmoid", "softmax"]
    fm.utils.set_random_seed(0)
    model = fm.Sequential([Input((sizes[0],))] + [Dense(units, activation=name)
                                                  for units, name in zip(sizes[1:], activations)])
    model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
    x = rng.normal(size=(2500, sizes[0])).astype(np.float32)
    labels = rng.integers(0, 4, 2500)
    expected = reference_forward(model.get_weights(), activations, x)[1][-1]
    predicted = model.predict(x, verbose=0)
    assert_close("predict over 2500 rows vs NumPy", predicted, expected, rtol=1e-5, atol=1e-6)
    loss, accuracy = model.evaluate(x, fm.utils.to_categorical(labels, 4), verbose=0)
    assert_close("evaluate over 2500 rows vs NumPy", loss, -np.mean(np.log(expected[np.arange(2500), labels])),
                 rtol=1e-5, atol=1e-6)
    assert accuracy == pytest.approx(np.mean(predicted.argmax(1) == labels), abs=1e-12)


def test_concurrent_predictions_from_threads(rng):
    """predict releases the GIL and shares no buffers, so threads may call it at once."""
    model = make_model("relu", "softmax", sizes=(4, 64, 3))
    inputs = [rng.normal(size=(3000, 4)).astype(np.float32) for _ in range(4)]
    expected = [model.predict(x, verbose=0) for x in inputs]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda x: model.predict(x, verbose=0), inputs))
    for got, want in zip(results, expected):
        np.testing.assert_array_equal(got, want)


def test_dense_without_bias(rng):
    fm.utils.set_random_seed(0)
    model = fm.Sequential([Dense(3, activation="tanh", use_bias=False, input_dim=2)])
    model.compile(optimizer=fm.optimizers.SGD(learning_rate=0.1), loss="mse")
    layer = model.layers[0]
    assert layer.bias is None and len(model.get_weights()) == 1 and model.count_params() == 6
    x, y = rng.normal(size=(4, 2)).astype(np.float32), rng.normal(size=(4, 3)).astype(np.float32)
    np.testing.assert_allclose(model.predict(x, verbose=0), np.tanh(x @ layer.kernel), rtol=1e-6, atol=1e-7)
    kernel = layer.kernel.astype(np.float64)
    a = np.tanh(x @ kernel)
    expected = kernel - 0.1 * x.T @ ((2 * (a - y) / a.size) * (1 - a ** 2))
    model.train_on_batch(x, y)
    assert_close("kernel after one SGD step without bias", layer.kernel, expected, rtol=1e-5, atol=1e-7)


def test_non_numeric_inputs_raise_type_error():
    model = binary_model()
    with pytest.raises(TypeError, match="numbers"):
        model.predict([["a", "b", "c"]], verbose=0)
    with pytest.raises(TypeError, match="real"):
        model.predict(np.ones((2, 3), np.complex64), verbose=0)
    with pytest.raises(TypeError, match="unexpected"):
        Dense(2, activaton="relu")


# ---- output ----------------------------------------------------------------------------------------
def test_summary_of_the_digits_network(capsys):
    model = fm.Sequential([Input((64,)), Dense(50, activation="sigmoid", name="hidden"),
                           Dense(10, activation="softmax", name="probabilities")], name="digits")
    model.summary()
    out = capsys.readouterr().out
    print(out)
    assert 'Model: "digits"' in out
    assert re.search(r"hidden \(Dense\)\s*│ \(None, 50\)\s*│\s*3,250", out)
    assert re.search(r"probabilities \(Dense\)\s*│ \(None, 10\)\s*│\s*510", out)
    assert "Total params: 3,760" in out and "Trainable params: 3,760" in out
    assert model.count_params() == 3760


def test_verbose_1_prints_epochs_and_a_progress_line(blobs, capsys):
    x, y = blobs
    binary_model().fit(x, y, epochs=2, batch_size=16, verbose=1)
    out = capsys.readouterr().out
    print(out)
    assert "Epoch 1/2" in out and "Epoch 2/2" in out
    progress = [line for line in out.splitlines() if re.match(r"\s*4/4 ", line)]
    assert len(progress) == 2
    assert all(re.search(r"accuracy: \d\.\d{4}.*loss: \d\.\d{4}", line) for line in progress)


def test_verbose_0_prints_nothing(blobs, capsys):
    x, y = blobs
    model = binary_model()
    model.fit(x, y, epochs=2, verbose=0)
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    assert capsys.readouterr().out == ""


# ---- weights -------------------------------------------------------------------------------------
def test_get_set_weights_round_trip(blobs):
    x, y = blobs
    model = binary_model(seed=1)
    saved = model.get_weights()
    before = model.predict(x, verbose=0)
    model.fit(x, y, epochs=3, verbose=0)
    assert not np.array_equal(model.predict(x, verbose=0), before)
    model.set_weights(saved)
    np.testing.assert_array_equal(model.predict(x, verbose=0), before)
    other = binary_model(seed=2)
    other.set_weights(saved)
    for a, b in zip(other.get_weights(), saved):
        np.testing.assert_array_equal(a, b)
    model.layers[0].set_weights([w.astype(np.float64) for w in saved[:2]])  # converted to float32
    np.testing.assert_array_equal(model.layers[0].kernel, saved[0])


def test_set_weights_with_wrong_shapes_raises_and_changes_nothing():
    model = binary_model()
    saved = model.get_weights()
    bad_shape = [np.zeros((4, 3))] + saved[1:]
    for bad in (bad_shape, saved[:-1], saved + [np.zeros(1)]):
        with pytest.raises(ValueError):
            model.set_weights(bad)
    last_bad = [np.ones_like(w) for w in saved[:-1]] + [np.zeros((2,))]
    with pytest.raises(ValueError):
        model.set_weights(last_bad)
    with pytest.raises(ValueError):
        model.layers[0].set_weights([np.ones((3, 4)), np.ones(5)])
    for a, b in zip(model.get_weights(), saved):
        np.testing.assert_array_equal(a, b)


def test_kernel_initializer_callable_is_used(blobs):
    calls = []

    def initializer(shape, dtype=None):
        calls.append((tuple(shape), dtype))
        return np.arange(np.prod(shape), dtype=np.float64).reshape(shape) / 10

    x, y = blobs
    eager = fm.Sequential([Dense(4, kernel_initializer=initializer, bias_initializer=lambda s, dtype=None: np.ones(s),
                                 input_dim=3)])
    np.testing.assert_array_equal(eager.layers[0].kernel, np.arange(12, dtype=np.float32).reshape(3, 4) / 10)
    np.testing.assert_array_equal(eager.layers[0].bias, np.ones(4))
    deferred = fm.Sequential([Dense(4, activation="relu"), Dense(1, kernel_initializer=initializer)])
    deferred.compile(optimizer=fm.optimizers.SGD(learning_rate=0.0), loss="mse")
    deferred.fit(x, y, epochs=1, verbose=0)  # built here, for 3 features
    np.testing.assert_array_equal(deferred.layers[1].kernel, np.arange(4, dtype=np.float32).reshape(4, 1) / 10)
    assert [shape for shape, _ in calls] == [(3, 4), (4, 1)]
    with pytest.raises(ValueError, match="shape"):
        fm.Sequential([Dense(2, kernel_initializer=lambda shape, dtype=None: np.zeros(3), input_dim=3)])


def test_named_initializers():
    model = fm.Sequential([Dense(3, kernel_initializer="ones", bias_initializer="zeros", input_dim=2),
                           Dense(200, kernel_initializer="glorot_uniform")])
    np.testing.assert_array_equal(model.layers[0].kernel, np.ones((2, 3)))
    limit = np.sqrt(6 / (3 + 200))
    kernel = model.layers[1].kernel
    assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.9 * limit
    with pytest.raises(ValueError, match="glorot_uniform"):
        Dense(2, kernel_initializer="nope")


# ---- utils ---------------------------------------------------------------------------------------
def test_to_categorical():
    out = fm.utils.to_categorical([2, 0, 1, 2])
    np.testing.assert_array_equal(out, np.eye(3)[[2, 0, 1, 2]])
    assert out.dtype == np.float32
    assert fm.utils.to_categorical(np.array([[1], [0]]), num_classes=4).shape == (2, 4)
    np.testing.assert_array_equal(fm.utils.to_categorical(np.array([1.0, 0.0])), [[0, 1], [1, 0]])
    with pytest.raises(ValueError):
        fm.utils.to_categorical([0, 5], num_classes=3)
    with pytest.raises(ValueError):
        fm.utils.to_categorical([-1, 0])
    with pytest.raises(ValueError):
        fm.utils.to_categorical([0.5, 1.0])


def test_set_random_seed_makes_runs_bit_identical(blobs):
    x, y = blobs

    def run(seed):
        model = binary_model(seed=seed)
        history = model.fit(x, y, epochs=3, batch_size=8, verbose=0)  # shuffled batches
        return model.get_weights(), history.history["loss"]

    first, second, other = run(5), run(5), run(6)
    for a, b in zip(first[0], second[0]):
        np.testing.assert_array_equal(a, b)
    assert first[1] == second[1]
    assert not np.array_equal(first[0][0], other[0][0])
    with pytest.raises(ValueError):
        fm.utils.set_random_seed(-1)


def test_shuffle_changes_the_batches_but_not_the_data(blobs):
    """Shuffled and unshuffled runs from the same weights differ after an epoch of several batches."""
    x, y = blobs
    runs = []
    for shuffle in (True, False):
        model = binary_model(seed=4)
        model.fit(x, y, epochs=1, batch_size=8, shuffle=shuffle, verbose=0)
        runs.append(model.get_weights()[0])
    assert not np.array_equal(*runs)


# ---- errors with helpful messages ----------------------------------------------------------------
def test_unknown_activation_lists_valid_names():
    with pytest.raises(ValueError, match="unknown activation 'swishy'.*relu.*softmax"):
        Dense(2, activation="swishy")


def test_unknown_loss_lists_valid_names():
    model = fm.Sequential([Dense(2, input_dim=3)])
    with pytest.raises(ValueError, match="unknown loss 'hinge2'.*mean_squared_error.*categorical_crossentropy"):
        model.compile(optimizer="adam", loss="hinge2")


def test_unknown_optimizer_lists_valid_names():
    model = fm.Sequential([Dense(2, input_dim=3)])
    with pytest.raises(ValueError, match="unknown optimizer 'adamw2'.*adam.*rmsprop.*sgd"):
        model.compile(optimizer="adamw2", loss="mse")


def test_unknown_metric_lists_valid_names():
    model = fm.Sequential([Dense(2, input_dim=3)])
    with pytest.raises(ValueError, match="unknown metric 'f1'.*accuracy.*mae"):
        model.compile(optimizer="adam", loss="mse", metrics=["f1"])


def test_fit_before_compile_and_bad_arguments(blobs):
    x, y = blobs
    model = fm.Sequential([Dense(1, input_dim=3)])
    with pytest.raises(RuntimeError, match="compile"):
        model.fit(x, y, verbose=0)
    model.compile(optimizer="sgd", loss="mse")
    for kwargs in ({"batch_size": 0}, {"epochs": -1}, {"validation_split": 1.0}, {"verbose": 3}):
        with pytest.raises(ValueError):
            model.fit(x, y, **kwargs)
    with pytest.raises(ValueError, match="units"):
        Dense(0)
    with pytest.raises(ValueError, match="Input must come before"):
        fm.Sequential([Dense(2, input_dim=3), Input((2,))])


# ---- callbacks -----------------------------------------------------------------------------------
def test_callbacks_see_every_batch_and_epoch_and_can_stop_training(blobs):
    x, y = blobs

    class Recorder(fm.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.batches, self.epochs = [], []

        def on_train_batch_end(self, batch, logs=None):
            self.batches.append(batch)

        def on_epoch_end(self, epoch, logs=None):
            self.epochs.append((epoch, sorted(logs)))
            if epoch == 1:
                self.model.stop_training = True

    recorder = Recorder()
    history = binary_model().fit(x, y, epochs=5, batch_size=16, verbose=0, callbacks=[recorder])
    assert recorder.batches == [0, 1, 2, 3] * 2  # 60 samples: 4 batches per epoch
    assert recorder.epochs == [(0, ["accuracy", "loss"]), (1, ["accuracy", "loss"])]
    assert len(history.history["loss"]) == 2


def test_batch_logs_are_running_means_ending_at_the_epoch_logs(blobs):
    x, y = blobs
    seen = []

    class Recorder(fm.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(dict(logs))

        def on_epoch_end(self, epoch, logs=None):
            seen.append(("end", dict(logs)))

    binary_model().fit(x, y, epochs=1, batch_size=16, verbose=0, callbacks=[Recorder()])
    *batches, (_, epoch_logs) = seen
    assert len(batches) == 4 and batches[-1] == epoch_logs


def test_exception_in_a_callback_stops_fit_and_propagates(blobs):
    x, y = blobs

    class Failing(fm.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise KeyError("stop here")

    model = binary_model()
    with pytest.raises(KeyError, match="stop here"):
        model.fit(x, y, epochs=5, verbose=0, callbacks=[Failing()])
    assert model.optimizer.iterations == 2 * 2  # two epochs of two batches of 32, then the exception
    assert len(model.fit(x, y, epochs=1, verbose=0).history["loss"]) == 1  # still usable


# ---- threads -------------------------------------------------------------------------------------
def test_set_and_get_num_threads(threads_restored, blobs):
    x, _ = blobs
    model = make_model("relu", "softmax", sizes=(3, 300, 3))
    fm.set_num_threads(1)
    assert fm.get_num_threads() == 1
    single = model.predict(np.tile(x, (100, 1)), verbose=0)
    fm.set_num_threads(2)
    assert fm.get_num_threads() == 2
    np.testing.assert_allclose(model.predict(np.tile(x, (100, 1)), verbose=0), single, rtol=1e-5, atol=1e-7)
    fm.set_num_threads(0)  # back to the default
    assert fm.get_num_threads() >= 1


# ---- known bugs (see the report) -----------------------------------------------------------------
def test_train_on_batch_after_adding_a_layer(rng):
    """Keras lets a model grow after training. Sequential::train_on_batch (cpp/src/sequential.cpp) only
    sizes the training buffers when the batch is larger than the last one, so a layer added after a
    first train_on_batch has no buffers and forward() throws 'exceeds the reserved 0'."""
    x = rng.normal(size=(8, 4)).astype(np.float32)
    model = fm.Sequential([Input((4,)), Dense(3)])
    model.compile(optimizer="sgd", loss="mse")
    model.train_on_batch(x, np.zeros((8, 3)))
    model.add(Dense(2))
    model.compile(optimizer="sgd", loss="mse")
    expected = np.mean(model.predict(x, verbose=0).astype(np.float64) ** 2)  # the loss before the step
    assert model.train_on_batch(x, np.zeros((8, 2))) == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("metric", ["mse", "mae", "binary_accuracy"])
def test_elementwise_metric_with_sparse_labels_stays_in_bounds(metric, rng):
    """With sparse labels y_true has 1 column but the output has k. Metric::sum (cpp/src/metrics.cpp)
    evaluates (y_pred - y_true) over (n, k) without a shape check, so in a Release build Eigen reads past
    the end of y_true. Keras broadcasts the (n, 1) labels against the (n, k) outputs; a ValueError at
    compile or evaluate time, naming the metric, is what fastmlp does. Anything else is a wrong (and unsafe) number."""
    x = rng.normal(size=(50, 4)).astype(np.float32)
    labels = rng.integers(0, 3, 50)
    try:
        model = make_model(loss="sparse_categorical_crossentropy", metrics=[metric])
        value = model.evaluate(x, labels, verbose=0)[1]
    except ValueError as error:
        assert metric in str(error)
        return
    p = model.predict(x, verbose=0).astype(np.float64)
    y = labels[:, None].astype(np.float64)
    expected = {"mse": np.mean((p - y) ** 2), "mae": np.mean(np.abs(p - y)),
                "binary_accuracy": np.mean((p > 0.5) == y)}[metric]
    assert_close(f"{metric} with sparse labels vs Keras's broadcast", value, expected, rtol=1e-5, atol=1e-7)


def test_summary_columns_fit_long_names_and_keras_auto_names(capsys):
    model = fm.Sequential([Input((4,)), Dense(3), fm.layers.BatchNormalization(), fm.layers.PReLU()])
    assert model.layers[2].name.startswith("p_re_lu")  # Keras 3's snake_case of "PReLU"
    model.summary()
    lines = [line for line in capsys.readouterr().out.splitlines() if line[:1] in "┏┃┡│├└"]
    assert len({len(line) for line in lines}) == 1  # every row as wide as the rules: nothing overflows
    assert any("batch_normalization (BatchNormalization) │" in line for line in lines)
