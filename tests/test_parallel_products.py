"""The layers' matrix products on 1 and 2 threads: forward outputs and gradients against a float64 NumPy
reference for odd shapes and the batch sizes where the kernel's tiles are full, partial or a single row
(at 512 rows every product is split across both threads; at 31-129 rows the split is chosen by timing);
and training that stays bit-identical for a fixed thread count although the thread count of each product
is chosen by timing its first calls. That results are bit-identical across thread counts too is checked
in C++ (cpp/tests/test_gemm.cpp), which knows whether fastmlp's own kernel or Eigen's runs."""

import numpy as np
import pytest

import fastmlp as fm
from conftest import assert_close, layer_gradients, make_model, make_targets, reference_forward, reference_gradients

# 300 inputs and 257 units: neither fills whole 8x32 tiles; 67 and 10 are narrower than a tile.
SIZES = (300, 257, 67, 10)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("rows", [1, 31, 32, 129, 512])
def test_products_match_float64_reference(rows, threads, threads_restored, rng):
    fm.set_num_threads(threads)
    model = make_model("tanh", "softmax", "categorical_crossentropy", sizes=SIZES)
    x = rng.uniform(-1, 1, (rows, SIZES[0])).astype(np.float32)
    y = make_targets("categorical_crossentropy", rng, rows, SIZES[-1])
    weights = model.get_weights()
    _, outs = reference_forward(weights, ["tanh", "tanh", "softmax"], x)
    assert_close(f"predict, {rows} rows, {threads} thread(s)", model.predict(x, verbose=0), outs[-1],
                 rtol=1e-4, atol=1e-6)
    loss, grads = model.train_on_batch(x, y), layer_gradients(model)  # SGD with learning rate 0: weights stay
    expected_loss, expected = reference_gradients(weights, ["tanh", "tanh", "softmax"], "categorical_crossentropy",
                                                  x, y)
    assert loss == pytest.approx(expected_loss, rel=1e-5)
    scale = max(float(np.abs(g).max()) for g in expected)
    assert_close(f"gradients, {rows} rows, {threads} thread(s)", grads, expected, rtol=1e-3, atol=1e-5 * scale)


def train_digits(threads, epochs=3):
    """The digits network of workload 2 (64-50-10, sigmoid, Adam, batch 32; 1797 rows, so the last
    batch has 5), trained from a fixed seed; returns its weights and loss history."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    x, y = (digits.data / 16.0).astype(np.float32), fm.utils.to_categorical(digits.target, 10)
    fm.set_num_threads(threads)
    fm.utils.set_random_seed(7)
    model = fm.Sequential([fm.layers.Input((64,)), fm.layers.Dense(50, activation="sigmoid"),
                           fm.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    history = model.fit(x, y, batch_size=32, epochs=epochs, verbose=0)
    return model.get_weights(), history.history["loss"]


@pytest.mark.parametrize("threads", [1, 2])
def test_digits_training_is_deterministic_for_a_thread_count(threads, threads_restored):
    pytest.importorskip("sklearn")
    first_weights, first_losses = train_digits(threads)
    second_weights, second_losses = train_digits(threads)
    assert first_losses == second_losses
    for a, b in zip(first_weights, second_weights):
        np.testing.assert_array_equal(a, b)
    assert first_losses[-1] < first_losses[0]  # it did train

