"""BinaryFocalCrossentropy, CategoricalFocalCrossentropy, Dice, Tversky and
CategoricalGeneralizedCrossEntropy against real Keras 3 (KERAS_BACKEND=torch) on the same data: the
reduced value of each class, the per-sample values of each function, and the gradient the core trains
with against torch's autograd through Keras's own formula (in float64) and against central finite
differences of fastmlp's value; then training step for step against Keras's fit, and the losses
through model files (.fmlp, .keras both ways)."""

import numpy as np
import pytest

import fastmlp as fm
from conftest import assert_close

ROWS, COLS = 6, 4


# Keras's variables and torch emit deprecation notices under NumPy 2 (and Keras warns as it builds).
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")


def data(kind, rng, rows=ROWS, cols=COLS):
    """(y_true, y_pred) in float64: binary targets, one-hot rows, integer labels or soft targets, and
    predictions inside (0, 1) (or logits of either sign)."""
    if kind == "binary":
        y = rng.integers(0, 2, (rows, cols)).astype(float)
        y[0] = rng.uniform(0, 1, cols)  # a soft target row too
    elif kind == "onehot":
        y = np.eye(cols)[rng.integers(0, cols, rows)]
    else:  # integer labels
        y = rng.integers(0, cols, (rows, 1)).astype(float)
    if kind == "labels":
        p = rng.dirichlet(np.ones(cols), rows)
    else:
        p = rng.uniform(0.05, 0.95, (rows, cols))
    return y, p


LOGITS = lambda p: np.log(p / (1 - p))  # noqa: E731  (probabilities inside (0, 1) as logits of both signs)

# (label, class name, arguments, data kind, whether y_pred is logits)
CASES = [
    ("bfce", "BinaryFocalCrossentropy", {}, "binary", False),
    ("bfce_balanced", "BinaryFocalCrossentropy", {"apply_class_balancing": True, "alpha": 0.4, "gamma": 1.5},
     "binary", False),
    ("bfce_logits_smoothing", "BinaryFocalCrossentropy", {"from_logits": True, "label_smoothing": 0.2, "gamma": 3.0},
     "binary", True),
    ("bfce_gamma0", "BinaryFocalCrossentropy", {"gamma": 0.0, "apply_class_balancing": True}, "binary", False),
    ("cfce", "CategoricalFocalCrossentropy", {}, "onehot", False),
    ("cfce_alpha_list", "CategoricalFocalCrossentropy", {"alpha": [0.1, 0.2, 0.3, 0.4], "gamma": 1.0}, "onehot", False),
    ("cfce_logits_smoothing", "CategoricalFocalCrossentropy", {"from_logits": True, "label_smoothing": 0.1,
                                                               "alpha": 0.5}, "onehot", True),
    ("dice", "Dice", {}, "binary", False),
    ("dice_per_sample", "Dice", {"axis": -1}, "binary", False),
    ("tversky", "Tversky", {}, "binary", False),
    ("tversky_weighted", "Tversky", {"alpha": 0.3, "beta": 0.7, "axis": -1}, "binary", False),
    ("tversky_whole_batch", "Tversky", {"alpha": 0.8, "beta": 0.1}, "binary", False),
    ("gce", "CategoricalGeneralizedCrossEntropy", {}, "labels", False),
    ("gce_q", "CategoricalGeneralizedCrossEntropy", {"q": 0.2}, "labels", False),
]
FUNCTIONS = {"BinaryFocalCrossentropy": "binary_focal_crossentropy",
             "CategoricalFocalCrossentropy": "categorical_focal_crossentropy", "Dice": "dice", "Tversky": "tversky",
             "CategoricalGeneralizedCrossEntropy": "categorical_generalized_cross_entropy"}


def keras_targets(y, kind):
    """y_true as Keras's loss takes it: integer labels as a vector (Keras's generalized cross-entropy
    one-hot encodes a (rows, 1) column into (rows, 1, classes), which then broadcasts against y_pred)."""
    return y[:, 0] if kind == "labels" else y


def keras_function(keras, class_name, arguments):
    """Keras's functional form with the class's arguments, per sample (or one value of the batch)."""
    function = getattr(keras.losses, FUNCTIONS[class_name])
    if class_name == "CategoricalGeneralizedCrossEntropy":
        arguments = {"q": 0.5, **arguments}  # Keras's function has no default q; its class has 0.5
    return lambda y, p: function(y, p, **arguments)


def keras_gradient(keras, class_name, arguments, y, p):
    """d mean(Keras's loss) / d y_pred by torch's autograd through Keras's formula, in float64."""
    import torch
    pred = torch.tensor(p, dtype=torch.float64, requires_grad=True)
    keras_function(keras, class_name, arguments)(torch.tensor(y, dtype=torch.float64), pred).mean().backward()
    return pred.grad.numpy()


def finite_differences(loss, y, p, h=1e-6):
    """d (fastmlp's batch loss) / d y_pred by central differences, in float64."""
    grad = np.zeros_like(p)
    for index in np.ndindex(p.shape):
        up, down = p.copy(), p.copy()
        up[index] += h
        down[index] -= h
        grad[index] = (np.mean(loss._core.per_sample(y, up)) - np.mean(loss._core.per_sample(y, down))) / (2 * h)
    return grad


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_values_and_gradients_match_keras(keras, rng, case):
    label, class_name, arguments, kind, logits = case
    y, p = data(kind, rng)
    if logits:
        p = LOGITS(p) * 1.5
    ours, theirs = getattr(fm.losses, class_name)(**arguments), getattr(keras.losses, class_name)(**arguments)
    keras_y = keras_targets(y, kind)
    # The reduced value, in float32 on both sides.
    y32, p32 = y.astype(np.float32), p.astype(np.float32)
    assert_close(f"{label} value", ours(y32, p32), float(theirs(keras_y.astype(np.float32), p32)), rtol=2e-6,
                 atol=1e-7)
    # Per sample in float64 (a loss of the whole batch: that value in every row).
    import torch  # float64 tensors, which Keras's functions keep in float64 (NumPy arrays become float32)
    expected = keras_function(keras, class_name, arguments)(torch.tensor(keras_y), torch.tensor(p)).detach().numpy()
    assert expected.dtype == np.float64
    values = getattr(fm.losses, FUNCTIONS[class_name])(y, p, **arguments)
    assert values.dtype == np.float64
    # (Keras's ops.mean reduces a float64 tensor through float32, hence a relative 3e-7 for the focal
    # binary loss, which averages over the outputs; the others agree to float64 rounding.)
    assert_close(f"{label} per sample", values, np.broadcast_to(expected, values.shape), rtol=3e-7, atol=1e-12)
    # The gradient: Keras's, by autograd; and fastmlp's own value's, by finite differences.
    gradient = ours._core.gradient(y, p)
    assert_close(f"{label} gradient vs Keras autograd", gradient,
                 keras_gradient(keras, class_name, arguments, keras_y, p), rtol=1e-6, atol=1e-12)
    assert_close(f"{label} gradient vs finite differences", gradient, finite_differences(ours, y, p),
                 rtol=1e-5, atol=1e-9)
    assert np.abs(gradient).max() > 1e-3
    # The float32 gradient is the float64 one, rounded.
    assert_close(f"{label} float32 gradient", ours._core.gradient(y32, p32), gradient, rtol=1e-4, atol=1e-7)
    # Config round trips, and Keras's config reads back as the same loss.
    assert type(ours).from_config(ours.get_config()).get_config() == ours.get_config()
    assert type(ours).from_config(theirs.get_config()).get_config() == ours.get_config()


def test_sample_weights_weight_a_batch_loss_by_their_mean(keras, rng):
    y, p = data("binary", rng)
    w = np.array([0.5, 2.0, 0.0, 1.5, 3.0, 0.25])
    for class_name, arguments in (("Dice", {}), ("Tversky", {"alpha": 0.2}), ("Dice", {"axis": -1}),
                                  ("BinaryFocalCrossentropy", {"apply_class_balancing": True})):
        ours, theirs = getattr(fm.losses, class_name)(**arguments), getattr(keras.losses, class_name)(**arguments)
        assert ours(y, p, sample_weight=w) == pytest.approx(float(theirs(y, p, sample_weight=w)), rel=1e-6)


def test_bad_arguments_and_targets():
    with pytest.raises(ValueError, match="q must be in the interval"):
        fm.losses.CategoricalGeneralizedCrossEntropy(q=1.0)
    with pytest.raises(ValueError, match="axis"):
        fm.losses.Dice(axis=0)
    with pytest.raises(ValueError, match="alpha"):
        fm.losses.BinaryFocalCrossentropy(alpha=1.5)
    with pytest.raises(ValueError, match="gamma"):
        fm.losses.CategoricalFocalCrossentropy(gamma=-1)
    with pytest.raises(ValueError, match="alpha lists 3 classes; the model has 4 outputs"):
        fm.losses.CategoricalFocalCrossentropy(alpha=[0.1, 0.2, 0.3])(np.eye(4), np.full((4, 4), 0.25))
    with pytest.raises(ValueError, match=r"categorical_generalized_cross_entropy labels must be integers in \[0, 4\)"):
        fm.losses.categorical_generalized_cross_entropy(np.array([[4.0]]), np.full((1, 4), 0.25), q=0.5)
    with pytest.raises(ValueError, match="binary_focal_crossentropy targets must lie in"):
        fm.losses.binary_focal_crossentropy(np.array([[2.0]]), np.array([[0.5]]))


def train_both(keras, rng, make_layers, loss_args, kind, sample_weight=None, epochs=2):
    """The same model trained by Keras and by fastmlp from the same weights; returns both weight lists."""
    x = rng.normal(size=(32, 5)).astype(np.float32)
    y, _ = data(kind, rng, rows=32, cols=3)
    y = y.astype(np.float32)
    class_name, arguments = loss_args
    theirs = keras.Sequential([keras.Input((5,)), *make_layers(keras)])
    ours = fm.Sequential([fm.layers.Input((5,)), *make_layers(fm)])
    ours.set_weights([w.astype(np.float32) for w in theirs.get_weights()])
    for model, lib, targets in ((theirs, keras, keras_targets(y, kind)), (ours, fm, y)):
        model.compile(optimizer=lib.optimizers.SGD(0.5), loss=getattr(lib.losses, class_name)(**arguments))
        model.fit(x, targets, batch_size=8, epochs=epochs, shuffle=False, verbose=0, sample_weight=sample_weight)
    return ours.get_weights(), [np.asarray(w) for w in theirs.get_weights()]


@pytest.mark.parametrize("loss_args, activation, kind, weighted", [
    (("BinaryFocalCrossentropy", {"apply_class_balancing": True}), "sigmoid", "binary", False),
    (("BinaryFocalCrossentropy", {"from_logits": True, "gamma": 1.0}), None, "binary", True),
    (("CategoricalFocalCrossentropy", {"alpha": [0.2, 0.3, 0.5]}), "softmax", "onehot", False),
    (("Dice", {}), "sigmoid", "binary", True),
    (("Tversky", {"alpha": 0.3, "beta": 0.7, "axis": -1}), "sigmoid", "binary", False),
    (("CategoricalGeneralizedCrossEntropy", {"q": 0.7}), "softmax", "labels", True),
], ids=["bfce", "bfce_logits_weighted", "cfce", "dice_weighted", "tversky", "gce_weighted"])
def test_training_matches_keras_fit(keras, rng, loss_args, activation, kind, weighted):
    weights = rng.uniform(0.2, 2.0, 32).astype(np.float32) if weighted else None
    ours, theirs = train_both(keras, rng, lambda lib: [lib.layers.Dense(4, activation="tanh"),
                                                       lib.layers.Dense(3, activation=activation)],
                              loss_args, kind, sample_weight=weights)
    for index, (mine, expected) in enumerate(zip(ours, theirs)):
        assert_close(f"{loss_args[0]} weight {index}", mine, expected, rtol=1e-4, atol=1e-5)


def test_losses_in_model_files(keras, rng, tmp_path):
    x = rng.normal(size=(16, 3)).astype(np.float32)
    y = rng.integers(0, 2, (16, 2)).astype(np.float32)
    model = fm.Sequential([fm.layers.Input((3,)), fm.layers.Dense(2, activation="sigmoid")])
    model.compile(optimizer="adam", loss=fm.losses.Tversky(alpha=0.3, beta=0.7))
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "m.fmlp")
    loaded = fm.models.load_model(tmp_path / "m.fmlp")
    assert loaded._core.loss.config == {"alpha": 0.3, "beta": 0.7, "axis": None}
    assert loaded.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)
    # fastmlp's .keras file, read by Keras: the same loss object.
    model.save(tmp_path / "m.keras")
    read = keras.saving.load_model(tmp_path / "m.keras")
    assert type(read.loss).__name__ == "Tversky" and read.loss.alpha == 0.3 and read.loss.beta == 0.7
    # Keras's file with a focal loss of per-class alpha, read by fastmlp.
    theirs = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    theirs.compile(optimizer="adam", loss=keras.losses.CategoricalFocalCrossentropy(alpha=[0.25, 0.75], gamma=1.0))
    theirs.save(tmp_path / "theirs.keras")
    ours = fm.models.load_model(tmp_path / "theirs.keras")
    assert ours._core.loss.config["alpha"] == [0.25, 0.75] and ours._core.loss.config["gamma"] == 1.0
    onehot = np.eye(2, dtype=np.float32)[y[:, 0].astype(int)]
    assert ours.evaluate(x, onehot, verbose=0) == pytest.approx(float(theirs.evaluate(x, onehot, verbose=0)),
                                                                rel=1e-5)
