"""End-to-end training: XOR with the classic Keras model and scikit-learn's digits."""

import numpy as np
import pytest

import fastmlp as fm
from conftest import adam, reference_forward, reference_step

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
XOR_Y = np.array([0, 1, 1, 0], np.float32)


def train_xor(seed, hidden_units=3, epochs=1000):
    """The classic Keras XOR script; returns the model and its initial weights."""
    fm.utils.set_random_seed(seed)
    model = fm.Sequential([fm.layers.Dense(hidden_units, activation="relu", input_dim=2),
                           fm.layers.Dense(1, activation="sigmoid")])
    model.compile(loss="mean_squared_error", optimizer="adam", metrics=["accuracy"])
    initial = model.get_weights()
    model.fit(XOR_X, XOR_Y, batch_size=4, epochs=epochs, verbose=0)
    return model, initial


def test_xor_classic_model_learns_with_fixed_seed():
    model, _ = train_xor(seed=1)
    loss, accuracy = model.evaluate(XOR_X, XOR_Y, verbose=0)
    predictions = model.predict(XOR_X, verbose=0).ravel()
    print(f"XOR seed 1: loss {loss:.4f}, accuracy {accuracy}, predictions {np.round(predictions, 3)}")
    assert accuracy == 1.0
    np.testing.assert_array_equal(predictions > 0.5, XOR_Y > 0.5)


def test_xor_outcome_per_seed_matches_numpy_replica():
    """Three relu units get stuck for many initialisations, in Keras too: measured over 30 seeds,
    10 reach accuracy 1.0 after 1000 epochs (12 after 10,000), and a float64 NumPy replica with its own
    Glorot draws succeeds for 68 of 200. So a majority of seeds does *not* succeed, and that is the
    mathematics of this model, not a fastmlp bug: from the same initial weights, fastmlp's result agrees
    seed by seed with a float64 NumPy replica of the same 1000 full-batch Adam steps."""
    x, y = XOR_X.astype(np.float64), XOR_Y.reshape(-1, 1).astype(np.float64)
    activations, update = ["relu", "sigmoid"], adam(0.001)
    outcomes = []
    for seed in range(10):
        model, weights = train_xor(seed)
        weights, slots = [w.astype(np.float64) for w in weights], [{} for _ in weights]
        for t in range(1, 1001):
            reference_step(weights, slots, update, activations, "mean_squared_error", x, y, t)
        expected = reference_forward(weights, activations, x)[1][-1].ravel()
        predicted = model.predict(XOR_X, verbose=0).ravel()
        print(f"seed {seed}: fastmlp {np.round(predicted, 3)}, NumPy {np.round(expected, 3)}")
        np.testing.assert_array_equal(predicted > 0.5, expected > 0.5)
        np.testing.assert_allclose(predicted, expected, atol=2e-2)
        outcomes.append(bool(np.all((predicted > 0.5) == (XOR_Y > 0.5))))
    print(f"{sum(outcomes)}/10 seeds reach accuracy 1.0 with 3 relu units")
    assert 1 <= sum(outcomes) <= 9  # both outcomes occur, so the agreement above compared both


def test_xor_wider_hidden_layer_succeeds_for_a_majority_of_seeds():
    """With 8 relu units instead of 3 the same script rarely gets stuck (measured: 19 of 20 seeds)."""
    accuracies = [train_xor(seed, hidden_units=8)[0].evaluate(XOR_X, XOR_Y, verbose=0)[1] for seed in range(10)]
    print(f"XOR with 8 units, accuracies over 10 seeds: {accuracies}")
    assert sum(a == 1.0 for a in accuracies) >= 8


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    data = load_digits()
    return train_test_split(data.data / 16.0, data.target, test_size=0.25, random_state=0, stratify=data.target)


@pytest.mark.parametrize("seed", [0, 1])
def test_digits_reach_95_percent_held_out(digits, seed):
    """64-50-10 (sigmoid, softmax), Adam, batch 32. Measured held-out accuracy over 10 seeds: 0.951-0.964
    after 50 epochs, 0.969-0.976 after 100, so 100 epochs pass with a margin."""
    x_train, x_test, y_train, y_test = digits
    fm.utils.set_random_seed(seed)
    model = fm.Sequential([fm.layers.Input((64,)), fm.layers.Dense(50, activation="sigmoid"),
                           fm.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, fm.utils.to_categorical(y_train, 10), batch_size=32, epochs=100, verbose=0)
    loss, accuracy = model.evaluate(x_test, fm.utils.to_categorical(y_test, 10), verbose=0)
    print(f"digits seed {seed}: held-out accuracy {accuracy:.4f}, loss {loss:.4f}, "
          f"final training loss {history.history['loss'][-1]:.4f}")
    assert accuracy >= 0.95
    # The reported accuracy is the argmax accuracy of predict().
    predicted = model.predict(x_test, verbose=0).argmax(axis=1)
    assert accuracy == pytest.approx(np.mean(predicted == y_test), abs=1e-12)
    assert history.history["loss"][-1] < history.history["loss"][0] / 5


def test_digits_with_integer_labels(digits):
    """sparse_categorical_crossentropy on the labels themselves trains as well as one-hot targets."""
    x_train, x_test, y_train, y_test = digits
    fm.utils.set_random_seed(0)
    model = fm.Sequential([fm.layers.Input((64,)), fm.layers.Dense(50, activation="relu"),
                           fm.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=32, epochs=40, verbose=0)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"digits, sparse labels, relu: held-out accuracy {accuracy:.4f}, loss {loss:.4f}")
    assert accuracy >= 0.95
