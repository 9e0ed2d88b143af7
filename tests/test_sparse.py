"""scipy.sparse inputs: fit, evaluate, predict and the batch methods give what the same rows give dense
(Sequential and functional, with shuffling, sample and class weights, validation data and splits), the
scikit-learn estimators likewise, clear errors for malformed matrices, and training that stays far
below a dense copy of X in memory (measured in a child process).

Sparse and dense agree to float32 rounding, not bit for bit: the first Dense layer sums the same
non-zero products, but Eigen's sparse product adds them in another order than the dense GEMM's
blocked kernel (and skips the zero terms), so results differ in the last bits and, through training,
a little more. Tolerances are a few float32 ulps of the values compared."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

sparse = pytest.importorskip("scipy.sparse")

import fastmlp as fm  # noqa: E402
from fastmlp import layers  # noqa: E402

ROWS, FEATURES, CLASSES = 240, 300, 4
WEIGHT_TOLERANCE = 2e-5  # after a few epochs of Adam at lr 0.01; the weights are O(0.1)


@pytest.fixture(scope="module")
def bag_of_words():
    """Multi-hot counts at 3% density and labels a network can learn from them."""
    rng = np.random.default_rng(0)
    x = sparse.random(ROWS, FEATURES, density=0.03, format="csr", random_state=1, dtype=np.float32,
                      data_rvs=lambda n: rng.integers(1, 4, n).astype(np.float32))
    dense = x.toarray()
    y = np.argmax(dense[:, :CLASSES] + 0.01 * rng.random((ROWS, CLASSES)), axis=1)
    return x, dense, y


def classifier(features=FEATURES, seed=3):
    fm.utils.set_random_seed(seed)
    model = fm.Sequential([layers.Input((features,)), layers.Dense(16, activation="relu"),
                           layers.Dense(CLASSES, activation="softmax")])
    model.compile(optimizer=fm.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def assert_same_weights(a, b, tolerance=WEIGHT_TOLERANCE):
    worst = max(float(np.max(np.abs(wa - wb))) for wa, wb in zip(a.get_weights(), b.get_weights()))
    print(f"max |weight difference| {worst:.2e}")
    assert worst <= tolerance


@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("weighting", [None, "sample_weight", "class_weight"])
def test_fit_matches_dense_input(bag_of_words, shuffle, weighting):
    x, dense, y = bag_of_words
    extra = {"sample_weight": np.linspace(0.5, 2, ROWS)} if weighting == "sample_weight" else \
        {"class_weight": {0: 1.0, 1: 2.0, 2: 0.5, 3: 1.5}} if weighting == "class_weight" else {}
    a, b = classifier(), classifier()
    ha = a.fit(dense, y, batch_size=32, epochs=3, shuffle=shuffle, verbose=0, **extra)
    hb = b.fit(x, y, batch_size=32, epochs=3, shuffle=shuffle, verbose=0, **extra)
    assert_same_weights(a, b)
    np.testing.assert_allclose(hb.history["loss"], ha.history["loss"], rtol=1e-5)
    assert ha.history["loss"][-1] < ha.history["loss"][0]


@pytest.mark.parametrize("convert", [sparse.csr_matrix, sparse.csc_matrix, sparse.coo_matrix, sparse.csr_array,
                                     sparse.csc_array, sparse.coo_array, lambda m: m.astype(np.float64)],
                         ids=["csr", "csc", "coo", "csr_array", "csc_array", "coo_array", "csr float64"])
def test_every_format_predicts_and_evaluates_as_dense(bag_of_words, convert):
    x, dense, y = bag_of_words
    model = classifier()
    model.fit(dense, y, epochs=1, verbose=0)
    given = convert(x)
    np.testing.assert_allclose(model.predict(given, verbose=0), model.predict(dense, verbose=0), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(model.predict(given, batch_size=7, verbose=0), model.predict(dense, verbose=0),
                               rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(model.evaluate(given, y, verbose=0), model.evaluate(dense, y, verbose=0), rtol=1e-6)
    np.testing.assert_allclose(model.predict_on_batch(given), model.predict_on_batch(dense), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(model.test_on_batch(given, y), model.test_on_batch(dense, y), rtol=1e-6)


def test_batch_methods_and_validation_match_dense(bag_of_words):
    x, dense, y = bag_of_words
    a, b = classifier(), classifier()
    np.testing.assert_allclose(b.train_on_batch(x[:50], y[:50]), a.train_on_batch(dense[:50], y[:50]), rtol=1e-6)
    ha = a.fit(dense, y, epochs=2, validation_data=(dense[:60], y[:60]), verbose=0)
    hb = b.fit(x, y, epochs=2, validation_data=(x[:60], y[:60]), verbose=0)
    np.testing.assert_allclose(hb.history["val_loss"], ha.history["val_loss"], rtol=1e-5)
    ha = a.fit(dense, y, epochs=2, validation_split=0.25, verbose=0)
    hb = b.fit(x, y, epochs=2, validation_split=0.25, verbose=0)
    np.testing.assert_allclose(hb.history["val_loss"], ha.history["val_loss"], rtol=1e-5)
    assert_same_weights(a, b)


def test_sequential_without_an_input_shape_is_built_for_the_sparse_width(bag_of_words):
    x, dense, y = bag_of_words
    models = []
    for data in (x, dense):
        fm.utils.set_random_seed(8)
        model = fm.Sequential([layers.Dense(8, activation="relu"), layers.Dense(CLASSES, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        model.fit(data, y, epochs=1, verbose=0)
        models.append(model)
    assert models[0].input_shape == (None, FEATURES)
    assert_same_weights(*models)


def test_functional_model_with_a_sparse_and_a_dense_input(bag_of_words):
    """The sparse input feeds a Dense layer and a Concatenate, which gets each batch densified."""
    x, dense, y = bag_of_words
    side = np.random.default_rng(2).normal(size=(ROWS, 3)).astype(np.float32)

    def make():
        fm.utils.set_random_seed(5)
        words, extra = layers.Input((FEATURES,), name="words"), layers.Input((3,), name="extra")
        hidden = layers.Dense(8, activation="relu")(words)
        both = layers.Concatenate()([words, hidden, extra])
        model = fm.Model([words, extra], layers.Dense(CLASSES, activation="softmax")(both))
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        return model

    a, b = make(), make()
    ha = a.fit([dense, side], y, batch_size=16, epochs=2, validation_data=([dense[:50], side[:50]], y[:50]),
               verbose=0)
    hb = b.fit({"words": sparse.csc_matrix(x), "extra": side}, y, batch_size=16, epochs=2,
               validation_data=({"words": x[:50], "extra": side[:50]}, y[:50]), verbose=0)
    assert_same_weights(a, b)
    np.testing.assert_allclose(hb.history["val_loss"], ha.history["val_loss"], rtol=1e-5)
    np.testing.assert_allclose(b.predict([x, side], verbose=0), b.predict([dense, side], verbose=0), rtol=1e-6,
                               atol=1e-7)
    np.testing.assert_allclose(b.evaluate([x, side], y, verbose=0), b.evaluate([dense, side], y, verbose=0),
                               rtol=1e-6)


def test_sparse_targets_are_densified(bag_of_words):
    x, dense, y = bag_of_words
    one_hot = np.eye(CLASSES, dtype=np.float32)[y]
    a, b = classifier(), classifier()
    a.compile(optimizer=fm.optimizers.Adam(0.01), loss="categorical_crossentropy")
    b.compile(optimizer=fm.optimizers.Adam(0.01), loss="categorical_crossentropy")
    a.fit(x, one_hot, epochs=1, verbose=0, shuffle=False)
    b.fit(x, sparse.csr_matrix(one_hot), epochs=1, verbose=0, shuffle=False)
    assert_same_weights(a, b, tolerance=0)


def malformed(indptr, indices, data, cols=4, dtype=np.int32):
    """A CSR matrix built from its arrays, as scipy keeps them (it checks little at construction)."""
    return sparse.csr_matrix((np.array(data, np.float32), np.array(indices, dtype), np.array(indptr, dtype)),
                             shape=(len(indptr) - 1, cols))


@pytest.mark.parametrize("x, error, message", [
    (malformed([0, 2, 3], [3, 1, 0], [1, 1, 1]), ValueError, r"row 0 are not sorted; sort them first \(scipy: x.sort_indices\(\)\)"),
    (malformed([0, 2, 3], [1, 1, 0], [1, 1, 1]), ValueError, r"hold column 1 twice; .*x.sum_duplicates\(\)"),
    (malformed([0, 1, 2], [1, 4], [1, 1]), ValueError, r"column index 4, outside \[0, 4\)"),
    (malformed([0, 1, 2], [1, -2], [1, 1]), ValueError, r"column index -2"),
    (malformed([0, 1, 2], [0, 2], [1, np.nan]), ValueError, r"x contains NaN or infinity \(row 1, column 2\)"),
    (malformed([0, 1, 2], [0, 2], [1, np.inf]), ValueError, r"NaN or infinity"),
    (malformed([0, 1, 2], [0, 2], [1, 1], cols=5), ValueError, r"expects 4 input features.*\(2, 5\) \(sparse\)"),
    (malformed([0, 1, 2], [0, 2], [1, 1], dtype=np.int64), None, None),  # int64 indices that fit: read
    (sparse.csr_matrix(np.array([[1, 0, 0, 1j], [0, 0, 0, 0]])), TypeError, "real numbers"),
])
def test_malformed_sparse_input_is_refused_with_a_fix(x, error, message):
    model = fm.Sequential([layers.Input((4,)), layers.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    y = np.array([0, 1])
    if error is None:
        model.fit(x, y, verbose=0)
        np.testing.assert_allclose(model.predict(x, verbose=0), model.predict(x.toarray(), verbose=0), rtol=1e-6)
        return
    for call in (lambda: model.fit(x, y, verbose=0), lambda: model.predict(x, verbose=0),
                 lambda: model.evaluate(x, y, verbose=0), lambda: model.train_on_batch(x, y)):
        with pytest.raises(error, match=message):
            call()


def test_indices_beyond_int32_and_other_misuse():
    model = fm.Sequential([layers.Input((4,)), layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    wide = sparse.csr_matrix(([1.0], ([0], [2**31 + 5])), shape=(1, 2**31 + 10))
    assert wide.indices.dtype == np.int64
    with pytest.raises(ValueError, match="32-bit indices"):
        model.predict(wide, verbose=0)
    x = sparse.random(3, 4, density=0.5, format="csr", random_state=0)
    with pytest.raises(TypeError, match=r"training=True\) takes dense arrays.*x.toarray\(\)"):
        model(x, training=True)
    with pytest.raises(ValueError, match="must be 2-D"):
        model.predict(sparse.coo_array(np.ones(4)), verbose=0)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_sklearn_estimators_train_on_sparse_as_on_dense():
    from fastmlp.sklearn import MLPClassifier, MLPRegressor

    rng = np.random.default_rng(3)
    x = sparse.random(200, 120, density=0.05, format="csr", random_state=4)
    dense = x.toarray()
    labels = (dense[:, :3].sum(axis=1) > 0.1).astype(int) + (dense[:, 3] > 0)
    targets = dense[:, :2] @ [1.0, -2.0] + 0.1 * rng.normal(size=200)
    for estimator, y, outputs in ((MLPClassifier, labels, "predict_proba"), (MLPRegressor, targets, "predict")):
        a = estimator(hidden_layer_sizes=(16, 8), max_iter=5, random_state=0).fit(dense, y)
        b = estimator(hidden_layer_sizes=(16, 8), max_iter=5, random_state=0).fit(sparse.csc_matrix(x), y)
        for wa, wb in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
            np.testing.assert_allclose(wb, wa, atol=WEIGHT_TOLERANCE)
        np.testing.assert_allclose(getattr(b, outputs)(x), getattr(a, outputs)(dense), rtol=1e-5, atol=1e-5)
        assert b.score(sparse.coo_array(x), y) == pytest.approx(a.score(dense, y), abs=1e-5)
        b.partial_fit(x, y)
        a.partial_fit(dense, y)
        np.testing.assert_allclose(getattr(b, outputs)(x), getattr(a, outputs)(dense), rtol=1e-5, atol=1e-5)
        assert list(b.predict(x[:20])) == pytest.approx(list(a.predict(dense[:20])), abs=1e-5)
    stopped = MLPClassifier(hidden_layer_sizes=(8,), early_stopping=True, max_iter=4, random_state=0)
    binary = (labels > 0).astype(int)
    stopped.fit(x, binary)  # the held-out rows are taken from the sparse matrix, and scored sparse
    reference = MLPClassifier(hidden_layer_sizes=(8,), early_stopping=True, max_iter=4, random_state=0)
    np.testing.assert_allclose(stopped.validation_scores_, reference.fit(dense, binary).validation_scores_)
    unsorted = x.copy()
    unsorted.indices = unsorted.indices.copy()
    for row in range(unsorted.shape[0]):  # reverse each row's entries: scikit-learn accepts that, so do we
        start, end = unsorted.indptr[row], unsorted.indptr[row + 1]
        unsorted.indices[start:end] = unsorted.indices[start:end][::-1]
        unsorted.data[start:end] = unsorted.data[start:end][::-1]
    unsorted.has_sorted_indices = False
    clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=3, random_state=0).fit(unsorted, labels)
    np.testing.assert_allclose(clf.predict_proba(unsorted), clf.predict_proba(dense), rtol=1e-5, atol=1e-6)


MEMORY_CHILD = textwrap.dedent("""
    import ctypes, gc, json, sys
    import numpy as np
    from scipy import sparse
    sys.path.insert(0, sys.argv[1])
    import memory  # bench/memory.py: the kernel's peak-RSS mark
    import fastmlp as fm
    x = sparse.random(4000, 20000, density=0.002, format="csr", random_state=0, dtype=np.float32)
    x.data[:] = 1.0
    y = np.random.default_rng(0).integers(0, 10, 4000)
    model = fm.Sequential([fm.layers.Input((20000,)), fm.layers.Dense(128, activation="relu"),
                           fm.layers.Dense(128, activation="relu"), fm.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)  # freed temporaries of making x back to the system, not reused
    before = memory._status_kib("VmRSS")
    exact = memory._reset_peak_mark()
    model.fit(x, y, batch_size=32, epochs=2, verbose=0)
    model.fit(x, y, batch_size=32, epochs=1, shuffle=False, validation_split=0.2, verbose=0)
    model.predict(x, verbose=0)
    model.evaluate(x, y, verbose=0)
    peak = memory._status_kib("VmHWM") if exact else memory._max_rss_kib()
    weights = sum(w.nbytes for w in model.get_weights())
    print(json.dumps({"growth_mib": (peak - before) / 1024, "exact": exact, "model_mib": weights / 2**20,
                      "dense_x_mib": 4000 * 20000 * 4 / 2**20}))
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the resident set from /proc")
def test_training_on_sparse_input_needs_no_dense_copy():
    """4000 x 20000 at 0.2% density (a dense float32 copy is 305 MiB): fit, predict and evaluate grow
    the resident set above the compiled model by its optimizer state (Adam's two moments, twice the
    model's 10 MiB) and a few MiB of buffers, far below a copy of X."""
    bench = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench")
    done = subprocess.run([sys.executable, "-c", MEMORY_CHILD, bench], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(result)
    assert result["growth_mib"] < 3 * result["model_mib"] + 20


# ---- issue 26, items 8-10 -----------------------------------------------------------------------------
@pytest.mark.parametrize("change", [-5, 5])
def test_an_indptr_that_disagrees_with_the_shape_is_refused(bag_of_words, change):
    # scipy checks indptr only when the matrix is built: replaced afterwards, the core counted rows by
    # it and predicted 251 or 261 rows for 256.
    x, dense, y = bag_of_words
    x = x.copy()
    x.indptr = np.concatenate([x.indptr[:-1], np.full(change + 1, x.indptr[-1], x.indptr.dtype)]) \
        if change > 0 else x.indptr[:change]
    model = classifier()
    for call in (lambda: model.predict(x, verbose=0), lambda: model.evaluate(x, y, verbose=0),
                 lambda: model.fit(x, y, verbose=0), lambda: model.fit(dense, y, validation_data=(x, y), verbose=0)):
        with pytest.raises(ValueError, match=f"shape says {ROWS} rows, so indptr should hold {ROWS + 1} offsets, "
                                             f"it holds {ROWS + 1 + change}"):
            call()


@pytest.mark.parametrize("what", ["indices", "indptr"])
def test_a_callback_that_rewrites_the_matrix_during_fit_cannot_crash_it(what):
    # The structure is copied once per call: the callback's writes reach the caller's matrix only.
    from conftest import run_isolated
    status, out, err = run_isolated(f"""
        import numpy as np, scipy.sparse as sparse
        import fastmlp as fm
        from test_sparse import classifier, ROWS, FEATURES
        x = sparse.random(ROWS, FEATURES, density=0.03, format="csr", random_state=1, dtype=np.float32)
        y = np.random.default_rng(0).integers(0, 4, ROWS)
        untouched = x.copy()

        def rewrite(*_, **__):
            if {what!r} == "indices":
                x.indices[:] = 2**30
            else:
                x.indptr[1:] = x.indptr[-1] * 50

        for shuffle in (True, False):
            reference, model = classifier(), classifier()
            reference.fit(untouched, y, batch_size=16, epochs=2, verbose=0, shuffle=shuffle)
            model.fit(x, y, batch_size=16, epochs=2, verbose=0, shuffle=shuffle,
                      validation_data=(x, y), callbacks=[fm.callbacks.LambdaCallback(on_batch_end=rewrite)])
            gap = max(float(np.abs(a - b).max()) for a, b in zip(reference.get_weights(), model.get_weights()))
            print("shuffle", shuffle, "gap", gap)
            assert gap == 0.0
            x = untouched.copy()
        model.predict(x, batch_size=16, verbose=0,
                      callbacks=[fm.callbacks.LambdaCallback(on_predict_batch_end=rewrite)])
        print("ok")
        """, timeout=120)
    print(status, out, err[-3000:])
    assert status == 0, f"the process ended with status {status}: {err[-3000:]}"
    assert out.strip().endswith("ok")


@pytest.mark.parametrize("format", ["dok", "lil"])
def test_a_dok_matrix_is_data_not_a_dict_of_inputs(bag_of_words, format):
    # scipy's DOK matrix subclasses dict; it was read as a dict of inputs (TypeError: ufunc 'isnan').
    x, dense, y = bag_of_words
    other = x.asformat(format)
    a, b = classifier(), classifier()
    a.fit(dense, y, epochs=1, verbose=0, shuffle=False, validation_data=(dense, y))
    b.fit(other, y, epochs=1, verbose=0, shuffle=False, validation_data=(other, y))
    assert_same_weights(a, b)
    np.testing.assert_allclose(b.evaluate(other, y, verbose=0), a.evaluate(dense, y, verbose=0), rtol=1e-5)
    np.testing.assert_allclose(b.predict(other, verbose=0), a.predict(dense, verbose=0), rtol=1e-5, atol=1e-6)
