"""Each callback's behaviour in fit, as Keras 3 defines it. Where a callback's decision depends on a
monitored value, an earlier callback writes a scripted value into the epoch's logs (the logs dict is
shared, as in Keras), so the expected epochs can be worked out by hand."""

import csv
import io
import math
import re
import sys

import numpy as np
import pytest

import fastmlp as fm
from conftest import make_model, make_targets

C = fm.callbacks


@pytest.fixture
def data():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(64, 4)).astype(np.float32)
    y = make_targets("categorical_crossentropy", rng, 64, 3)
    return x, y


def model_for(optimizer=None):
    return make_model("tanh", "softmax", optimizer=optimizer or fm.optimizers.Adam(0.01), metrics=["accuracy"])


class Script(C.Callback):
    """Writes values[epoch] into the logs as ``key`` before later callbacks see them."""

    def __init__(self, values, key="score"):
        super().__init__()
        self.values, self.key = values, key

    def on_epoch_end(self, epoch, logs=None):
        logs[self.key] = self.values[epoch]


class Recorder(C.Callback):
    """Remembers the weights and learning rate at the end of every epoch."""

    def __init__(self):
        super().__init__()
        self.weights, self.rates = [], []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.get_weights())
        self.rates.append(float(self.model.optimizer.learning_rate))


def fit(model, data, callbacks, epochs=10, **kwargs):
    x, y = data
    return model.fit(x, y, epochs=epochs, batch_size=16, verbose=0, callbacks=callbacks, **kwargs)


# ---- EarlyStopping ---------------------------------------------------------------------------------
@pytest.mark.parametrize("values, kwargs, stopped", [
    ([1.0, 0.9, 0.95, 0.96, 0.97, 0.98], dict(patience=2, mode="min"), 3),
    ([1.0, 0.99, 0.98, 0.97], dict(patience=1, mode="min", min_delta=0.05), 1),
    ([1.0, 0.9, 0.8, 0.7, 0.6], dict(patience=1, mode="min", min_delta=0.05), 0),  # never stops
    ([0.5, 0.6, 0.6, 0.7, 0.7, 0.7], dict(patience=2, mode="max"), 5),
    ([0.5, 0.5, 0.5, 0.5], dict(patience=2, mode="max", baseline=0.8), 1),
    ([5, 5, 5, 5, 4, 4, 4], dict(patience=1, mode="min", start_from_epoch=3), 5),
])
def test_early_stopping_decisions(data, values, kwargs, stopped):
    stopper = C.EarlyStopping(monitor="score", **kwargs)
    history = fit(model_for(), data, [Script(values), stopper], epochs=len(values))
    assert stopper.stopped_epoch == stopped
    assert len(history.history["loss"]) == (stopped + 1 if stopped else len(values))


def test_early_stopping_auto_mode_follows_the_metric(data):
    down = C.EarlyStopping(monitor="val_loss")
    up = C.EarlyStopping(monitor="val_accuracy")
    fit(model_for(), data, [down, up], epochs=1, validation_data=data)
    assert down.monitor_op is np.less and up.monitor_op is np.greater
    with pytest.raises(ValueError, match="mode"):
        C.EarlyStopping(mode="maximum")


def test_restore_best_weights_restores_the_best_epoch_exactly(data):
    recorder = Recorder()
    stopper = C.EarlyStopping(monitor="score", mode="min", patience=3, restore_best_weights=True)
    fit(model_for(), data, [Script([3.0, 2.0, 1.0, 1.5, 1.2, 1.1, 1.3]), recorder, stopper], epochs=7)
    assert stopper.best_epoch == 2 and stopper.stopped_epoch == 5
    for restored, best in zip(stopper.model.get_weights(), recorder.weights[2]):
        np.testing.assert_array_equal(restored, best)
    assert not np.array_equal(recorder.weights[2][0], recorder.weights[-1][0])


def test_early_stopping_on_a_missing_metric_warns(data):
    with pytest.warns(UserWarning, match="not available"):
        fit(model_for(), data, [C.EarlyStopping(monitor="val_nothing", mode="min")], epochs=1)


# ---- ModelCheckpoint -------------------------------------------------------------------------------
def test_checkpoint_every_epoch_with_formatted_names(tmp_path, data):
    model = model_for()
    history = fit(model, data, [C.ModelCheckpoint(str(tmp_path / "ckpt-{epoch:02d}-{val_loss:.2f}.fmlp"))],
                  epochs=3, validation_data=data)
    names = sorted(p.name for p in tmp_path.iterdir())
    expected = [f"ckpt-{e + 1:02d}-{v:.2f}.fmlp" for e, v in enumerate(history.history["val_loss"])]
    assert names == sorted(expected)
    last = fm.models.load_model(tmp_path / expected[-1])
    np.testing.assert_array_equal(last.predict(data[0], verbose=0), model.predict(data[0], verbose=0))


@pytest.mark.parametrize("mode, values, saved", [("min", [3, 2, 2.5, 1, 1.5], [1, 2, 4]),
                                                 ("max", [3, 2, 2.5, 4, 1.5], [1, 4])])
def test_checkpoint_save_best_only_weights(tmp_path, data, mode, values, saved):
    recorder = Recorder()
    checkpoint = C.ModelCheckpoint(str(tmp_path / "w-{epoch:02d}.weights.h5"), monitor="score", mode=mode,
                                   save_best_only=True, save_weights_only=True)
    model = model_for()
    fit(model, data, [Script(values), recorder, checkpoint], epochs=len(values))
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"w-{e:02d}.weights.h5" for e in saved]
    fresh = model_for()
    fresh.load_weights(tmp_path / f"w-{saved[-1]:02d}.weights.h5")
    for loaded, kept in zip(fresh.get_weights(), recorder.weights[saved[-1] - 1]):
        np.testing.assert_array_equal(loaded, kept)


def test_checkpoint_best_model_file_loads(tmp_path, data):
    path = tmp_path / "best.keras"
    checkpoint = C.ModelCheckpoint(str(path), monitor="val_accuracy", save_best_only=True, verbose=1)
    model = model_for()
    fit(model, data, [checkpoint], epochs=3, validation_data=data)
    loaded = fm.models.load_model(path)
    assert loaded.evaluate(*data, verbose=0, return_dict=True)["accuracy"] == pytest.approx(checkpoint.best)


# ---- TerminateOnNaN --------------------------------------------------------------------------------
def test_terminate_on_nan_stops_a_diverging_run(data, capsys):
    x, _ = data
    y = np.full((len(x), 3), 1e3, np.float32)
    model = make_model("linear", "linear", loss="mse", optimizer=fm.optimizers.SGD(1e8))
    history = model.fit(x, y, epochs=5, batch_size=8, verbose=0, callbacks=[C.TerminateOnNaN()])
    assert len(history.history["loss"]) == 1
    assert not math.isfinite(history.history["loss"][0])
    assert "Invalid loss, terminating training" in capsys.readouterr().out
    assert model.predict(x, verbose=0).shape == (len(x), 3)  # the process and the model are fine
    with pytest.raises(RuntimeError, match="NaN or Inf"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[C.TerminateOnNaN(raise_error=True)])


# ---- learning-rate callbacks ------------------------------------------------------------------------
def test_learning_rate_scheduler_sets_the_rate_used(data):
    seen = []
    probe = C.LambdaCallback(on_train_batch_begin=lambda batch, logs: seen.append(
        float(probe.model.optimizer.learning_rate)))
    recorder = Recorder()
    schedule = C.LearningRateScheduler(lambda epoch, lr: 0.0 if epoch == 1 else 0.05 * 0.5 ** epoch)
    history = fit(model_for(fm.optimizers.SGD(0.3)), data, [schedule, probe, recorder], epochs=3)
    assert history.history["learning_rate"] == pytest.approx([0.05, 0.0, 0.0125])
    assert seen == pytest.approx([0.05] * 4 + [0.0] * 4 + [0.0125] * 4)  # 4 batches per epoch
    for before, after in zip(recorder.weights[0], recorder.weights[1]):  # rate 0: nothing moved in epoch 1
        np.testing.assert_array_equal(before, after)
    # Keras's older form schedule(epoch), and a wrong return type.
    history = fit(model_for(), data, [C.LearningRateScheduler(lambda epoch: 0.001 * (epoch + 1))], epochs=2)
    assert history.history["learning_rate"] == pytest.approx([0.001, 0.002])
    with pytest.raises(ValueError, match="float"):
        fit(model_for(), data, [C.LearningRateScheduler(lambda epoch, lr: "fast")], epochs=1)


def test_reduce_lr_on_plateau(data):
    recorder = Recorder()
    reducer = C.ReduceLROnPlateau(monitor="score", factor=0.5, patience=2, cooldown=1, min_lr=0.03)
    history = fit(model_for(fm.optimizers.SGD(0.1)), data, [Script([1.0] * 6), reducer, recorder], epochs=6)
    assert recorder.rates == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.03, 0.03])
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.1, 0.1, 0.05, 0.05, 0.03])
    improving = Recorder()
    fit(model_for(fm.optimizers.SGD(0.1)), data,
        [Script([5, 4, 3, 2]), C.ReduceLROnPlateau(monitor="score", patience=1), improving], epochs=4)
    assert improving.rates == pytest.approx([0.1] * 4)
    with pytest.raises(ValueError, match="factor"):
        C.ReduceLROnPlateau(factor=1.5)


# ---- CSVLogger -------------------------------------------------------------------------------------
def test_csv_logger_header_rows_append_and_separator(tmp_path, data):
    path = tmp_path / "log.csv"
    history = fit(model_for(), data, [C.CSVLogger(str(path))], epochs=2, validation_data=data)
    rows = list(csv.reader(path.read_text().splitlines()))
    assert rows[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert [row[0] for row in rows[1:]] == ["0", "1"]
    assert float(rows[2][2]) == pytest.approx(history.history["loss"][1])
    fit(model_for(), data, [C.CSVLogger(str(path), append=True)], epochs=1, validation_data=data)
    rows = list(csv.reader(path.read_text().splitlines()))
    assert len(rows) == 4 and rows.count(rows[0]) == 1  # one header, three rows
    semicolons = tmp_path / "semi.csv"
    fit(model_for(), data, [C.CSVLogger(str(semicolons), separator=";")], epochs=1)
    assert semicolons.read_text().splitlines()[0] == "epoch;accuracy;loss;val_accuracy;val_loss"
    assert semicolons.read_text().splitlines()[1].endswith(";NA;NA")


# ---- hooks -----------------------------------------------------------------------------------------
def test_lambda_callback_calls_every_hook(data):
    calls = []
    hooks = {name: (lambda name: lambda *args: calls.append((name, args)))(name)
             for name in ("on_epoch_begin", "on_epoch_end", "on_train_begin", "on_train_end",
                          "on_train_batch_begin", "on_train_batch_end")}
    fit(model_for(), data, [C.LambdaCallback(**hooks)], epochs=2)
    names = [name for name, _ in calls]
    assert names.count("on_train_begin") == names.count("on_train_end") == 1
    assert names.count("on_epoch_begin") == names.count("on_epoch_end") == 2
    assert names.count("on_train_batch_begin") == names.count("on_train_batch_end") == 8
    assert calls[-2][1][0] == 1 and "loss" in calls[-2][1][1]  # on_epoch_end(epoch, logs)
    with pytest.raises(TypeError, match="unknown hook"):
        C.LambdaCallback(on_everything=print)


class Order(C.Callback):
    def __init__(self):
        super().__init__()
        self.events = []

    def __getattribute__(self, name):
        attribute = super().__getattribute__(name)
        if name.startswith("on_") and callable(attribute):
            def hook(*args, **kwargs):
                self.events.append(name if name.endswith(("_train_begin", "_train_end", "_test_begin", "_test_end",
                                                          "_predict_begin", "_predict_end"))
                                   else f"{name}({args[0]})")
                return attribute(*args, **kwargs)
            return hook
        return attribute

    # Overrides: fit calls back into Python at every batch only for callbacks that define batch hooks.
    def on_train_batch_begin(self, batch, logs=None):
        pass

    def on_train_batch_end(self, batch, logs=None):
        pass


def test_custom_callback_hook_order(data):
    x, y = data
    order = Order()
    model = model_for()
    model.fit(x[:32], y[:32], batch_size=16, epochs=2, verbose=0, callbacks=[order], validation_data=data)
    model.evaluate(x, y, verbose=0, callbacks=[order])
    model.predict(x, verbose=0, callbacks=[order])
    epoch = ["on_train_batch_begin(0)", "on_train_batch_end(0)", "on_train_batch_begin(1)",
             "on_train_batch_end(1)", "on_test_begin", "on_test_end"]
    assert order.events == (["on_train_begin", "on_epoch_begin(0)", *epoch, "on_epoch_end(0)",
                             "on_epoch_begin(1)", *epoch, "on_epoch_end(1)", "on_train_end",
                             "on_test_begin", "on_test_end", "on_predict_begin", "on_predict_end"])


def test_stop_training_from_a_batch_hook_stops_mid_epoch(data):
    batches = []

    class StopAtThird(C.Callback):
        def on_train_batch_end(self, batch, logs=None):
            batches.append(batch)
            if batch == 2:
                self.model.stop_training = True

    history = fit(model_for(), data, [StopAtThird()], epochs=5)  # 4 batches per epoch
    assert batches == [0, 1, 2]
    assert len(history.history["loss"]) == 1


# ---- output ----------------------------------------------------------------------------------------
class Terminal(io.StringIO):
    def isatty(self):
        return True


class EveryBatch(C.Callback):
    def on_train_batch_end(self, batch, logs=None):  # makes fit report every batch to the bar
        pass


def test_verbose_1_progress_bar_with_eta_loss_and_metrics(data, monkeypatch):
    terminal = Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    x, y = data
    model_for().fit(x, y, batch_size=8, epochs=2, verbose=1, callbacks=[EveryBatch()])
    out = terminal.getvalue()
    assert out.count("Epoch 1/2") == 1 and "Epoch 2/2" in out
    plain = re.sub(r"\x1b\[[0-9;]*m", "", out)
    updates = [u for u in plain.split("\r") if u.strip()]
    # In-progress lines: count, bar, remaining time, time per step, metrics.
    assert any(re.match(r"\s*3/8 ━{20} \d+s \d+(s|ms|us)/step - accuracy: \d\.\d{4} - loss: \d\.\d{4}", u)
               for u in updates)
    assert re.search(r"8/8 ━{20} \d+s \d+(s|ms|us)/step - accuracy: \d\.\d{4} - loss: \d\.\d{4}", plain)


def test_verbose_2_prints_one_line_per_epoch(data, capsys):
    x, y = data
    model_for().fit(x, y, batch_size=8, epochs=3, verbose=2, validation_data=data)
    lines = capsys.readouterr().out.splitlines()
    assert [line for line in lines if line.startswith("Epoch")] == ["Epoch 1/3", "Epoch 2/3", "Epoch 3/3"]
    epoch_lines = [line for line in lines if not line.startswith("Epoch")]
    assert len(epoch_lines) == 3
    for line in epoch_lines:
        assert re.fullmatch(r"8/8 - \d+s - \d+(s|ms|us)/step - accuracy: \S+ - loss: \S+ - val_accuracy: \S+ "
                            r"- val_loss: \S+", line), line


# ---- History ---------------------------------------------------------------------------------------
def test_history_keys_and_plot(tmp_path, data):
    import matplotlib
    matplotlib.use("Agg")
    history = fit(model_for(), data, [], epochs=3, validation_data=data)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert history.epoch == [0, 1, 2] and all(len(v) == 3 for v in history.history.values())
    figure = history.plot(path=tmp_path / "history.png")
    assert (tmp_path / "history.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [ax.get_title() for ax in figure.axes] == ["loss", "accuracy"]
    for ax in figure.axes:
        assert [line.get_label() for line in ax.get_lines()] == ["training", "validation"]
        assert list(ax.get_lines()[1].get_ydata()) == pytest.approx(history.history[f"val_{ax.get_title()}"])
    with pytest.raises(ValueError, match="no values recorded"):
        history.plot(metrics=["precision"])


def test_history_plot_without_matplotlib(monkeypatch, data):
    history = fit(model_for(), data, [], epochs=1)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        history.plot()
