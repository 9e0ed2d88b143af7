"""Data given batch by batch (generators, iterables, torch DataLoaders, PyDatasets): the same training
as arrays where the batches are the same, Keras 3's epoch and step counting (checked against real
Keras), errors that surface as themselves; and the round-1 misses of issue 23 (a model as a
Sequential's first layer, model.save("m.h5"), Model.compiled) and refused train_step overrides."""

import logging
import math
import pickle
import threading
import warnings

import numpy as np
import pytest
from conftest import assert_close
from interop_fixtures import import_keras

import fastmlp as fm

ROWS, FEATURES, BATCH = 96, 5, 16
# Keras's torch backend notices (NumPy 2's __array__ copy keyword) while it predicts.
KERAS_NOTICES = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(autouse=True)
def fresh_names():
    """Layer names start again after each test, so that tests which read auto names do not depend on these."""
    yield
    fm.utils.clear_session()


def data(rows=ROWS, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, FEATURES)).astype(np.float32)
    y = (x[:, :1] + 0.5 * x[:, 1:2] > 0).astype(np.float32)
    return x, y


def make_model(seed=1, optimizer="adam"):
    fm.utils.set_random_seed(seed)
    model = fm.Sequential([fm.Input((FEATURES,)), fm.layers.Dense(8, activation="relu"),
                           fm.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer, "binary_crossentropy", metrics=["accuracy"])
    return model


def batches(x, y, size=BATCH):
    return [(x[i:i + size], y[i:i + size]) for i in range(0, len(x), size)]


def trained_on_arrays(epochs=2):
    x, y = data()
    model = make_model()
    history = model.fit(x, y, batch_size=BATCH, epochs=epochs, shuffle=False, verbose=0)
    return model, history


def assert_same_training(model, history, reference, reference_history):
    for mine, theirs in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(mine, theirs)
    assert history.history.keys() == reference_history.history.keys()
    for key, values in reference_history.history.items():
        np.testing.assert_allclose(history.history[key], values, rtol=1e-6, err_msg=key)


class Batches(fm.utils.PyDataset):
    def __init__(self, x, y, size=BATCH, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.size = x, y, size
        self.epoch_ends = 0
        self.read = []

    def __len__(self):
        return math.ceil(len(self.x) / self.size)

    def __getitem__(self, index):
        self.read.append(index)
        rows = slice(index * self.size, (index + 1) * self.size)
        return self.x[rows], self.y[rows]

    def on_epoch_end(self):
        self.epoch_ends += 1


class Reiterable:
    """An iterable (not an iterator) of batches: a new pass per epoch."""

    def __init__(self, items):
        self.items = items

    def __iter__(self):
        return iter(self.items)


# ---- each kind of source trains as the arrays do -----------------------------------------------------------
def test_a_generator_with_steps_per_epoch_trains_as_arrays_do():
    reference, reference_history = trained_on_arrays(epochs=3)
    x, y = data()

    def endless():
        while True:
            yield from batches(x, y)

    model = make_model()
    history = model.fit(endless(), steps_per_epoch=len(batches(x, y)), epochs=3, verbose=0)
    assert_same_training(model, history, reference, reference_history)


def test_a_generator_that_refills_one_buffer_trains_as_arrays_do():
    """Batches read ahead must not be overwritten by a generator that reuses its arrays in place."""
    reference, reference_history = trained_on_arrays(epochs=1)
    x, y = data()
    buffer_x, buffer_y = np.empty((BATCH, FEATURES), np.float32), np.empty((BATCH, 1), np.float32)

    def refilled():
        for first in range(0, ROWS, BATCH):
            buffer_x[:], buffer_y[:] = x[first:first + BATCH], y[first:first + BATCH]
            yield buffer_x, buffer_y

    model = make_model()
    history = model.fit(refilled(), verbose=0)
    assert_same_training(model, history, reference, reference_history)


@pytest.mark.parametrize("kind", ["pydataset", "iterable", "sequence_protocol"])
def test_sources_that_restart_each_epoch_train_as_arrays_do(kind):
    reference, reference_history = trained_on_arrays(epochs=2)
    x, y = data()
    if kind == "pydataset":
        source = Batches(x, y)
    elif kind == "iterable":
        source = Reiterable(batches(x, y))
    else:  # Keras 2's Sequence protocol on a plain class: __len__, __getitem__, on_epoch_end
        class Plain:
            def __len__(self):
                return len(batches(x, y))

            def __getitem__(self, index):
                return batches(x, y)[index]

            def on_epoch_end(self):
                pass
        source = Plain()
    model = make_model()
    history = model.fit(source, epochs=2, shuffle=False, verbose=0)
    assert_same_training(model, history, reference, reference_history)
    if kind == "pydataset":
        assert source.epoch_ends == 3 and source.read == list(range(6)) * 2  # one more before, as Keras


def test_a_pydataset_is_read_in_a_new_order_each_epoch_when_shuffled():
    x, y = data()
    source = Batches(x, y)
    make_model().fit(source, epochs=2, verbose=0)  # shuffle=True, Keras's default
    first, second = source.read[:6], source.read[6:]
    assert sorted(first) == sorted(second) == list(range(6)) and (first != list(range(6)) or second != first)


def test_a_torch_data_loader_of_tensors_trains_as_arrays_do():
    torch = pytest.importorskip("torch")
    reference, reference_history = trained_on_arrays(epochs=2)
    x, y = data()
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)),
                                         batch_size=BATCH, shuffle=False)
    model = make_model()
    history = model.fit(loader, epochs=2, verbose=0)
    assert_same_training(model, history, reference, reference_history)
    tensors_only = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.from_numpy(x)), batch_size=10)
    np.testing.assert_array_equal(model.predict(tensors_only, verbose=0), model.predict(x, verbose=0))


def test_anything_with_numpy_and_dict_inputs_of_a_two_input_model():
    x, y = data()

    class Tensor:  # a tensor type fastmlp does not know, with .numpy()
        def __init__(self, array):
            self.array = array

        def numpy(self):
            return self.array

    def model():
        fm.utils.set_random_seed(2)
        a, b = fm.Input((3,), name="a"), fm.Input((2,), name="b")
        out = fm.layers.Dense(1, activation="sigmoid")(fm.layers.Concatenate()([fm.layers.Dense(4)(a), b]))
        built = fm.Model([a, b], out)
        built.compile("sgd", "binary_crossentropy")
        return built

    reference = model()
    reference.fit({"a": x[:, :3], "b": x[:, 3:]}, y, batch_size=BATCH, shuffle=False, verbose=0)
    streamed = model()
    streamed.fit(({"a": Tensor(x[i:i + BATCH, :3]), "b": Tensor(x[i:i + BATCH, 3:])}, Tensor(y[i:i + BATCH]))
                 for i in range(0, ROWS, BATCH))
    for mine, theirs in zip(streamed.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(mine, theirs)


def test_a_model_subclass_is_traced_on_the_first_batch():
    class Small(fm.Model):
        def __init__(self):
            super().__init__()
            self.hidden = fm.layers.Dense(8, activation="relu")
            self.out = fm.layers.Dense(1, activation="sigmoid")

        def call(self, inputs):
            return self.out(self.hidden(inputs))

    x, y = data()
    models = []
    for source in ((x, y), iter(batches(x, y))):
        fm.utils.set_random_seed(3)
        model = Small()
        model.compile("adam", "binary_crossentropy")
        assert model.compiled  # before its call() is traced, as in Keras
        if isinstance(source, tuple):
            model.fit(*source, batch_size=BATCH, shuffle=False, verbose=0)
        else:
            model.fit(source, verbose=0)
        models.append(model)
    for mine, theirs in zip(models[1].get_weights(), models[0].get_weights()):
        np.testing.assert_array_equal(mine, theirs)


# (Python 3.12+ notes that forking a process with threads may deadlock; Keras's pools fork the same way.)
@pytest.mark.filterwarnings("ignore:This process:DeprecationWarning")
def test_workers_read_in_threads_and_processes_in_order():
    reference, reference_history = trained_on_arrays(epochs=2)
    x, y = data()
    for options in ({"workers": 3}, {"workers": 2, "use_multiprocessing": True}):
        model = make_model()
        history = model.fit(Batches(x, y, max_queue_size=2, **options), epochs=2, shuffle=False, verbose=0)
        assert_same_training(model, history, reference, reference_history)


def test_sample_weights_class_weights_steps_and_an_unbuilt_model():
    x, y = data()
    weights = np.linspace(0.5, 2.0, ROWS).astype(np.float32)
    reference = make_model()
    reference.fit(x, y, batch_size=BATCH, sample_weight=weights, shuffle=False, verbose=0)
    model = make_model()
    model.fit((x[i:i + BATCH], y[i:i + BATCH], weights[i:i + BATCH]) for i in range(0, ROWS, BATCH))
    for mine, theirs in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(mine, theirs)
    reference = make_model()
    reference.fit(x, y, batch_size=BATCH, class_weight={0: 0.3, 1: 3.0}, shuffle=False, verbose=0)
    model = make_model()
    model.fit(Batches(x, y), class_weight={0: 0.3, 1: 3.0}, shuffle=False, verbose=0)
    for mine, theirs in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(mine, theirs)

    def endless():
        while True:
            yield x[:BATCH]

    assert model.predict(endless(), steps=3, verbose=0).shape == (3 * BATCH, 1)
    unbuilt = fm.Sequential([fm.layers.Dense(3), fm.layers.Dense(1)])
    unbuilt.compile("sgd", "mse")
    unbuilt.fit(iter(batches(x, y)), verbose=0)  # built for the first batch's width
    assert unbuilt.input_shape == (None, FEATURES)


# ---- logs, steps and callbacks ----------------------------------------------------------------------------------
def test_epoch_logs_are_weighted_by_batch_size_and_batches_may_differ_in_size():
    x, y = data()
    sizes = [5, 30, 1, 60]
    edges = np.cumsum([0] + sizes)
    model = make_model(optimizer=fm.optimizers.SGD(learning_rate=0.0))  # the weights stay: logs = evaluate
    history = model.fit(((x[a:b], y[a:b]) for a, b in zip(edges, edges[1:])), verbose=0)
    loss, accuracy = model.evaluate(x, y, verbose=0)
    assert history.history["loss"][0] == pytest.approx(loss, rel=1e-6)
    assert history.history["accuracy"][0] == pytest.approx(accuracy, rel=1e-6)
    ones = np.ones(ROWS, np.float32)
    weighted = model.evaluate(iter([(x[:40], y[:40], ones[:40] * 2), (x[40:], y[40:], ones[40:])]), verbose=0)
    assert weighted[0] == pytest.approx(model.evaluate(x, y, sample_weight=np.r_[ones[:40] * 2, ones[40:]],
                                                       verbose=0)[0], rel=1e-6)


@KERAS_NOTICES
def test_batches_of_different_sizes_train_and_log_as_in_keras():
    """The same generator of batches of 5, 30, 1 and 60 rows, two epochs: Keras's weights and its
    epoch logs (each batch weighted by its size)."""
    keras = import_keras()
    x, y = data()
    edges = np.cumsum([0, 5, 30, 1, 60])

    def endless():
        while True:
            yield from ((x[a:b], y[a:b]) for a, b in zip(edges, edges[1:]))

    ours = fm.Sequential([fm.Input((FEATURES,)), fm.layers.Dense(1, activation="sigmoid")])
    ours.compile(fm.optimizers.SGD(learning_rate=0.5), "binary_crossentropy", metrics=["accuracy"])
    theirs = keras.Sequential([keras.Input((FEATURES,)), keras.layers.Dense(1, activation="sigmoid")])
    theirs.compile(keras.optimizers.SGD(learning_rate=0.5), "binary_crossentropy", metrics=["accuracy"])
    theirs.set_weights(ours.get_weights())
    mine = ours.fit(endless(), steps_per_epoch=4, epochs=2, verbose=0).history
    keras_history = theirs.fit(endless(), steps_per_epoch=4, epochs=2, shuffle=False, verbose=0).history
    for key in ("loss", "accuracy"):
        assert_close(key, np.array(mine[key]), np.array(keras_history[key]), 1e-5, 1e-6)
    for index, (a, b) in enumerate(zip(ours.get_weights(), theirs.get_weights())):
        assert_close(f"weight {index}", a, b, 1e-5, 1e-6)


class Counter(fm.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.train, self.test, self.epochs = [], [], 0

    def on_epoch_begin(self, epoch, logs=None):
        self.train.append(0)
        self.test.append(0)

    def on_train_batch_end(self, batch, logs=None):
        self.train[-1] += 1

    def on_test_batch_end(self, batch, logs=None):
        self.test[-1] += 1


def test_steps_per_epoch_and_validation_steps_count_batches():
    x, y = data()
    x_val, y_val = data(48, seed=5)

    def endless(a, b, size):
        while True:
            yield from batches(a, b, size)

    counter = Counter()
    model = make_model()
    history = model.fit(endless(x, y, BATCH), steps_per_epoch=4, epochs=3, callbacks=[counter], verbose=0,
                        validation_data=endless(x_val, y_val, 12), validation_steps=2)
    assert counter.train == [4, 4, 4] and counter.test == [2, 2, 2]
    # The last epoch's validation saw the validation generator's batches 6 and 7 (it continues across
    # epochs, as Keras's cached evaluation iterator does): the final weights on those rows.
    last = batches(x_val, y_val, 12)[(3 * 2 - 2) % 4:][:2]
    expected = model.evaluate(np.concatenate([b[0] for b in last]), np.concatenate([b[1] for b in last]), verbose=0)
    assert history.history["val_loss"][-1] == pytest.approx(expected[0], rel=1e-5)
    # Arrays for x with a generator for validation: validation runs from the core's epoch end.
    arrays = make_model().fit(x, y, epochs=2, verbose=0, validation_data=Batches(x_val, y_val, 12))
    assert len(arrays.history["val_loss"]) == 2 and "val_accuracy" in arrays.history


def test_early_stopping_and_the_progress_bar_work_as_for_arrays(capsys):
    x, y = data()
    model = make_model()
    stop = fm.callbacks.EarlyStopping(monitor="loss", patience=0, min_delta=10.0)
    history = model.fit(Batches(x, y), epochs=5, callbacks=[stop], verbose=2)
    assert len(history.history["loss"]) == 2
    out = capsys.readouterr().out
    assert "Epoch 1/5" in out and "6/6" in out and "loss:" in out


def test_a_generator_is_consumed_across_epochs_as_keras_consumes_it():
    """Keras stops taking batches at steps_per_epoch * epochs, warns when the data runs out first, and
    keeps the epochs it trained."""
    keras = import_keras()
    x, y = data()

    def counted(taken, count):
        for index in range(count):
            taken.append(index)
            yield batches(x, y)[index % 6]

    results = {}
    for name in ("keras", "fastmlp"):
        taken = []
        if name == "keras":
            model = keras.Sequential([keras.Input((FEATURES,)), keras.layers.Dense(1, activation="sigmoid")])
        else:
            model = fm.Sequential([fm.Input((FEATURES,)), fm.layers.Dense(1, activation="sigmoid")])
        model.compile("sgd", "binary_crossentropy")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")  # (Keras's own deprecation notices among them)
            history = model.fit(counted(taken, 10), steps_per_epoch=4, epochs=3, shuffle=False, verbose=0)
            ran_out = [str(w.message) for w in caught if "ran out" in str(w.message)]
            seen = len(caught)
            full = []
            model.fit(counted(full, 10), steps_per_epoch=3, epochs=2, shuffle=False, verbose=0)
            quiet = [str(w.message) for w in caught[seen:] if "ran out" in str(w.message)]
        results[name] = (len(taken), len(history.history["loss"]), ran_out, len(full), quiet)
    assert results["fastmlp"] == results["keras"]


@KERAS_NOTICES
def test_a_real_keras_pydataset_trains_as_in_keras():
    """A keras.utils.PyDataset subclass: the same weights as arrays, and the same reads and
    on_epoch_end calls as Keras makes (training, validation passes with validation_steps, evaluate)."""
    keras = import_keras()
    x, y = data()

    class KerasBatches(keras.utils.PyDataset):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.events = []

        def __len__(self):
            return 6

        def __getitem__(self, index):
            self.events.append(index)
            return batches(x, y)[index]

        def on_epoch_end(self):
            self.events.append("end")

    reference, reference_history = trained_on_arrays(epochs=2)
    model = make_model()
    history = model.fit(KerasBatches(), epochs=2, shuffle=False, verbose=0)
    assert_same_training(model, history, reference, reference_history)

    def events(library_model):
        train, validation, evaluation = KerasBatches(), KerasBatches(), KerasBatches()
        library_model.fit(train, epochs=2, shuffle=False, verbose=0, validation_data=validation, validation_steps=4)
        library_model.evaluate(evaluation, verbose=0)
        return train.events, validation.events, evaluation.events

    keras_model = keras.Sequential([keras.Input((FEATURES,)), keras.layers.Dense(1, activation="sigmoid")])
    keras_model.compile("sgd", "binary_crossentropy")
    keras_model.fit(x, y, verbose=0)  # built, so that Keras reads no batch just to build
    assert events(model) == events(keras_model)


# ---- errors ------------------------------------------------------------------------------------------------------
class Broken(Exception):
    pass


def test_an_exception_in_the_generator_surfaces_as_itself():
    x, y = data()

    def failing():
        yield from batches(x, y)[:2]
        raise Broken("batch 3 could not be read")

    model = make_model()
    before = threading.active_count()
    with pytest.raises(Broken, match="batch 3"):
        model.fit(failing(), epochs=1, verbose=0)

    class FailingBatches(Batches):
        def __getitem__(self, index):
            if index == 4:
                raise Broken("index 4")
            return super().__getitem__(index)

    for options in ({}, {"workers": 2}):
        with pytest.raises(Broken, match="index 4"):
            model.fit(FailingBatches(x, y, **options), epochs=1, verbose=0)
    with pytest.raises(Broken):
        model.predict((b[0] if i < 3 else (_ for _ in ()).throw(Broken())) for i, b in enumerate(batches(x, y)))
    with pytest.raises(ValueError, match=r"batch.*5 input features|expects 5 input features"):
        model.fit(iter([(x[:4, :3], y[:4])]), verbose=0)
    assert threading.active_count() <= before + 1  # no reader thread left running
    model.fit(iter(batches(x, y)), verbose=0)  # and the model still trains


def test_empty_sources_and_misplaced_arguments_are_clear_errors():
    x, y = data()
    model = make_model()
    with pytest.raises(ValueError, match="gave no batches"):
        model.fit(iter([]), verbose=0)
    with pytest.raises(ValueError, match="gave no batches"):
        model.fit(Batches(x[:0], y[:0]), verbose=0)
    with pytest.raises(ValueError, match="gave no batches"):
        model.predict((b for b in []), verbose=0)
    with pytest.raises(ValueError, match="`y` should not be passed"):
        model.fit(iter(batches(x, y)), y, verbose=0)
    with pytest.raises(ValueError, match="without targets"):
        model.fit(iter([x[:8]]), verbose=0)
    with pytest.raises(ValueError, match="validation_split"):
        model.fit(iter(batches(x, y)), validation_split=0.2, verbose=0)
    with pytest.raises(ValueError, match="steps_per_epoch must be an integer"):
        model.fit(iter(batches(x, y)), steps_per_epoch=0, verbose=0)


# ---- item 3: train_step and friends are refused, never ignored ---------------------------------------------------
def test_overridden_steps_are_refused_with_what_to_use_instead():
    x, y = data()

    class Custom(fm.Model):
        def train_step(self, data):
            raise AssertionError("never run")

    class CustomTest(fm.Model):
        def test_step(self, data):
            raise AssertionError("never run")

    class CustomPredict(fm.Model):
        def predict_step(self, data):
            raise AssertionError("never run")

    def build(cls):
        inputs = fm.Input((FEATURES,))
        model = cls(inputs, fm.layers.Dense(1)(inputs))
        model.compile("sgd", "mse")
        return model

    for call in (lambda m: m.fit(x, y, verbose=0), lambda m: m.fit(iter(batches(x, y)), verbose=0),
                 lambda m: m.train_on_batch(x, y)):
        with pytest.raises(TypeError, match=r"overrides train_step\(\).*custom loss.*compute_loss.*callback"):
            call(build(Custom))
    with pytest.raises(TypeError, match=r"overrides test_step\(\)"):
        build(CustomTest).evaluate(x, y, verbose=0)
    with pytest.raises(TypeError, match=r"overrides test_step\(\)"):
        build(CustomTest).fit(x, y, validation_split=0.25, verbose=0)
    build(CustomTest).fit(x, y, verbose=0)  # fit without validation runs no test step
    with pytest.raises(TypeError, match=r"overrides predict_step\(\)"):
        build(CustomPredict).predict(x, verbose=0)
    build(CustomPredict).evaluate(x, y, verbose=0)


# ---- item 8: the round-1 misses ---------------------------------------------------------------------------------
@KERAS_NOTICES
def test_a_model_as_first_layer_keeps_its_input_shape_as_in_keras():
    keras = import_keras()
    rng = np.random.default_rng(4)
    x = rng.random((40, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, 40)
    inner = fm.Sequential([fm.layers.Flatten(input_shape=(28, 28)), fm.layers.Dense(16, activation="relu"),
                           fm.layers.Dense(10)])
    model = fm.Sequential([inner, fm.layers.Softmax()])
    assert model.input_shape == (None, 28, 28) and model.output_shape == (None, 10)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=1, verbose=0)
    with pytest.warns(UserWarning):  # Keras 3 discourages input_shape= on a layer
        keras_inner = keras.Sequential([keras.layers.Flatten(input_shape=(28, 28)),
                                        keras.layers.Dense(16, activation="relu"), keras.layers.Dense(10)])
    keras_model = keras.Sequential([keras_inner, keras.layers.Softmax()])
    assert keras_model.input_shape == model.input_shape and keras_model.output_shape == model.output_shape
    keras_inner.set_weights(inner.get_weights())
    assert_close("nested Sequential", keras_model.predict(x, verbose=0), model.predict(x, verbose=0), 1e-5, 1e-6)


@KERAS_NOTICES
def test_save_h5_writes_what_keras_loads_with_keras_warning(tmp_path, caplog):
    keras = import_keras()
    x, y = data()
    model = fm.Sequential([fm.Input((FEATURES,)), fm.layers.Dense(8, activation="relu"),
                           fm.layers.BatchNormalization(), fm.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=BATCH, epochs=2, verbose=0)
    with caplog.at_level(logging.WARNING):
        model.save(tmp_path / "m.h5")
        keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)]).save(tmp_path / "k.h5")
    ours = [r.getMessage() for r in caplog.records if r.name == "fastmlp"]
    theirs = [r.getMessage() for r in caplog.records if "HDF5" in r.getMessage() and r.name != "fastmlp"]
    assert ours == theirs[:1] and "considered legacy" in ours[0]
    with caplog.at_level(logging.ERROR):  # Keras notes that its compiled metrics are not built yet
        loaded = keras.models.load_model(tmp_path / "m.h5")
    assert_close("Keras on fastmlp's .h5", loaded.predict(x, verbose=0), model.predict(x, verbose=0), 1e-5, 1e-6)
    assert loaded.compiled and int(loaded.optimizer.iterations.numpy()) == 2 * len(batches(x, y))
    model.save(tmp_path / "m.keras")
    from_archive = keras.models.load_model(tmp_path / "m.keras")
    for mine, theirs in zip(loaded.optimizer.variables, from_archive.optimizer.variables):
        np.testing.assert_array_equal(np.asarray(mine.numpy()), np.asarray(theirs.numpy()))
    back = fm.models.load_model(tmp_path / "m.h5")
    np.testing.assert_array_equal(back.predict(x, verbose=0), model.predict(x, verbose=0))


@KERAS_NOTICES
def test_compiled_is_kerass_property():
    keras = import_keras()
    for library in (keras, fm):
        model = library.Sequential([library.Input((3,)), library.layers.Dense(1)])
        assert model.compiled is False
        model.compile("sgd", "mse")
        assert model.compiled is True
    assert pickle.loads(pickle.dumps(model)).compiled is True  # the compile state travels with the model
