"""Confusion metrics (TruePositives, FalsePositives, TrueNegatives, FalseNegatives, Precision, Recall)
given a list of thresholds: one value per threshold, as Keras reports it, against NumPy's counts of
Keras's definition and against real keras.metrics on the same predictions; the logs, History,
evaluate, progress bar, CSVLogger and monitoring callbacks that carry those vectors; the config and
every way a model is saved; and the bad inputs."""

import csv
import pickle
import warnings

import numpy as np
import pytest
from interop_fixtures import import_keras

import fastmlp as fm

KEYS = {"TruePositives": "true_positives", "FalsePositives": "false_positives",
        "TrueNegatives": "true_negatives", "FalseNegatives": "false_negatives",
        "Precision": "precision", "Recall": "recall"}


def numpy_metric(name, p, y, thresholds):
    """Keras's definition, one value per threshold: a label is positive when non-zero (Keras casts it
    to bool), an output is predicted positive above the threshold (both in float32), over every
    output of every sample."""
    p, actual = np.asarray(p, np.float32).ravel(), np.asarray(y).ravel() != 0
    out = []
    for t in thresholds:
        predicted = p > np.float32(t)
        tp, fp = np.sum(predicted & actual), np.sum(predicted & ~actual)
        tn, fn = np.sum(~predicted & ~actual), np.sum(~predicted & actual)
        out.append({"TruePositives": tp, "FalsePositives": fp, "TrueNegatives": tn, "FalseNegatives": fn,
                    "Precision": tp / (tp + fp) if tp + fp else 0.0,
                    "Recall": tp / (tp + fn) if tp + fn else 0.0}[name])
    return np.array(out)


def linear_model(metrics, units=2):
    """A model whose predictions are its inputs (identity kernel), so that a test picks them exactly."""
    model = fm.Sequential([fm.layers.Input((units,)), fm.layers.Dense(units)])
    model.set_weights([np.eye(units, dtype=np.float32), np.zeros(units, np.float32)])
    model.compile(optimizer="sgd", loss="mse", metrics=metrics)
    return model


def edge_predictions(rng, rows=64):
    """Predictions on and around the thresholds the tests use, below 0 and above 1 included, and
    labels that are 0, 1 or another non-zero value (positive for Keras)."""
    grid = np.array([-0.2, 0.0, 0.25, 0.3, 0.5, 0.7, 0.75, 1.0, 1.5], np.float32)
    p = np.concatenate([np.tile(grid, 4)[:, None].reshape(-1, 2),
                        rng.random((rows, 2)).astype(np.float32)])
    y = rng.choice(np.array([0.0, 1.0, 0.3], np.float32), size=p.shape, p=[0.45, 0.45, 0.1])
    return p, y


@pytest.mark.parametrize("name", sorted(KEYS))
def test_each_threshold_gets_keras_definition_of_its_value(name, rng):
    p, y = edge_predictions(rng)
    thresholds = [0.0, 0.3, 0.7, 1.0]  # not evenly spaced: Keras's y_pred > t path
    model = linear_model([getattr(fm.metrics, name)(thresholds=thresholds)])
    logs = model.evaluate(p, y, batch_size=7, verbose=0, return_dict=True)  # several batches add up
    value = logs[KEYS[name]]
    expected = numpy_metric(name, p, y, thresholds)
    print(f"{name}: {value} against NumPy's {expected}")
    assert isinstance(value, np.ndarray) and value.shape == (4,) and value.dtype == np.float32
    np.testing.assert_allclose(value, expected, rtol=1e-6)


@pytest.mark.parametrize("name", sorted(KEYS))
@pytest.mark.parametrize("thresholds", [None, 0.5, [0.5], [0.2, 0.8], [0.0, 0.3, 0.7, 1.0],
                                        [0.0, 0.25, 0.5, 0.75, 1.0], [0.0, 0.5, 1.0], [1.0, 0.0]])
def test_the_same_values_and_shapes_as_keras_metrics(name, thresholds, rng):
    """Evenly spaced lists take Keras's bucket path (which clips y_pred to [0, 1]: 1.5 is not above
    threshold 1 there); a list of one is a number, as in Keras."""
    keras = import_keras()
    p, y = edge_predictions(rng)
    model = linear_model([getattr(fm.metrics, name)(thresholds=thresholds)])
    ours = model.evaluate(p, y, batch_size=16, verbose=0, return_dict=True)[KEYS[name]]
    reference = getattr(keras.metrics, name)(thresholds=thresholds)
    reference.update_state(y, p)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch 2.13's __array__ under NumPy 2
        theirs = keras.ops.convert_to_numpy(reference.result())
    print(f"{name}({thresholds}): fastmlp {ours}, Keras {theirs}")
    assert np.shape(ours) == np.shape(theirs)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)


def test_only_two_or_more_thresholds_make_a_vector(rng):
    p, y = edge_predictions(rng)
    model = linear_model([fm.metrics.Recall(thresholds=[0.4], name="one"), fm.metrics.Recall(name="none"),
                          fm.metrics.Recall(thresholds=0.4, name="number"),
                          fm.metrics.Recall(thresholds=[0.4, 0.6], name="two")])
    logs = model.evaluate(p, y, verbose=0, return_dict=True)
    assert [type(logs[k]) for k in ("one", "none", "number")] == [float] * 3
    assert logs["one"] == logs["number"] == pytest.approx(numpy_metric("Recall", p, y, [0.4])[0])
    assert logs["two"].shape == (2,)


def compiled_classifier(rng):
    x = rng.normal(size=(96, 3)).astype(np.float32)
    y = (x[:, :1] + 0.3 * rng.normal(size=(96, 1)) > 0).astype(np.float32)
    fm.utils.set_random_seed(3)
    model = fm.Sequential([fm.layers.Input((3,)), fm.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=[fm.metrics.TruePositives(thresholds=[0.3, 0.5, 0.7]), "accuracy",
                           fm.metrics.Precision(thresholds=[0.2, 0.8])])
    return model, x, y


class Recorder(fm.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.seen = {}

    def _keep(self, hook, logs):
        self.seen.setdefault(hook, []).append({k: np.copy(v) if isinstance(v, np.ndarray) else v
                                               for k, v in logs.items()})

    def on_train_batch_end(self, batch, logs=None):
        self._keep("train_batch", logs)

    def on_test_batch_end(self, batch, logs=None):
        self._keep("test_batch", logs)

    def on_test_end(self, logs=None):
        self._keep("test_end", logs)

    def on_epoch_end(self, epoch, logs=None):
        self._keep("epoch", logs)


def test_fit_evaluate_history_and_callbacks_carry_the_vectors(rng):
    model, x, y = compiled_classifier(rng)
    recorder = Recorder()
    history = model.fit(x, y, epochs=3, batch_size=16, verbose=0, validation_data=(x, y), callbacks=[recorder])
    for key in ("true_positives", "val_true_positives", "precision", "val_precision"):
        assert len(history.history[key]) == 3
        assert all(isinstance(v, np.ndarray) and v.dtype == np.float32 and v.shape == (3 if "true" in key else 2,)
                   for v in history.history[key])
    assert all(isinstance(v, float) for v in history.history["val_accuracy"])
    for hook in ("train_batch", "test_batch", "test_end", "epoch"):
        assert recorder.seen[hook][-1]["true_positives" if hook != "epoch" else "val_true_positives"].shape == (3,)
    # The counts over a batch are at most its outputs; over an epoch they grow with the batches.
    assert np.all(recorder.seen["train_batch"][0]["true_positives"] <= 16)
    assert np.all(np.diff(history.history["true_positives"][-1]) <= 0)  # a higher threshold, fewer positives

    # The last validation ran on the final weights: it is what evaluate() reports now.
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    np.testing.assert_array_equal(logs["true_positives"], history.history["val_true_positives"][-1])
    np.testing.assert_allclose(logs["precision"], history.history["val_precision"][-1], rtol=1e-6)
    p = model.predict(x, verbose=0)
    np.testing.assert_array_equal(logs["true_positives"], numpy_metric("TruePositives", p, y, [0.3, 0.5, 0.7]))

    values = model.evaluate(x, y, verbose=0)  # Keras's order: loss, then the metrics as compiled
    assert model.metrics_names == ["loss", "true_positives", "accuracy", "precision"]
    assert isinstance(values[0], float) and values[1].shape == (3,) and isinstance(values[2], float)
    np.testing.assert_array_equal(values[3], logs["precision"])
    assert model.test_on_batch(x, y, return_dict=True)["true_positives"].shape == (3,)
    assert model.train_on_batch(x[:8], y[:8], return_dict=True)["precision"].shape == (2,)


def test_progress_bar_shows_the_mean_and_csv_logger_writes_keras_cells(rng, tmp_path, capsys):
    model, x, y = compiled_classifier(rng)
    path = tmp_path / "log.csv"
    history = model.fit(x, y, epochs=2, batch_size=32, verbose=2, validation_split=0.25,
                        callbacks=[fm.callbacks.CSVLogger(path)])
    last = capsys.readouterr().out.strip().splitlines()[-1]
    mean = float(np.mean(history.history["true_positives"][-1]))
    assert f"- true_positives: {mean:.4f} -" in last  # Keras's bar averages the vector
    text = path.read_text()
    rows = list(csv.DictReader(text.splitlines()))
    cell = '"[' + ", ".join(str(v) for v in history.history["val_true_positives"][1]) + ']"'
    assert rows[1]["val_true_positives"] == cell  # Keras writes the quoted text, which csv escapes again
    assert '"""[' in text
    assert float(rows[1]["accuracy"]) == pytest.approx(history.history["accuracy"][1])


def test_csv_logger_writes_the_file_keras_writes(tmp_path):
    keras = import_keras()
    logs = {"a": np.array([1.0, 0.25], np.float32), "loss": 0.5, "val_a": np.array([0.5, 0.125], np.float32)}
    for module, name in ((keras, "keras.csv"), (fm, "fastmlp.csv")):
        logger = module.callbacks.CSVLogger(str(tmp_path / name))
        logger.set_model(type("Model", (), {"stop_training": False})())
        logger.on_train_begin({})
        logger.on_epoch_end(0, logs)
        logger.on_train_end({})
    assert (tmp_path / "fastmlp.csv").read_text() == (tmp_path / "keras.csv").read_text()


def test_monitoring_a_vector(rng, tmp_path):
    model, x, y = compiled_classifier(rng)
    for callback in (fm.callbacks.EarlyStopping(monitor="true_positives"),
                     fm.callbacks.ReduceLROnPlateau(monitor="val_precision")):
        with pytest.raises(ValueError, match="one per threshold"):
            model.fit(x, y, epochs=2, verbose=0, validation_split=0.25, callbacks=[callback])
    path = tmp_path / "best-{epoch}.fmlp"
    with pytest.warns(UserWarning, match="scalar value"):
        model.fit(x, y, epochs=2, verbose=0, callbacks=[
            fm.callbacks.ModelCheckpoint(str(path), monitor="precision", save_best_only=True)])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best-1.fmlp", "best-2.fmlp"]  # Keras saves every epoch
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(x, y, epochs=1, verbose=0, callbacks=[fm.callbacks.EarlyStopping(monitor="accuracy")])


@pytest.mark.parametrize("thresholds", [None, 0.25, 1, [0.5], [0.2, 0.8], [0.0, 0.5, 1.0]])
def test_config_gives_back_the_thresholds_as_given(thresholds):
    keras = import_keras()
    for name in KEYS:
        metric = getattr(fm.metrics, name)(thresholds=thresholds, name="m")
        config = metric.get_config()
        assert config["thresholds"] == getattr(keras.metrics, name)(thresholds=thresholds).get_config()["thresholds"]
        assert type(config["thresholds"]) is type(thresholds) or isinstance(thresholds, int)
        again = getattr(fm.metrics, name).from_config(config)
        assert again.get_config() == config and again == metric
        assert pickle.loads(pickle.dumps(metric)) == metric
    assert fm.metrics.Recall(thresholds=(0.2, 0.4)).get_config()["thresholds"] == [0.2, 0.4]  # a tuple: a list
    assert fm.metrics.Recall(thresholds=np.linspace(0, 1, 3)).get_config()["thresholds"] == [0.0, 0.5, 1.0]


def test_saved_cloned_and_pickled_models_keep_the_thresholds(rng, tmp_path):
    model, x, y = compiled_classifier(rng)
    model.fit(x, y, epochs=1, verbose=0)
    expected = model.evaluate(x, y, verbose=0, return_dict=True)
    path = tmp_path / "m.fmlp"
    model.save(path)
    copies = {"fmlp": fm.models.load_model(path), "pickle": pickle.loads(pickle.dumps(model))}
    clone = fm.models.clone_model(model)
    clone.set_weights(model.get_weights())
    clone.compile(optimizer="adam", loss="binary_crossentropy", metrics=model.compiled_metrics)
    copies["clone"] = clone
    for how, copy in copies.items():
        logs = copy.evaluate(x, y, verbose=0, return_dict=True)
        assert list(logs) == list(expected), how
        for key in expected:
            np.testing.assert_allclose(logs[key], expected[key], rtol=1e-6, err_msg=how)
    assert copies["fmlp"].compiled_metrics[0].get_config()["thresholds"] == [0.3, 0.5, 0.7]


def evaluations(x, y, *models):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch 2.13's __array__ under NumPy 2
        return [model.evaluate(x, y, verbose=0, return_dict=True) for model in models]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch 2.13's __array__ under NumPy 2, in Keras
def test_keras_files_carry_the_thresholds_both_ways(rng, tmp_path):
    keras = import_keras()
    model, x, y = compiled_classifier(rng)
    model.save(tmp_path / "ours.keras")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras notes that the file has no optimizer variables yet
        theirs = keras.saving.load_model(tmp_path / "ours.keras")
    ours_logs, their_logs = evaluations(x, y, model, theirs)
    np.testing.assert_allclose(their_logs["true_positives"], ours_logs["true_positives"])
    np.testing.assert_allclose(their_logs["precision"], ours_logs["precision"], rtol=1e-6)

    kmodel = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")])
    kmodel.compile(optimizer="sgd", loss="binary_crossentropy",
                   metrics=[keras.metrics.FalseNegatives(thresholds=[0.1, 0.9], name="false_negatives"),
                            keras.metrics.Recall(thresholds=[0.4], name="recall")])  # else Keras numbers repeats
    kmodel.save(tmp_path / "theirs.keras")
    loaded = fm.models.load_model(tmp_path / "theirs.keras")
    ours_logs, their_logs = evaluations(x, y, loaded, kmodel)
    assert ours_logs["false_negatives"].shape == (2,) and isinstance(ours_logs["recall"], float)
    np.testing.assert_allclose(ours_logs["false_negatives"], their_logs["false_negatives"])
    np.testing.assert_allclose(ours_logs["recall"], their_logs["recall"], rtol=1e-6)


@pytest.mark.parametrize("name", ["TruePositives", "Precision"])
def test_bad_thresholds(name):
    cls = getattr(fm.metrics, name)
    for bad, match in ((1.5, r"\[0, 1\]; got 1\.5$"), (-0.1, r"\[0, 1\]"), ([0.2, 1.5], "got 1.5 at index 1"),
                       ([], "at least one"), (float("nan"), r"\[0, 1\]"), ([0.5] * 100001, "at most 100000")):
        with pytest.raises(ValueError, match=match):
            cls(thresholds=bad)
        # A config read from a model file goes through the same constructor.
        with pytest.raises(ValueError, match=match):
            fm.metrics.get({"class_name": name, "config": {"thresholds": bad}})
    for bad in ("0.5", [[0.5]], [0.5, "x"], {"a": 1}, True):
        with pytest.raises(TypeError, match="thresholds"):
            cls(thresholds=bad)
