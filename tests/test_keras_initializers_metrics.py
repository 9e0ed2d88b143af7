"""Initializers (by name, class and callable: seeded, with Keras's statistics) and metrics (against
NumPy and scikit-learn references, and "accuracy" resolved from the loss as Keras resolves it)."""

import math

import numpy as np
import pytest
from sklearn import metrics as sk

import fastmlp as fm

I = fm.initializers
FAN_IN, FAN_OUT = 150, 250
TRUNCATED = 0.87962566103423978  # stddev of a unit normal truncated at +-2


def spread(name):
    """(bound on |w|, expected stddev) of Keras's initializer ``name`` for a (FAN_IN, FAN_OUT) kernel."""
    scale, fan = {"glorot": (1, (FAN_IN + FAN_OUT) / 2), "he": (2, FAN_IN), "lecun": (1, FAN_IN)}[name.split("_")[0]]
    std = math.sqrt(scale / fan)
    if name.endswith("uniform"):
        return math.sqrt(3) * std, std
    return 2 * std / TRUNCATED, std


def kernel(initializer, seed=0):
    fm.utils.set_random_seed(seed)
    model = fm.Sequential([fm.layers.Input((FAN_IN,)), fm.layers.Dense(FAN_OUT, kernel_initializer=initializer)])
    return model.get_weights()[0].astype(np.float64)


@pytest.mark.parametrize("name", ["glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform",
                                  "lecun_normal"])
@pytest.mark.parametrize("form", ["string", "class"])
def test_variance_scaling_statistics(name, form):
    cls = getattr(I, "".join(part.capitalize() for part in name.split("_")))
    w = kernel(name) if form == "string" else cls(seed=3)((FAN_IN, FAN_OUT))
    bound, std = spread(name)
    assert np.abs(w).max() <= bound * (1 + 1e-6)
    assert np.std(w) == pytest.approx(std, rel=0.03)
    assert abs(np.mean(w)) < 0.1 * std
    if form == "string":
        np.testing.assert_array_equal(w, kernel(name))  # the same global seed, the same draw
        assert not np.array_equal(w, kernel(name, seed=1))
    else:
        np.testing.assert_array_equal(w, cls(seed=3)((FAN_IN, FAN_OUT)))
        assert cls(seed=3).get_config() == {"seed": 3}


def test_other_initializers():
    shape = (FAN_IN, FAN_OUT)
    assert np.all(kernel("zeros") == 0) and np.all(kernel("ones") == 1)
    assert np.all(I.Constant(0.25)(shape) == 0.25)
    normal = I.RandomNormal(mean=1.0, stddev=0.2, seed=1)(shape)
    assert normal.mean() == pytest.approx(1.0, abs=0.01) and normal.std() == pytest.approx(0.2, rel=0.03)
    uniform = I.RandomUniform(-0.3, 0.1, seed=1)(shape)
    assert uniform.min() >= -0.3 and uniform.max() <= 0.1 and uniform.mean() == pytest.approx(-0.1, abs=0.01)
    truncated = I.TruncatedNormal(stddev=0.05, seed=1)(shape)
    assert np.abs(truncated).max() <= 0.1 and truncated.std() == pytest.approx(0.05 * TRUNCATED, rel=0.03)
    for rows, cols in ((FAN_OUT, FAN_IN), (FAN_IN, FAN_OUT)):
        q = I.Orthogonal(gain=2.0, seed=1)((rows, cols)).astype(np.float64)
        gram = q.T @ q if rows >= cols else q @ q.T
        np.testing.assert_allclose(gram, 4 * np.eye(min(rows, cols)), atol=1e-4)
    np.testing.assert_array_equal(I.Identity(gain=3.0)((4, 6)), 3 * np.eye(4, 6))
    np.testing.assert_array_equal(kernel(I.Identity()), np.eye(FAN_IN, FAN_OUT))
    np.testing.assert_array_equal(kernel(lambda shape, dtype=None: np.full(shape, 0.5)), np.full(shape, 0.5))
    assert I.VarianceScaling(2.0, "fan_out", "untruncated_normal", seed=1)(shape).std() == \
        pytest.approx(math.sqrt(2 / FAN_OUT), rel=0.03)
    for name in ("GlorotUniform", "he_normal", "orthogonal"):
        assert I.get(name) is not None
    config = I.serialize(I.RandomNormal(stddev=0.1, seed=4))
    assert I.get(config).get_config() == I.RandomNormal(stddev=0.1, seed=4).get_config()


# ---- metrics -------------------------------------------------------------------------------------------
def fixed_model(units, activation, loss, metric_list, inputs=5, seed=0):
    fm.utils.set_random_seed(seed)
    model = fm.Sequential([fm.layers.Input((inputs,)), fm.layers.Dense(units, activation=activation)])
    model.compile(optimizer="sgd", loss=loss, metrics=metric_list)
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0, 1, (inputs, units)).astype(np.float32), np.zeros(units, np.float32)])
    return model, rng.normal(size=(300, inputs)).astype(np.float32)


def test_binary_metrics_against_sklearn():
    model, x = fixed_model(1, "sigmoid", "binary_crossentropy",
                           ["accuracy", "binary_accuracy", "precision", "recall", "auc",
                            fm.metrics.Precision(name="p"), "mse", "mae"])
    p = model.predict(x, verbose=0)[:, 0].astype(np.float64)
    y = (np.random.default_rng(1).uniform(size=len(x)) < p).astype(np.float32)  # labels that follow p loosely
    logs = model.evaluate(x, y.reshape(-1, 1), batch_size=64, verbose=0, return_dict=True)
    predicted = p > 0.5
    assert logs["accuracy"] == pytest.approx(sk.accuracy_score(y, predicted), abs=1e-6)
    assert logs["binary_accuracy"] == logs["accuracy"]
    assert logs["precision"] == pytest.approx(sk.precision_score(y, predicted), abs=1e-6) == logs["p"]
    assert logs["recall"] == pytest.approx(sk.recall_score(y, predicted), abs=1e-6)
    assert logs["auc"] == pytest.approx(sk.roc_auc_score(y, p), abs=5e-3)  # Keras's 200-threshold estimate
    assert logs["mse"] == pytest.approx(np.mean((p - y) ** 2), rel=1e-5)
    assert logs["mae"] == pytest.approx(np.mean(np.abs(p - y)), rel=1e-5)


def test_categorical_metrics_against_sklearn():
    model, x = fixed_model(8, "softmax", "categorical_crossentropy",
                           ["accuracy", "categorical_accuracy", "top_k_categorical_accuracy"])
    p = model.predict(x, verbose=0).astype(np.float64)
    labels = np.random.default_rng(2).integers(0, 8, len(x))
    logs = model.evaluate(x, fm.utils.to_categorical(labels, 8), batch_size=64, verbose=0, return_dict=True)
    assert logs["accuracy"] == pytest.approx(sk.accuracy_score(labels, p.argmax(axis=1)), abs=1e-6)
    assert logs["categorical_accuracy"] == logs["accuracy"]
    assert logs["top_k_categorical_accuracy"] == pytest.approx(
        sk.top_k_accuracy_score(labels, p, k=5, labels=range(8)), abs=1e-6)



def test_top_k_with_any_k_and_through_a_model_file(tmp_path):
    top_2, top_3 = fm.metrics.TopKCategoricalAccuracy(k=2, name="top2"), fm.metrics.TopKCategoricalAccuracy(k=3)
    model, x = fixed_model(8, "softmax", "categorical_crossentropy", [top_2, top_3])
    p = model.predict(x, verbose=0).astype(np.float64)
    y = fm.utils.to_categorical(np.random.default_rng(2).integers(0, 8, len(x)), 8)
    logs = model.evaluate(x, y, batch_size=64, verbose=0, return_dict=True)
    labels = y.argmax(axis=1)
    assert logs["top2"] == pytest.approx(sk.top_k_accuracy_score(labels, p, k=2, labels=range(8)), abs=1e-6)
    assert logs["top_k_categorical_accuracy"] == pytest.approx(
        sk.top_k_accuracy_score(labels, p, k=3, labels=range(8)), abs=1e-6)
    assert top_3.get_config() == {"name": "top_k_categorical_accuracy", "k": 3}
    # k travels in the file; the history key stays Keras's metric name.
    model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=[top_3])
    model.save(tmp_path / "top_k.fmlp")
    again = fm.models.load_model(tmp_path / "top_k.fmlp").evaluate(x, y, batch_size=64, verbose=0, return_dict=True)
    assert list(again) == ["loss", "top_k_categorical_accuracy"]
    assert again["top_k_categorical_accuracy"] == logs["top_k_categorical_accuracy"]
    for bad, error in [(0, ValueError), (2.5, TypeError), (True, TypeError)]:
        with pytest.raises(error, match="k must be"):
            fm.metrics.TopKCategoricalAccuracy(k=bad)
    with pytest.raises(ValueError, match="unknown metric"):
        model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["top_k_categorical_accuracy(k=0)"])


def test_sparse_accuracy_and_the_resolution_of_accuracy():
    model, x = fixed_model(4, "softmax", "sparse_categorical_crossentropy",
                           ["accuracy", fm.metrics.SparseCategoricalAccuracy()])
    labels = np.random.default_rng(3).integers(0, 4, len(x))
    logs = model.evaluate(x, labels.reshape(-1, 1), verbose=0, return_dict=True)
    expected = sk.accuracy_score(labels, model.predict(x, verbose=0).argmax(axis=1))
    assert logs["accuracy"] == pytest.approx(expected, abs=1e-6)
    assert logs["sparse_categorical_accuracy"] == logs["accuracy"]
    # "accuracy" with a one-unit output (any loss) is binary accuracy, as in Keras.
    model, x = fixed_model(1, "sigmoid", "mse", ["accuracy"])
    y = np.random.default_rng(4).integers(0, 2, (len(x), 1)).astype(np.float32)
    expected = np.mean((model.predict(x, verbose=0) > 0.5) == y)
    assert model.evaluate(x, y, verbose=0, return_dict=True)["accuracy"] == pytest.approx(expected, abs=1e-6)
