"""Training data that changes while fit runs. fit() reads x, y and the sample weights in place (no
copy), and a callback or another thread can rewrite them: each batch's targets and weights are
checked again where the batch is taken, and the loss checks every sparse label it indexes with, so a
rewritten label is a ValueError naming the sample, never a write past the row (it was a SIGSEGV) and
never silent training on garbage."""

import threading

import numpy as np
import pytest

import fastmlp as fm
from conftest import run_isolated

CHANGED = "changed while fit was running"


def classifier(loss="sparse_categorical_crossentropy", classes=3):
    fm.utils.set_random_seed(0)
    model = fm.Sequential([fm.layers.Input((8,)), fm.layers.Dense(16, activation="relu"),
                           fm.layers.Dense(classes, activation="softmax")])
    model.compile(optimizer="sgd", loss=loss, metrics=["accuracy"])
    return model


def data(rows=256):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(rows, 8)).astype(np.float32)
    return x, rng.integers(0, 3, (rows, 1)).astype(np.float32)


def rewrite_at_batch(array, index, value, at_batch=2):
    """A callback that writes ``value`` into ``array[index]`` before batch ``at_batch``."""
    def on_batch_begin(batch, logs):
        if batch == at_batch:
            array[index] = value
    return fm.callbacks.LambdaCallback(on_batch_begin=on_batch_begin)


def sparse_model_and_data(kind, rows=256):
    """(model, x, y, the sparse labels in y): the Sequential classifier, or a functional model whose
    second output is a sparse classifier (test_functional_robustness.py)."""
    if kind == "sequential":
        x, y = data(rows)
        return classifier(), x, y, y
    from test_functional_robustness import graph_data, graph_model
    x, y = graph_data(rows)
    return graph_model(hidden=16)[0], x, y, y[1]


@pytest.mark.parametrize("kind", ["sequential", "functional"])
def test_labels_rewritten_out_of_range_by_a_callback_raise_value_error(kind):
    # 1e6 made the gradient write 4 MB past its row (SIGSEGV), so every case runs in a child process.
    status, out, err = run_isolated(f"""
        import numpy as np
        import fastmlp as fm
        from test_changed_inputs import rewrite_at_batch, sparse_model_and_data

        for value in (1e6, 3, -1, 0.5, float("nan"), 1e30):
            for shuffle in (True, False):
                model, x, y, labels = sparse_model_and_data({kind!r})
                try:
                    model.fit(x, y, batch_size=32, epochs=2, shuffle=shuffle, verbose=0,
                              callbacks=[rewrite_at_batch(labels, 100, value)])
                    print(value, shuffle, "no error")
                except ValueError as error:
                    print(value, shuffle, error)
        """, timeout=60)
    print(out, err[-2000:])
    assert status == 0, "fit crashed" if status else "fit hung"
    lines = out.strip().splitlines()
    assert len(lines) == 12
    # The sample, in y's numbering (shuffled or not), and with several outputs the one that changed.
    where = "y, sample 100: " if kind == "sequential" else "the targets of output 'kind' (y[1]), sample 100: "
    for line in lines:
        assert CHANGED in line and where in line and ("row 100 holds" in line or "NaN" in line), line


def test_the_first_changed_label_is_named_and_training_resumes_after_the_fix():
    model = classifier()
    x, y = data()
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match=rf"{CHANGED}.*labels must be integers in \[0, 3\); row 17 holds 3$"):
        model.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0,
                  callbacks=[rewrite_at_batch(y, 17, 3.0, at_batch=0)])
    # Nothing trained on the bad batch: it was the first, so the weights are those before fit.
    for got, want in zip(model.get_weights(), before):
        np.testing.assert_array_equal(got, want)
    y[17] = 1
    history = model.fit(x, y, batch_size=32, epochs=2, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))


@pytest.mark.parametrize("loss, bad", [("binary_crossentropy", 2.0), ("categorical_crossentropy", np.inf),
                                       ("mean_squared_error", np.nan)])
def test_other_targets_rewritten_during_fit_raise_value_error(loss, bad):
    classes = 1 if loss == "binary_crossentropy" else 3
    model = classifier(loss, classes)
    x, labels = data()
    y = labels.astype(np.float32) / 2 if classes == 1 else fm.utils.to_categorical(labels[:, 0], 3)
    y = np.ascontiguousarray(y, dtype=np.float32)
    with pytest.raises(ValueError, match=rf"{CHANGED}.*: y, sample 40: "):
        model.fit(x, y, batch_size=32, epochs=2, verbose=0, callbacks=[rewrite_at_batch(y, (40, 0), bad)])


def test_sample_weights_rewritten_during_fit_raise_value_error():
    model = classifier()
    x, y = data()
    weights = np.ones(len(x), np.float32)
    with pytest.raises(ValueError, match=rf"{CHANGED}.*sample_weight\[9\] is -1"):
        model.fit(x, y, sample_weight=weights, batch_size=32, shuffle=False, epochs=1, verbose=0,
                  callbacks=[rewrite_at_batch(weights, 9, -1.0, at_batch=0)])


@pytest.mark.parametrize("kind", ["sequential", "functional"])
def test_labels_rewritten_by_another_thread_never_crash(kind):
    # A thread flips the labels between valid and out of range while fit reads them in
    # place, so a label can change between the batch's check and the loss's read; the loss checks it
    # again where it indexes. The outcome is a ValueError (or, if every batch saw valid labels, a
    # normal end), never a crash.
    status, out, err = run_isolated(f"""
        import threading
        import fastmlp as fm
        from test_changed_inputs import sparse_model_and_data

        stop = threading.Event()
        outcomes = []
        for shuffle in (False, True):
            model, x, y, labels = sparse_model_and_data({kind!r}, 4096)

            training = threading.Event()

            def flip():
                training.wait()
                while not stop.is_set():
                    labels[:, 0] = 1e6
                    labels[:, 0] = 1

            writer = threading.Thread(target=flip)
            writer.start()
            # The labels are valid when fit checks them; the writer starts with the first batch.
            started = fm.callbacks.LambdaCallback(on_train_begin=lambda logs: training.set())
            try:
                model.fit(x, y, batch_size=16, epochs=3, shuffle=shuffle, verbose=0, callbacks=[started])
                outcomes.append("finished")
            except ValueError as error:
                outcomes.append("ValueError" if "labels must be integers" in str(error) else str(error))
            training.set()
            stop.set()
            writer.join()
            stop.clear()
        print(outcomes)
        """, timeout=60)
    print(out, err[-2000:])
    assert status == 0, "fit crashed" if status else "fit hung"
    assert out.strip() in ("['ValueError', 'ValueError']", "['ValueError', 'finished']",
                           "['finished', 'ValueError']", "['finished', 'finished']")
