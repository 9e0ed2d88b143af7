"""Keras's TruePositives, FalsePositives, TrueNegatives and FalseNegatives against their definitions
(counts over every output of every sample, predicted > threshold), and fastmlp.ops, keras.ops's NumPy
subset."""

import numpy as np
import pytest

import fastmlp as fm

COUNTS = {"TruePositives": (True, True), "FalsePositives": (True, False), "TrueNegatives": (False, False),
          "FalseNegatives": (False, True)}


@pytest.mark.parametrize("name", sorted(COUNTS))
@pytest.mark.parametrize("threshold", [None, 0.3])
def test_confusion_counts_match_their_definition(name, threshold, rng):
    x = rng.normal(size=(150, 3)).astype(np.float32)
    y = (rng.random((150, 2)) > 0.5).astype(np.float32)
    fm.utils.set_random_seed(0)
    model = fm.Sequential([fm.layers.Input((3,)), fm.layers.Dense(2, activation="sigmoid")])
    metric = getattr(fm.metrics, name)(thresholds=threshold)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=[metric])
    logs = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    p = model.predict(x, verbose=0)
    predicted, actual = COUNTS[name]
    expected = np.sum(((p > (0.5 if threshold is None else threshold)) == predicted) & ((y > 0.5) == actual))
    key = {"TruePositives": "true_positives", "FalsePositives": "false_positives",
           "TrueNegatives": "true_negatives", "FalseNegatives": "false_negatives"}[name]
    assert logs[key] == expected  # a count, summed over batches, not a mean
    history = model.fit(x, y, epochs=1, verbose=0)
    assert history.history[key][0] <= x.size


def test_the_four_counts_add_up_and_take_string_names(rng):
    x = rng.normal(size=(40, 2)).astype(np.float32)
    y = (rng.random((40, 1)) > 0.5).astype(np.float32)
    model = fm.Sequential([fm.layers.Input((2,)), fm.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=["true_positives", "false_positives", "true_negatives", "false_negatives"])
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert sum(logs[k] for k in ("true_positives", "false_positives", "true_negatives", "false_negatives")) == 40
    with pytest.raises(ValueError, match="thresholds"):
        fm.metrics.TruePositives(thresholds=1.5)


def test_ops_is_keras_ops_on_numpy_arrays():
    ops = fm.ops
    x = ops.convert_to_tensor([[1.0, 3.0, 2.0], [0.5, -1.0, 4.0]])
    assert isinstance(x, np.ndarray) and ops.convert_to_numpy(x) is not x
    assert ops.ones((2, 3)).dtype == np.float32 and ops.zeros((1,)).tolist() == [0.0]
    np.testing.assert_array_equal(ops.argmax(x, axis=1), [1, 2])
    np.testing.assert_array_equal(ops.argmax(x, axis=-1), np.argmax(x, axis=-1))
    assert ops.mean(x) == pytest.approx(np.mean(x)) and ops.sum(x, axis=0, keepdims=True).shape == (1, 3)
    np.testing.assert_allclose(ops.softmax(x).sum(axis=-1), 1, rtol=1e-6)
    np.testing.assert_allclose(ops.sigmoid(x), 1 / (1 + np.exp(-x)), rtol=1e-6)
    np.testing.assert_allclose(ops.relu(x), np.maximum(x, 0))
    np.testing.assert_allclose(np.exp(ops.log_softmax(x)), ops.softmax(x), rtol=1e-5)
    np.testing.assert_array_equal(ops.one_hot([0, 2], 3), [[1, 0, 0], [0, 0, 1]])
    values, indices = ops.top_k(x, 2)
    np.testing.assert_array_equal(indices, [[1, 2], [2, 0]]) and np.testing.assert_array_equal(values[:, 0], [3, 4])
    assert ops.cast(x, "int32").dtype == np.int32 and ops.shape(x) == (2, 3)
    np.testing.assert_array_equal(ops.expand_dims(ops.arange(3), 0), [[0, 1, 2]])
    assert ops.matmul(x, ops.transpose(x)).shape == (2, 2)
