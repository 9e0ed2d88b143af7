"""Keras's stateful metric API (update_state, result, reset_state, __call__, variables) for the built-in
metrics used on their own and for a user's Metric subclass, compared with real Keras on the same data."""

import numpy as np
import pytest
from interop_fixtures import import_keras

import fastmlp as fm
from fastmlp import metrics

# Keras on torch 2.13 converts tensors through an __array__ that NumPy 2 warns about.
KERAS = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")


def keras_value(metric):
    return np.asarray(import_keras().ops.convert_to_numpy(metric.result()), np.float64)


def batches(seed=0, outputs=1):
    rng = np.random.default_rng(seed)
    out = []
    for rows in (7, 12, 5):
        y_true = (rng.random((rows, outputs)) > 0.5).astype(np.float32)
        y_pred = rng.random((rows, outputs)).astype(np.float32)
        weight = rng.random(rows).astype(np.float32) * 2
        out.append((y_true, y_pred, weight))
    return out


CASES = [
    ("MeanSquaredError", {}, 1), ("MeanAbsoluteError", {}, 3), ("BinaryAccuracy", {"threshold": 0.4}, 2),
    ("Precision", {}, 1), ("Precision", {"thresholds": [0.2, 0.5, 0.8]}, 2), ("Recall", {"thresholds": 0.3}, 1),
    ("AUC", {"num_thresholds": 50}, 1), ("TruePositives", {}, 2), ("FalseNegatives", {"thresholds": [0.3, 0.6]}, 1),
]


@KERAS
@pytest.mark.parametrize("class_name, kwargs, outputs", CASES, ids=[f"{c[0]}{c[1]}" for c in CASES])
def test_builtin_metrics_match_keras(class_name, kwargs, outputs):
    keras = import_keras()
    for weighted in (False, True):
        ours, theirs = getattr(metrics, class_name)(**kwargs), getattr(keras.metrics, class_name)(**kwargs)
        for y_true, y_pred, weight in batches(outputs=outputs):
            sample_weight = weight if weighted else None
            assert ours.update_state(y_true, y_pred, sample_weight=sample_weight) is None
            theirs.update_state(y_true, y_pred, sample_weight=sample_weight)
            np.testing.assert_allclose(ours.result(), keras_value(theirs), rtol=1e-5, atol=1e-6,
                                       err_msg=f"{class_name} weighted={weighted}")
        assert [v.name for v in ours.variables] == [v.name for v in theirs.variables]
        for a, b in zip(ours.variables, theirs.variables):
            np.testing.assert_allclose(np.asarray(a), keras.ops.convert_to_numpy(b.value), rtol=1e-5, atol=1e-5,
                                       err_msg=f"{class_name}.{a.name}")
        ours.reset_state()
        theirs.reset_state()
        assert ours.result() == pytest.approx(float(np.ravel(keras_value(theirs))[0]))


@KERAS
def test_call_returns_the_running_result_and_result_types():
    keras = import_keras()
    (y1, p1, _), (y2, p2, _), _ = batches()
    ours, theirs = metrics.MeanSquaredError(), keras.metrics.MeanSquaredError()
    for y, p in ((y1, p1), (y2, p2)):
        value = ours(y, p)
        assert isinstance(value, float)
        assert value == pytest.approx(float(theirs(y, p)), rel=1e-6)
    many = metrics.Precision(thresholds=[0.3, 0.7])
    assert many(y1, p1).shape == (2,)


@KERAS
def test_accuracy_on_its_own_compares_values_as_keras():
    keras = import_keras()
    cases = [(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.0, 2.0], [3.0, 5.0]]), None),
             (np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 3.0]), None),
             (np.array([[1.0], [2.0], [0.0]]), np.array([[1.0], [0.0], [0.0]]), np.array([0.5, 2.0, 1.0]))]
    ours, theirs = metrics.Accuracy(), keras.metrics.Accuracy()
    for y_true, y_pred, weight in cases:
        ours.update_state(y_true, y_pred, sample_weight=weight)
        theirs.update_state(y_true, y_pred, sample_weight=weight)
        assert ours.result() == pytest.approx(float(keras_value(theirs)), rel=1e-6)


@KERAS
def test_label_metrics_and_shapes_against_keras():
    keras = import_keras()
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 4, size=20).astype(np.float32)
    scores = rng.random((20, 4)).astype(np.float32)
    for name, y_true in (("SparseCategoricalAccuracy", labels), ("CategoricalAccuracy", np.eye(4)[labels.astype(int)]),
                         ("TopKCategoricalAccuracy", np.eye(4)[labels.astype(int)])):
        kwargs = {"k": 2} if name.startswith("TopK") else {}
        ours, theirs = getattr(metrics, name)(**kwargs), getattr(keras.metrics, name)(**kwargs)
        ours.update_state(y_true, scores, sample_weight=np.linspace(0, 1, 20))
        theirs.update_state(y_true, scores, sample_weight=np.linspace(0, 1, 20))
        assert ours.result() == pytest.approx(float(keras_value(theirs)), rel=1e-6), name
    # 1-D inputs: Keras reduces a mean metric's last axis (one sample) but counts every output of a confusion metric.
    for name in ("MeanSquaredError", "Precision", "BinaryAccuracy"):
        ours, theirs = getattr(metrics, name)(), getattr(keras.metrics, name)()
        for y, p in ((np.array([1.0, 0.0, 1.0]), np.array([0.9, 0.6, 0.2])), (np.array([0.0]), np.array([0.7]))):
            ours.update_state(y, p)
            theirs.update_state(y, p)
        assert ours.result() == pytest.approx(float(keras_value(theirs)), rel=1e-6), name
    # A number as sample_weight weighs the whole batch, as Keras does.
    ours, theirs = metrics.MeanSquaredError(), keras.metrics.MeanSquaredError()
    for weight in (2.0, 0.5):
        ours.update_state(np.ones((3, 2)), scores[:3, :2], sample_weight=weight)
        theirs.update_state(np.ones((3, 2)), scores[:3, :2], sample_weight=weight)
    assert ours.result() == pytest.approx(float(keras_value(theirs)), rel=1e-6)
    assert [float(v) for v in ours.variables] == pytest.approx([float(v) for v in theirs.variables], rel=1e-6)


def test_bad_input_is_a_clear_error():
    m = metrics.MeanSquaredError()
    with pytest.raises(ValueError, match="same shape|same number"):
        m.update_state(np.zeros((3, 2)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match="same number of samples"):
        m.update_state(np.zeros((3, 1)), np.zeros((4, 1)))
    with pytest.raises(ValueError, match="one weight per sample"):
        m.update_state(np.zeros((3, 1)), np.zeros((3, 1)), sample_weight=np.ones(4))
    with pytest.raises(TypeError, match="numbers"):
        m.update_state(np.array(["a"]), np.zeros(1))
    assert m.result() == 0.0  # nothing was added


class BinaryTruePositives(metrics.Metric):
    """Counts samples that are positive and predicted positive (> 0.5), weighted (Keras's guide pattern)."""

    def __init__(self, name="binary_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(shape=(), initializer="zeros", name="tp")
        self.seen = self.add_weight(shape=(2,), initializer="ones", name="seen")

    def update_state(self, y_true, y_pred, sample_weight=None):
        values = np.logical_and(np.asarray(y_true) > 0.5, np.asarray(y_pred) > 0.5).astype(self.dtype)
        if sample_weight is not None:
            values = values * np.broadcast_to(np.reshape(sample_weight, (-1,) + (1,) * (values.ndim - 1)), values.shape)
        self.true_positives.assign_add(values.sum())
        self.seen.assign(self.seen + np.array([len(values), 0.0]))

    def result(self):
        return self.true_positives


def keras_binary_true_positives(keras):
    class KerasBinaryTruePositives(keras.metrics.Metric):
        def __init__(self, name="binary_true_positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.true_positives = self.add_variable(shape=(), initializer="zeros", name="tp")
            self.seen = self.add_weight(shape=(2,), initializer="ones", name="seen")

        def update_state(self, y_true, y_pred, sample_weight=None):
            ops = keras.ops
            values = ops.cast(ops.logical_and(ops.greater(y_true, 0.5), ops.greater(y_pred, 0.5)), self.dtype)
            if sample_weight is not None:
                values = values * ops.reshape(ops.cast(sample_weight, self.dtype), (-1, 1))
            self.true_positives.assign_add(ops.sum(values))
            self.seen.assign(self.seen + ops.convert_to_tensor([float(values.shape[0]), 0.0]))

        def result(self):
            return self.true_positives

    return KerasBinaryTruePositives()


@KERAS
def test_user_metric_subclass_as_keras():
    keras = import_keras()
    ours, theirs = BinaryTruePositives(), keras_binary_true_positives(keras)
    assert ours.name == "binary_true_positives" and ours.dtype == "float32"
    variables = ours.variables
    assert variables is not ours._metric_variables and variables == ours._metric_variables
    assert [v.name for v in variables] == [v.name for v in theirs.variables]
    assert [v.path for v in variables] == [v.path for v in theirs.variables]
    assert all(isinstance(v, fm.Variable) and not v.trainable for v in variables)
    np.testing.assert_array_equal(ours.seen.numpy(), [1, 1])
    for y_true, y_pred, weight in batches(seed=4, outputs=1):
        value = ours(y_true, y_pred, sample_weight=weight)
        expected = theirs(y_true, y_pred, sample_weight=weight)
        assert float(value) == pytest.approx(float(expected), rel=1e-6)
    for a, b in zip(ours.variables, theirs.variables):
        np.testing.assert_allclose(a.numpy(), keras.ops.convert_to_numpy(b.value), rtol=1e-6)
    ours.reset_state()
    theirs.reset_state()
    for a, b in zip(ours.variables, theirs.variables):  # Keras resets every variable to zeros
        np.testing.assert_array_equal(a.numpy(), keras.ops.convert_to_numpy(b.value))
    assert ours.get_config() == {"name": "binary_true_positives", "dtype": "float32"}
    copy = BinaryTruePositives.from_config(ours.get_config())
    assert copy.name == ours.name and copy.variables[0] is not ours.variables[0]
    assert BinaryTruePositives(name="other").name == "other"


def test_user_metric_base_class_rules():
    class Forgot(metrics.Metric):
        def __init__(self):
            pass

    with pytest.raises(RuntimeError, match="super"):
        Forgot().add_variable(shape=(), initializer="zeros")

    class Empty(metrics.Metric):
        pass

    empty = Empty()
    assert empty.name == "empty" and Empty().name == "empty_1"
    with pytest.raises(NotImplementedError):
        empty.update_state(np.zeros(1), np.zeros(1))
    with pytest.raises(NotImplementedError):
        empty.result()
    assert fm.metrics.get(empty) is empty  # compile traces a user's metric
    with pytest.raises(TypeError, match="C\\+\\+ metric"):
        metrics.Precision().add_variable(shape=(), initializer="zeros")
