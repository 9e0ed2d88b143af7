"""What Keras scripts pass and expect around the data: a single feature as a 1-D array (a pandas
Series, np.linspace) when the input has one feature, and the batch hooks of evaluate, predict and fit's
validation (on_test_batch_*, on_predict_batch_*), called with Keras's logs."""

import numpy as np
import pytest

import fastmlp as fm

L = fm.layers


def test_a_single_feature_may_be_a_1d_array_or_a_pandas_series():
    pandas = pytest.importorskip("pandas")
    x = np.linspace(-1, 1, 50)
    y = 3 * x + 1
    fm.utils.set_random_seed(0)
    model = fm.Sequential([L.Input((1,)), L.Dense(1)])
    model.compile(optimizer=fm.optimizers.Adam(0.1), loss="mse")
    model.fit(pandas.Series(x), pandas.Series(y), epochs=60, verbose=0)
    assert model.predict(x, verbose=0).shape == (50, 1)
    np.testing.assert_array_equal(model.predict(x, verbose=0), model.predict(x.reshape(-1, 1), verbose=0))
    assert model.evaluate(x, y, verbose=0) < 0.05
    unbuilt = fm.Sequential([L.Dense(1)])  # no input shape yet: a 1-D array is one feature
    unbuilt.compile(optimizer="sgd", loss="mse")
    unbuilt.fit(x, y, verbose=0)
    assert unbuilt.input_shape == (None, 1)
    wide = fm.Sequential([L.Input((3,)), L.Dense(1)])
    with pytest.raises(ValueError, match="must be 2-D"):
        wide.predict(x, verbose=0)


class Recorder(fm.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.calls = []

    def on_test_begin(self, logs=None):
        self.calls.append(("test_begin", None))

    def on_test_batch_begin(self, batch, logs=None):
        self.calls.append(("test_batch_begin", batch))

    def on_test_batch_end(self, batch, logs=None):
        self.calls.append(("test_batch_end", batch, dict(logs)))

    def on_test_end(self, logs=None):
        self.calls.append(("test_end", dict(logs)))

    def on_predict_batch_begin(self, batch, logs=None):
        self.calls.append(("predict_batch_begin", batch))

    def on_predict_batch_end(self, batch, logs=None):
        self.calls.append(("predict_batch_end", batch, logs["outputs"].shape))

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append(("epoch_end", epoch))


@pytest.fixture
def model_and_data(rng):
    x, y = rng.normal(size=(70, 3)).astype(np.float32), rng.normal(size=(70, 1)).astype(np.float32)
    model = fm.Sequential([L.Input((3,)), L.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    return model, x, y


def test_evaluate_calls_the_test_batch_hooks_with_running_logs(model_and_data):
    model, x, y = model_and_data
    recorder = Recorder()
    result = model.evaluate(x, y, batch_size=32, callbacks=[recorder], verbose=0, return_dict=True)
    kinds = [call[0] for call in recorder.calls]
    assert kinds == ["test_begin"] + ["test_batch_begin", "test_batch_end"] * 3 + ["test_end"]
    assert [call[1] for call in recorder.calls if call[0] == "test_batch_end"] == [0, 1, 2]
    first, last = recorder.calls[2][2], recorder.calls[-2][2]
    assert set(first) == {"loss", "mae"} and last == result  # the running means end at the result
    p = model.predict(x[:32], verbose=0)
    assert first["loss"] == pytest.approx(np.mean((p - y[:32]) ** 2), rel=1e-5)


def test_predict_calls_the_predict_batch_hooks_with_the_outputs(model_and_data):
    model, x, _ = model_and_data
    recorder = Recorder()
    out = model.predict(x, batch_size=32, callbacks=[recorder], verbose=0)
    assert recorder.calls == [("predict_batch_begin", 0), ("predict_batch_end", 0, (32, 1)),
                              ("predict_batch_begin", 1), ("predict_batch_end", 1, (32, 1)),
                              ("predict_batch_begin", 2), ("predict_batch_end", 2, (6, 1))]
    np.testing.assert_array_equal(out, model.predict(x, verbose=0))


def test_fit_validation_calls_the_test_hooks_before_each_epoch_end(model_and_data):
    model, x, y = model_and_data
    recorder = Recorder()
    history = model.fit(x, y, epochs=2, batch_size=16, validation_split=0.3, callbacks=[recorder], verbose=0)
    kinds = [call[0] for call in recorder.calls]
    per_epoch = ["test_begin"] + ["test_batch_begin", "test_batch_end"] * 2 + ["test_end", "epoch_end"]
    assert kinds == per_epoch * 2
    test_end = [call[1] for call in recorder.calls if call[0] == "test_end"]
    assert [logs["loss"] for logs in test_end] == history.history["val_loss"]
