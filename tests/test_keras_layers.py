"""The layers besides Dense against Keras 3's definitions: Dropout, GaussianNoise, BatchNormalization,
LayerNormalization, PReLU and Flatten, in training (model(x, training=True), train_on_batch) and at inference, with
gradients against finite differences of a float64 NumPy transcription."""

import numpy as np
import pytest

import fastmlp as fm
from conftest import assert_close

L = fm.layers


def gradients_of(model):
    """Copies of every trainable gradient the last train_on_batch left, in get_weights order."""
    return [np.array(view, np.float64).reshape(-1) for layer in model.layers if layer._core is not None
            for _, view in layer._core.gradients]


def central_differences(f, params, eps=1e-5):
    """d f / d p for every entry of every float64 array in `params` (changed in place and restored)."""
    grads = []
    for p in params:
        g = np.zeros(p.size)
        flat = p.reshape(-1)
        for i in range(p.size):
            original = flat[i]
            flat[i] = original + eps
            up = f()
            flat[i] = original - eps
            down = f()
            flat[i] = original
            g[i] = (up - down) / (2 * eps)
        grads.append(g)
    return grads


def test_dropout_is_inverted_and_only_active_in_training():
    x = np.ones((400, 50), np.float32)
    model = fm.Sequential([L.Input((50,)), L.Dropout(0.3, seed=1)])
    out = model(x, training=True)
    kept = out != 0
    np.testing.assert_allclose(out[kept], 1 / 0.7, rtol=1e-6)  # survivors scaled by 1 / (1 - rate)
    assert abs(1 - kept.mean() - 0.3) < 4 * np.sqrt(0.3 * 0.7 / x.size)  # about 4 standard errors
    assert not np.array_equal(out, model(x, training=True))  # a new mask per call
    np.testing.assert_array_equal(model(x), x)  # inference: the identity
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)
    # The same seed draws the same masks.
    again = fm.Sequential([L.Input((50,)), L.Dropout(0.3, seed=1)])
    np.testing.assert_array_equal(again(x, training=True), out)
    np.testing.assert_array_equal(fm.Sequential([L.Input((50,)), L.Dropout(0.0)])(x, training=True), x)


def test_dropout_gradient_flows_only_through_kept_units(rng):
    """With one batch and a fixed seed, the step's gradient is that of the network with the mask applied."""
    fm.utils.set_random_seed(5)
    model = fm.Sequential([L.Input((3,)), L.Dense(6, activation="tanh"), L.Dropout(0.5, seed=7), L.Dense(1)])
    model.compile(optimizer=fm.optimizers.SGD(0.0), loss="mse")
    x, y = rng.normal(size=(16, 3)).astype(np.float32), rng.normal(size=(16, 1)).astype(np.float32)
    # The mask of the next training pass: the same layer seed, replayed in a twin model.
    twin = fm.Sequential([L.Input((6,)), L.Dropout(0.5, seed=7)])
    mask = twin(np.ones((16, 6), np.float32), training=True)
    model.train_on_batch(x, y)
    w1, b1, w2, b2 = (w.astype(np.float64) for w in model.get_weights())

    def loss():
        return np.mean(((np.tanh(x @ w1 + b1) * mask) @ w2 + b2 - y) ** 2)

    assert_close("dropout gradients", gradients_of(model), central_differences(loss, [w1, b1, w2, b2]),
                 rtol=1e-3, atol=1e-5)


def test_gaussian_noise_adds_zero_mean_noise_of_stddev_in_training():
    x = np.full((500, 40), 3.0, np.float32)
    model = fm.Sequential([L.Input((40,)), L.GaussianNoise(0.5, seed=3)])
    noise = model(x, training=True) - x
    assert abs(noise.mean()) < 4 * 0.5 / np.sqrt(noise.size)
    assert noise.std() == pytest.approx(0.5, rel=0.02)
    np.testing.assert_array_equal(model(x), x)


def test_batch_normalization_in_training_and_at_inference(rng):
    x = rng.normal(2.0, 3.0, size=(64, 5)).astype(np.float32)
    bn = L.BatchNormalization(momentum=0.9, epsilon=1e-3)
    model = fm.Sequential([L.Input((5,)), bn])
    gamma, beta = rng.uniform(0.5, 2, 5).astype(np.float32), rng.normal(size=5).astype(np.float32)
    bn.set_weights([gamma, beta, np.zeros(5, np.float32), np.ones(5, np.float32)])
    xd = x.astype(np.float64)
    mean, variance = xd.mean(axis=0), xd.var(axis=0)  # the biased variance, as Keras 3 uses
    expected = gamma * (xd - mean) / np.sqrt(variance + 1e-3) + beta
    assert_close("batch statistics", model(x, training=True), expected, rtol=1e-5, atol=1e-5)
    # Keras's moving averages: moving = momentum * moving + (1 - momentum) * batch statistic.
    moving_mean, moving_variance = bn.get_weights()[2:]
    assert_close("moving mean", moving_mean, 0.1 * mean, rtol=1e-5, atol=1e-6)
    assert_close("moving variance", moving_variance, 0.9 + 0.1 * variance, rtol=1e-5, atol=1e-6)
    inference = gamma * (xd - moving_mean) / np.sqrt(moving_variance + 1e-3) + beta
    assert_close("inference", model(x), inference, rtol=1e-5, atol=1e-5)
    assert [w.shape for w in bn.get_weights()] == [(5,)] * 4 and len(bn.trainable_weights) == 2


def test_batch_normalization_gradients_match_finite_differences(rng):
    fm.utils.set_random_seed(2)
    model = fm.Sequential([L.Input((3,)), L.Dense(4), L.BatchNormalization(epsilon=1e-3), L.Dense(2)])
    model.compile(optimizer=fm.optimizers.SGD(0.0), loss="mse")
    model.layers[1].set_weights([rng.uniform(0.5, 2, 4), rng.normal(size=4), np.zeros(4), np.ones(4)])
    x, y = rng.normal(size=(10, 3)).astype(np.float32), rng.normal(size=(10, 2)).astype(np.float32)
    w1, b1, gamma, beta, _, _, w2, b2 = (w.astype(np.float64) for w in model.get_weights())
    model.train_on_batch(x, y)

    def loss():
        z = x @ w1 + b1
        normalized = (z - z.mean(axis=0)) / np.sqrt(z.var(axis=0) + 1e-3)
        return np.mean(((gamma * normalized + beta) @ w2 + b2 - y) ** 2)

    assert_close("batch normalization gradients", gradients_of(model),
                 central_differences(loss, [w1, b1, gamma, beta, w2, b2]), rtol=1e-3, atol=1e-5)


def keras_layer_normalization(z, gamma, beta, epsilon, rms_scaling=False):
    """Keras 3's LayerNormalization.call over the last axis (float64): the biased variance, and with
    rms_scaling x (not x - mean) divided by sqrt(variance + epsilon), times gamma, without beta."""
    mean, variance = z.mean(axis=1, keepdims=True), z.var(axis=1, keepdims=True)
    if rms_scaling:
        return z / np.sqrt(variance + epsilon) * gamma
    return (z - mean) / np.sqrt(variance + epsilon) * gamma + beta


@pytest.mark.parametrize("rms_scaling", [False, True], ids=["standard", "rms_scaling"])
def test_layer_normalization_against_keras_and_finite_differences(rng, rms_scaling):
    fm.utils.set_random_seed(6)
    norm = L.LayerNormalization(epsilon=0.01, rms_scaling=rms_scaling)
    model = fm.Sequential([L.Input((3,)), L.Dense(5), norm, L.Dense(2)])
    model.compile(optimizer=fm.optimizers.SGD(0.0), loss="mse")
    # Keras creates beta only without rms_scaling; gamma and beta start at ones and zeros.
    assert [w.shape for w in norm.get_weights()] == ([(5,)] if rms_scaling else [(5,), (5,)])
    norm.set_weights([rng.uniform(0.5, 2, 5)] + ([] if rms_scaling else [rng.normal(size=5)]))
    x, y = rng.normal(1.0, 2.0, size=(9, 3)).astype(np.float32), rng.normal(size=(9, 2)).astype(np.float32)
    weights = [w.astype(np.float64) for w in model.get_weights()]
    w1, b1, gamma = weights[:3]
    beta = np.zeros(5) if rms_scaling else weights[3]
    w2, b2 = weights[-2:]

    def forward():
        return keras_layer_normalization(x @ w1 + b1, gamma, beta, 0.01, rms_scaling) @ w2 + b2

    # Per-sample statistics: the same in training and at inference, and batch by batch.
    assert_close("layer normalization forward", model.predict(x, verbose=0), forward(), rtol=1e-5, atol=1e-5)
    assert_close("training pass", model(x, training=True), forward(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(model.predict(x[:1], verbose=0), model.predict(x, verbose=0)[:1], rtol=1e-6)
    model.train_on_batch(x, y)
    params = [w1, b1, gamma] + ([] if rms_scaling else [beta]) + [w2, b2]
    assert_close("layer normalization gradients", gradients_of(model),
                 central_differences(lambda: np.mean((forward() - y) ** 2), params), rtol=1e-3, atol=1e-5)


def test_layer_normalization_options_and_file(tmp_path, rng):
    norm = L.LayerNormalization(center=False, scale=False, gamma_initializer="he_normal")
    model = fm.Sequential([L.Input((4,)), norm])
    assert norm.get_weights() == [] and norm.get_config()["center"] is False
    x = rng.normal(3.0, 2.0, size=(6, 4)).astype(np.float32)
    assert_close("no gamma or beta", model.predict(x, verbose=0),
                 keras_layer_normalization(x.astype(np.float64), 1.0, 0.0, 1e-3), rtol=1e-5, atol=1e-5)
    model.save(tmp_path / "norm.fmlp")
    loaded = fm.models.load_model(tmp_path / "norm.fmlp")
    assert loaded.layers[0].get_config() == norm.get_config()
    with pytest.raises(ValueError, match="axis"):
        L.LayerNormalization(axis=0)
    with pytest.raises(ValueError, match="epsilon"):
        L.LayerNormalization(epsilon=0.0)


def test_prelu_forward_and_gradients(rng):
    fm.utils.set_random_seed(4)
    prelu = L.PReLU(alpha_initializer=fm.initializers.Constant(0.25))
    model = fm.Sequential([L.Input((3,)), L.Dense(4), prelu, L.Dense(1)])
    model.compile(optimizer=fm.optimizers.SGD(0.0), loss="mse")
    prelu.set_weights([np.array([0.1, -0.2, 0.3, 0.25], np.float32)])
    x, y = rng.normal(size=(12, 3)).astype(np.float32), rng.normal(size=(12, 1)).astype(np.float32)
    w1, b1, alpha, w2, b2 = (w.astype(np.float64) for w in model.get_weights())

    def forward():
        z = x @ w1 + b1
        return (np.maximum(z, 0) + alpha * np.minimum(z, 0)) @ w2 + b2

    assert_close("prelu forward", model.predict(x, verbose=0), forward(), rtol=1e-5, atol=1e-6)
    model.train_on_batch(x, y)
    assert_close("prelu gradients", gradients_of(model),
                 central_differences(lambda: np.mean((forward() - y) ** 2), [w1, b1, alpha, w2, b2]),
                 rtol=1e-3, atol=1e-5)
    # Keras's default: starts as relu
    assert L.PReLU().get_config()["alpha_initializer"] == {"class_name": "Zeros", "config": {}}


def test_flatten_feeds_images_to_dense_layers_and_survives_a_model_file(tmp_path, capsys, rng):
    images = rng.uniform(size=(20, 4, 3)).astype(np.float32)
    labels = rng.integers(0, 2, 20)
    fm.utils.set_random_seed(0)
    model = fm.Sequential([fm.Input((4, 3)), L.Flatten(), L.Dense(5, activation="relu"), L.Dense(2)])
    assert isinstance(model.layers[0], L.Flatten) and model.layers[0].output_shape == (None, 12)
    model.compile(optimizer="adam", loss=fm.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(images, labels, epochs=2, verbose=0)
    flat = fm.Sequential([L.Input((12,)), L.Dense(5, activation="relu"), L.Dense(2)])
    flat.set_weights(model.get_weights())
    np.testing.assert_array_equal(model.predict(images, verbose=0), flat.predict(images.reshape(20, 12), verbose=0))
    model.summary()
    assert "flatten" in capsys.readouterr().out
    assert model.count_params() == 12 * 5 + 5 + 5 * 2 + 2

    model.save(tmp_path / "images.fmlp")
    loaded = fm.models.load_model(tmp_path / "images.fmlp")
    assert loaded.input_shape == (None, 4, 3) and isinstance(loaded.layers[0], L.Flatten)
    np.testing.assert_array_equal(loaded.predict(images, verbose=0), model.predict(images, verbose=0))
    assert loaded.evaluate(images, labels, verbose=0) == model.evaluate(images, labels, verbose=0)
    # Flatten(input_shape=...) declares the same thing.
    declared = fm.Sequential([L.Flatten(input_shape=(4, 3)), L.Dense(2)])
    assert declared.input_shape == (None, 4, 3) and declared.predict(images, verbose=0).shape == (20, 2)
    with pytest.raises(ValueError, match="Flatten"):
        fm.Sequential([fm.Input((4, 3)), L.Dense(2)])


def test_training_call_validates_its_input():
    model = fm.Sequential([L.Input((3,)), L.Dropout(0.5)])
    with pytest.raises(ValueError, match="3 input features"):
        model(np.ones((2, 4), np.float32), training=True)
    with pytest.raises(ValueError, match="NaN"):
        model(np.full((2, 3), np.nan, np.float32), training=True)
    assert model(np.ones((0, 3), np.float32), training=True).shape == (0, 3)


def test_pop_removes_the_last_layer_for_a_new_head(rng):
    """Keras's transfer-learning idiom: pop the classifier, add another, compile and train again."""
    x = rng.normal(size=(32, 4)).astype(np.float32)
    model = fm.Sequential([L.Input((4,)), L.Dense(6, activation="relu"), L.Dense(3, activation="softmax")])
    hidden = model.layers[0].get_weights()
    head = model.pop()
    assert isinstance(head, L.Dense) and head.units == 3 and len(model.layers) == 1
    assert model.output_shape == (None, 6) and model.predict(x, verbose=0).shape == (32, 6)
    model.add(L.Dense(1))
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, x[:, :1], epochs=2, verbose=0)
    assert model.predict(x, verbose=0).shape == (32, 1)
    assert not np.array_equal(model.layers[0].get_weights()[0], hidden[0])  # the body trained too
    model.pop()
    model.pop()
    with pytest.raises(TypeError, match="no layers"):
        model.pop()
    model.add(L.Dense(2))  # the Input's shape still holds
    assert model.input_shape == (None, 4) and model.predict(x, verbose=0).shape == (32, 2)
