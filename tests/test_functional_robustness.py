"""Issue 13's guarantees on functional models (issue 12's graph Model), as test_concurrency and
test_changed_inputs check them on Sequential: the model lock refuses structure changes while another
thread predicts, on the model and on a model it uses as a layer, and every output's targets are
checked again where each batch is taken when a callback rewrites them during fit (test_changed_inputs
also runs its label tests on this module's functional model)."""

import numpy as np
import pytest

import fastmlp as fm
from conftest import run_isolated
from test_changed_inputs import rewrite_at_batch

CHANGED = "changed while fit was running"


def graph_model(hidden=256, seed=0):
    """Two inputs, a nested Sequential used as a layer, a merge and two outputs: a regression and a
    3-class sparse classification. Returns (model, the nested Sequential)."""
    fm.utils.set_random_seed(seed)
    a, b = fm.layers.Input((16,), name="a"), fm.layers.Input((16,), name="b")
    inner = fm.Sequential([fm.layers.Input((16,)), fm.layers.Dense(hidden, activation="relu"),
                           fm.layers.Dense(hidden, activation="relu")])
    merged = fm.layers.Concatenate()([inner(a), fm.layers.Dense(hidden, activation="relu")(b)])
    model = fm.Model([a, b], [fm.layers.Dense(1, name="value")(merged),
                              fm.layers.Dense(3, activation="softmax", name="kind")(merged)])
    model.compile(optimizer="sgd", loss=["mse", "sparse_categorical_crossentropy"], metrics=[[], ["accuracy"]])
    return model, inner


def graph_data(rows=256, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(rows, 16)).astype(np.float32)
    b = rng.normal(size=(rows, 16)).astype(np.float32)
    value = a[:, :1] - b[:, :1]
    kind = rng.integers(0, 3, (rows, 1)).astype(np.float32)
    return [a, b], [value.astype(np.float32), kind]


def test_each_structure_change_is_refused_while_a_predict_holds_a_functional_model():
    # Each change is tried while another thread is inside a predict of the functional model that
    # takes about a second: the model's own compile, and add and pop on the Sequential it uses as a
    # layer (a pop there would free a layer the outer predict is reading).
    status, out, err = run_isolated("""
        import fastmlp as fm
        from test_concurrency import try_during_a_long_predict
        from test_functional_robustness import graph_model, graph_data

        x, _ = graph_data(rows=20000)
        for change in ("compile", "inner add", "inner pop", "inner compile"):
            model, inner = graph_model(hidden=512)
            inner.compile(optimizer="sgd", loss="mse")
            expected = model.predict([x[0][:8], x[1][:8]], verbose=0)
            calls = {"compile": lambda: model.compile(optimizer="adam", loss=["mae", "sparse_categorical_crossentropy"]),
                     "inner add": lambda: inner.add(fm.layers.Dense(4)), "inner pop": inner.pop,
                     "inner compile": lambda: inner.compile(optimizer="adam", loss="mae")}
            outcome = try_during_a_long_predict(lambda: model.predict(x, batch_size=64, verbose=0), calls[change])
            if outcome != "refused":
                print(change, outcome)
                continue
            # A refused change left both models as they were.
            assert len(inner.layers) == 2 and inner.output_shape == (None, 512), (len(inner.layers), inner.output_shape)
            got = model.predict([x[0][:8], x[1][:8]], verbose=0)
            assert all((g == e).all() for g, e in zip(got, expected))
            print(change, outcome)
        """, timeout=180)
    print(status, out, err[-2000:])
    assert status == 0, "crashed" if status else "hung or failed"
    outcomes = dict(line.rsplit(" ", 1) for line in out.strip().splitlines())
    for change in ("compile", "inner add", "inner pop", "inner compile"):
        assert outcomes[change] in ("refused", "too late"), outcomes
    assert list(outcomes.values()).count("too late") <= 1, outcomes


def test_nested_model_changes_while_threads_predict_the_outer_model_never_crash():
    # The race, undirected: threads predict the functional model while the main thread adds to and
    # pops the Sequential it uses as a layer. Every change is refused or made between predicts; no
    # predict fails and nothing crashes.
    status, out, err = run_isolated("""
        import threading
        import fastmlp as fm
        from test_functional_robustness import graph_model, graph_data

        model, inner = graph_model()
        x, _ = graph_data(rows=2000)
        for trial in range(4):
            stop = threading.Event()
            problems = []

            def reader():
                while not stop.is_set():
                    try:
                        value, kind = model.predict(x, verbose=0)
                        assert value.shape == (2000, 1) and kind.shape == (2000, 3)
                    except Exception as error:
                        problems.append(repr(error))

            threads = [threading.Thread(target=reader) for _ in range(3)]
            for thread in threads:
                thread.start()
            refused = changed = 0
            for _ in range(20):
                try:
                    inner.pop()
                    changed += 1
                    inner.add(fm.layers.Dense(256, activation="relu"))
                except ValueError as error:
                    assert "in use" in str(error), error
                    refused += 1
            stop.set()
            for thread in threads:
                thread.join()
            assert not problems, problems[:3]
            print(f"trial {trial}: {refused} refused, {changed} changed")
        print("ok")
        """, timeout=180)
    print(status, out, err[-2000:])
    assert status == 0 and out.strip().endswith("ok"), "crashed" if status else "hung or failed"


def test_the_first_changed_label_of_an_output_is_named_and_nothing_trains_on_it():
    model, _ = graph_model(hidden=16)
    x, y = graph_data()
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match=rf"{CHANGED}.*: the targets of output 'kind' \(y\[1\]\), sample 17: "
                                         r"sparse_categorical_crossentropy labels must be integers in \[0, 3\); "
                                         r"row 17 holds 3$"):
        model.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0,
                  callbacks=[rewrite_at_batch(y[1], 17, 3.0, at_batch=0)])
    for got, want in zip(model.get_weights(), before):
        np.testing.assert_array_equal(got, want)
    y[1][17] = 1
    history = model.fit(x, y, batch_size=32, epochs=2, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))


def test_targets_of_the_regression_output_and_sample_weights_rewritten_during_fit_raise_value_error():
    model, _ = graph_model(hidden=16)
    x, y = graph_data()
    # The output by its name (which keys a dict of targets) and the sample, in y's numbering although
    # the batches are shuffled.
    with pytest.raises(ValueError, match=rf"{CHANGED}.*: the targets of output 'value' \(y\[0\]\), sample 40: "
                                         r"targets contain NaN or infinity$"):
        model.fit(x, y, batch_size=32, epochs=2, verbose=0, callbacks=[rewrite_at_batch(y[0], (40, 0), np.nan)])
    x, y = graph_data()
    targets = {"kind": y[1], "value": y[0]}
    with pytest.raises(ValueError, match=rf"{CHANGED}.*: the targets of output 'kind' \(y\[1\]\), sample 200: "):
        model.fit(x, targets, batch_size=32, epochs=2, verbose=0, callbacks=[rewrite_at_batch(targets["kind"], 200, 7.0)])
    x, y = graph_data()
    weights = np.ones(len(x[0]), np.float32)
    with pytest.raises(ValueError, match=rf"{CHANGED}.*sample_weight\[9\] is -1"):
        model.fit(x, y, sample_weight=weights, batch_size=32, shuffle=False, epochs=1, verbose=0,
                  callbacks=[rewrite_at_batch(weights, 9, -1.0, at_batch=0)])
