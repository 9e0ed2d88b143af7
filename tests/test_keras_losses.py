"""Every loss against a float64 NumPy transcription of Keras 3's formula: per-sample values (the
fastmlp.losses functions and classes), the reduction, and the gradient the core trains with against
central finite differences of the reference (so the gradient is checked against Keras's value)."""

import numpy as np
import pytest

import fastmlp as fm
from conftest import assert_close

EPS = 1e-7
ROWS, COLS = 6, 4


def softplus(x):
    return np.logaddexp(0, x)


def log_softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def hinge_labels(y):
    return 2 * y - 1 if np.all((y == 0) | (y == 1)) else y


def bce(y, p, from_logits=False, label_smoothing=0.0):
    y = y * (1 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        return np.mean(np.maximum(p, 0) - p * y + np.log1p(np.exp(-np.abs(p))), axis=1)
    q = np.clip(p, EPS, 1 - EPS)
    return -np.mean(y * np.log(q) + (1 - y) * np.log(1 - q), axis=1)


def cce(y, p, from_logits=False, label_smoothing=0.0):
    y = y * (1 - label_smoothing) + label_smoothing / p.shape[1]
    if from_logits:
        return -np.sum(y * log_softmax(p), axis=1)
    q = np.clip(p / p.sum(axis=1, keepdims=True), EPS, 1 - EPS)
    return -np.sum(y * np.log(q), axis=1)


def normalize(v):
    return v / np.sqrt(np.maximum(np.sum(v * v, axis=1, keepdims=True), 1e-12))


def huber(y, p, delta=1.0):
    e = np.abs(p - y)
    return np.mean(np.where(e <= delta, 0.5 * e * e, delta * e - 0.5 * delta ** 2), axis=1)


REFERENCES = {
    "mean_squared_error": lambda y, p: np.mean((p - y) ** 2, axis=1),
    "mean_absolute_error": lambda y, p: np.mean(np.abs(p - y), axis=1),
    "mean_absolute_percentage_error": lambda y, p: 100 * np.mean(np.abs(y - p) / np.maximum(np.abs(y), EPS), axis=1),
    "mean_squared_logarithmic_error": lambda y, p: np.mean(
        (np.log(np.maximum(p, EPS) + 1) - np.log(np.maximum(y, EPS) + 1)) ** 2, axis=1),
    "hinge": lambda y, p: np.mean(np.maximum(1 - hinge_labels(y) * p, 0), axis=1),
    "squared_hinge": lambda y, p: np.mean(np.maximum(1 - hinge_labels(y) * p, 0) ** 2, axis=1),
    "categorical_hinge": lambda y, p: np.maximum(np.max((1 - y) * p, axis=1) - np.sum(y * p, axis=1) + 1, 0),
    "log_cosh": lambda y, p: np.mean((p - y) + softplus(-2 * (p - y)) - np.log(2), axis=1),
    "huber": huber,
    "binary_crossentropy": bce,
    "categorical_crossentropy": cce,
    "sparse_categorical_crossentropy": lambda y, p: cce(np.eye(p.shape[1])[y[:, 0].astype(int)], p),
    "kl_divergence": lambda y, p: np.sum(np.clip(y, EPS, 1) * np.log(np.clip(y, EPS, 1) / np.clip(p, EPS, 1)), axis=1),
    "poisson": lambda y, p: np.mean(p - y * np.log(p + EPS), axis=1),
    "cosine_similarity": lambda y, p: -np.sum(normalize(y) * normalize(p), axis=1),
}
ALIASES = {"mse": "mean_squared_error", "MSE": "mean_squared_error", "mae": "mean_absolute_error",
           "mape": "mean_absolute_percentage_error", "msle": "mean_squared_logarithmic_error",
           "kld": "kl_divergence", "KLD": "kl_divergence", "kullback_leibler_divergence": "kl_divergence",
           "logcosh": "log_cosh", "huber_loss": "huber", "bce": "binary_crossentropy"}
CLASSES = {"mean_squared_error": "MeanSquaredError", "mean_absolute_error": "MeanAbsoluteError",
           "mean_absolute_percentage_error": "MeanAbsolutePercentageError",
           "mean_squared_logarithmic_error": "MeanSquaredLogarithmicError", "hinge": "Hinge",
           "squared_hinge": "SquaredHinge", "categorical_hinge": "CategoricalHinge", "log_cosh": "LogCosh",
           "huber": "Huber", "binary_crossentropy": "BinaryCrossentropy",
           "categorical_crossentropy": "CategoricalCrossentropy",
           "sparse_categorical_crossentropy": "SparseCategoricalCrossentropy", "kl_divergence": "KLDivergence",
           "poisson": "Poisson", "cosine_similarity": "CosineSimilarity"}


def data(loss, rng):
    """(y_true, y_pred) in float32, in each loss's domain and clear of its kinks (for finite differences)."""
    p = rng.uniform(0.1, 0.9, (ROWS, COLS))
    if loss in ("categorical_crossentropy", "categorical_hinge", "kl_divergence"):
        y = np.eye(COLS)[rng.integers(0, COLS, ROWS)]
        if loss == "kl_divergence":
            y = rng.dirichlet(np.ones(COLS), ROWS)
    elif loss == "sparse_categorical_crossentropy":
        y = rng.integers(0, COLS, (ROWS, 1)).astype(float)
    elif loss in ("hinge", "squared_hinge"):
        y = rng.integers(0, 2, (ROWS, COLS)).astype(float)
        p = rng.uniform(-1.5, 1.5, (ROWS, COLS))
        p[np.abs(np.abs(p) - 1) < 0.05] += 0.1  # away from the hinge at y p = 1
    elif loss == "binary_crossentropy":
        y = rng.uniform(0, 1, (ROWS, COLS))
    else:
        y = rng.uniform(0.2, 2, (ROWS, COLS))
        p = rng.uniform(-1, 3, (ROWS, COLS)) if loss in ("mean_squared_error", "log_cosh", "huber",
                                                          "cosine_similarity") else rng.uniform(0.1, 3, (ROWS, COLS))
        close = np.abs(p - y) < 0.05  # away from |p - y| = 0 and the Huber corner |p - y| = delta
        p[close] += 0.1
        p[np.abs(np.abs(p - y) - 1) < 0.05] += 0.1
    return y.astype(np.float32), p.astype(np.float32)


def finite_difference_gradient(reference, y, p, h=1e-6):
    """d mean(reference(y, p)) / dp by central differences in float64."""
    y, p = y.astype(np.float64), p.astype(np.float64)
    grad = np.zeros_like(p)
    for index in np.ndindex(p.shape):
        up, down = p.copy(), p.copy()
        up[index] += h
        down[index] -= h
        grad[index] = (np.mean(reference(y, up)) - np.mean(reference(y, down))) / (2 * h)
    return grad


@pytest.mark.parametrize("loss", REFERENCES)
def test_loss_values_and_gradients_match_keras(loss, rng):
    y, p = data(loss, rng)
    reference = REFERENCES[loss]
    expected = reference(y.astype(np.float64), p.astype(np.float64))
    function = getattr(fm.losses, loss)
    assert_close(f"{loss} per sample", function(y, p), expected, rtol=2e-5, atol=2e-6)
    obj = getattr(fm.losses, CLASSES[loss])()
    assert_close(f"{loss} reduced", obj(y, p), expected.mean(), rtol=2e-5, atol=2e-6)
    assert fm.losses.get(loss)(y, p) == pytest.approx(obj(y, p), rel=1e-6)
    gradient = obj._core.gradient(y, p)
    numeric = finite_difference_gradient(reference, y, p)
    assert_close(f"{loss} gradient vs finite differences", gradient, numeric, rtol=2e-3, atol=2e-6)
    assert np.abs(gradient).max() > 1e-3


@pytest.mark.parametrize("alias", ALIASES)
def test_aliases_and_class_names(alias, rng):
    y, p = data(ALIASES[alias], rng)
    expected = REFERENCES[ALIASES[alias]](y.astype(np.float64), p.astype(np.float64)).mean()
    assert fm.losses.get(alias)(y, p) == pytest.approx(expected, rel=2e-5)
    assert fm.losses.get(CLASSES[ALIASES[alias]])(y, p) == pytest.approx(expected, rel=2e-5)
    if hasattr(fm.losses, alias):
        assert fm.losses.get(getattr(fm.losses, alias))(y, p) == pytest.approx(expected, rel=2e-5)


VARIANTS = {
    "bce_logits": (lambda: fm.losses.BinaryCrossentropy(from_logits=True), lambda y, p: bce(y, p, True),
                   "binary_crossentropy"),
    "bce_smoothing": (lambda: fm.losses.BinaryCrossentropy(label_smoothing=0.2), lambda y, p: bce(y, p, False, 0.2),
                      "binary_crossentropy"),
    "bce_logits_smoothing": (lambda: fm.losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1),
                             lambda y, p: bce(y, p, True, 0.1), "binary_crossentropy"),
    "cce_logits": (lambda: fm.losses.CategoricalCrossentropy(from_logits=True), lambda y, p: cce(y, p, True),
                   "categorical_crossentropy"),
    "cce_smoothing": (lambda: fm.losses.CategoricalCrossentropy(label_smoothing=0.3),
                      lambda y, p: cce(y, p, False, 0.3), "categorical_crossentropy"),
    "cce_logits_smoothing": (lambda: fm.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1),
                             lambda y, p: cce(y, p, True, 0.1), "categorical_crossentropy"),
    "scce_logits": (lambda: fm.losses.SparseCategoricalCrossentropy(from_logits=True),
                    lambda y, p: cce(np.eye(p.shape[1])[y[:, 0].astype(int)], p, True),
                    "sparse_categorical_crossentropy"),
    "huber_delta": (lambda: fm.losses.Huber(delta=0.4), lambda y, p: huber(y, p, 0.4), "huber"),
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_from_logits_label_smoothing_and_delta(variant, rng):
    make, reference, base = VARIANTS[variant]
    y, p = data(base, rng)
    if "logits" in variant:
        p = (p * 6 - 3).astype(np.float32)  # logits of either sign
    loss = make()
    expected = reference(y.astype(np.float64), p.astype(np.float64))
    assert_close(f"{variant} value", loss(y, p), expected.mean(), rtol=2e-5, atol=2e-6)
    assert_close(f"{variant} gradient", loss._core.gradient(y, p), finite_difference_gradient(reference, y, p),
                 rtol=2e-3, atol=2e-6)
    # The functional forms take the same keywords.
    if base in ("binary_crossentropy", "categorical_crossentropy"):
        config = loss.get_config()
        function = getattr(fm.losses, base)
        assert_close(f"{variant} function", function(y, p, from_logits=config["from_logits"],
                                                   label_smoothing=config["label_smoothing"]),
                     expected, rtol=2e-5, atol=2e-6)


def test_reductions_and_sample_weight(rng):
    y, p = data("mean_squared_error", rng)
    per_sample = REFERENCES["mean_squared_error"](y.astype(np.float64), p.astype(np.float64))
    w = rng.uniform(0, 2, ROWS)
    # sum_over_batch_size divides the weighted sum by the batch size, not by the sum of the weights.
    assert fm.losses.MeanSquaredError()(y, p, sample_weight=w) == pytest.approx(np.sum(per_sample * w) / ROWS,
                                                                               rel=1e-5)
    assert fm.losses.MeanSquaredError(reduction="sum")(y, p) == pytest.approx(per_sample.sum(), rel=1e-5)
    assert_close("reduction none", fm.losses.MeanSquaredError(reduction=None)(y, p, sample_weight=w),
                 per_sample * w, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="reduction"):
        fm.losses.MeanSquaredError(reduction="mean_of_everything")
    with pytest.raises(ValueError, match="sum_over_batch_size"):
        fm.losses.get(fm.losses.MeanSquaredError(reduction="sum"))


def test_label_smoothing_trains_and_saves(tmp_path, rng):
    x = rng.normal(size=(64, 5)).astype(np.float32)
    y = fm.utils.to_categorical(rng.integers(0, 3, 64), 3)
    model = fm.Sequential([fm.layers.Input((5,)), fm.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss=fm.losses.CategoricalCrossentropy(label_smoothing=0.2))
    # The training loss is the smoothed one: compare with the reference on the model's predictions.
    expected = cce(y.astype(np.float64), model.predict(x, verbose=0).astype(np.float64), False, 0.2).mean()
    assert model.evaluate(x, y, verbose=0, batch_size=64) == pytest.approx(expected, rel=1e-5)
    model.fit(x, y, epochs=2, verbose=0)
    model.save(tmp_path / "smooth.fmlp")
    loaded = fm.models.load_model(tmp_path / "smooth.fmlp")
    assert loaded.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)
    assert loaded._core.loss.config["label_smoothing"] == pytest.approx(0.2)
    for bad, error in ((-0.1, ValueError), (1.5, ValueError), ("a", TypeError)):
        with pytest.raises(error, match="label_smoothing"):
            fm.losses.BinaryCrossentropy(label_smoothing=bad)


def test_loss_config_round_trip():
    for loss in (fm.losses.Huber(delta=0.5), fm.losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1),
                 fm.losses.CategoricalCrossentropy(label_smoothing=0.2), fm.losses.MeanSquaredError(name="m")):
        again = type(loss).from_config(loss.get_config())
        assert again.get_config() == loss.get_config()
