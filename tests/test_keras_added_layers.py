"""The layers added for Keras scripts against Keras 3's definitions: Softmax (axis=-1), Normalization
(adapt over the samples, given mean and variance, axis=None, invert) and AlphaDropout (Keras's affine
correction), with gradients against finite differences where they have any."""

import numpy as np
import pytest

import fastmlp as fm

L = fm.layers


def test_softmax_layer_is_the_softmax_of_each_row_and_fuses_with_cross_entropy(rng):
    z = rng.normal(size=(6, 4)).astype(np.float32) * 3
    e = np.exp(z - z.max(axis=1, keepdims=True))
    np.testing.assert_allclose(L.Softmax()(z), e / e.sum(axis=1, keepdims=True), rtol=1e-5, atol=1e-7)
    assert L.Softmax().get_config()["axis"] == -1
    with pytest.raises(ValueError, match="axis"):
        L.Softmax(axis=0)
    # Dense then Softmax trains exactly as Dense with a softmax activation (the gradient is fused).
    x, y = rng.normal(size=(32, 5)).astype(np.float32), fm.utils.to_categorical(rng.integers(0, 4, 32), 4)
    fm.utils.set_random_seed(1)
    a = fm.Sequential([L.Input((5,)), L.Dense(4), L.Softmax()])
    b = fm.Sequential([L.Input((5,)), L.Dense(4, activation="softmax")])
    b.set_weights(a.get_weights())
    for model in (a, b):
        model.compile(optimizer="sgd", loss="categorical_crossentropy")
        model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    np.testing.assert_allclose(a.get_weights()[0], b.get_weights()[0], rtol=1e-6, atol=1e-7)


def test_normalization_adapt_computes_keras_mean_and_variance(rng):
    data = (rng.normal(size=(200, 3)) * [1, 5, 0.1] + [2, -1, 10]).astype(np.float32)
    layer = L.Normalization()
    layer.adapt(data)
    np.testing.assert_allclose(layer.mean, data.mean(axis=0, keepdims=True), rtol=1e-5)
    np.testing.assert_allclose(layer.variance, data.var(axis=0, keepdims=True), rtol=1e-5)  # population variance
    assert [w.shape for w in layer.get_weights()] == [(3,), (3,), ()] and layer.get_weights()[2] == 200
    out = layer(data)
    np.testing.assert_allclose(out, (data - data.mean(0)) / data.std(0), rtol=1e-4, atol=1e-5)
    # In a model: saved, loaded, and not trained.
    model = fm.Sequential([L.Input((3,)), layer, L.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(data, data[:, :1], epochs=1, verbose=0)
    np.testing.assert_allclose(layer.mean, data.mean(axis=0, keepdims=True), rtol=1e-5)
    assert model.count_params() == 7 + 4 and len(model.trainable_weights) == 2


def test_normalization_with_given_statistics_axis_none_and_invert(rng, tmp_path):
    x = rng.normal(size=(5, 2)).astype(np.float32)
    given = L.Normalization(mean=[1.0, 2.0], variance=[4.0, 9.0])
    np.testing.assert_allclose(given(x), (x - [1, 2]) / [2, 3], rtol=1e-6)
    assert given.get_weights() == [] and given.get_config()["mean"] == [1.0, 2.0]
    np.testing.assert_allclose(L.Normalization(mean=3.0, variance=4.0)(x), (x - 3) / 2, rtol=1e-6)
    inverse = L.Normalization(mean=[1.0, 2.0], variance=[4.0, 9.0], invert=True)
    np.testing.assert_allclose(inverse(given(x)), x, rtol=1e-5, atol=1e-6)
    single = L.Normalization(axis=None)
    single.adapt(x)
    np.testing.assert_allclose(single(x), (x - x.mean()) / x.std(), rtol=1e-4, atol=1e-5)
    column = L.Normalization(axis=None)
    column.adapt(np.linspace(0, 1, 11))  # a 1-D array is one feature, as in Keras's regression tutorial
    assert column.mean.shape == (1, 1) and column.mean[0, 0] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="adapt"):
        given.adapt(x)
    with pytest.raises(ValueError, match="both mean and variance"):
        L.Normalization(mean=[1.0])
    model = fm.Sequential([L.Input((2,)), L.Normalization(mean=[1.0, 2.0], variance=[4.0, 9.0]), L.Dense(1)])
    model.save(tmp_path / "n.fmlp")
    assert fm.models.load_model(tmp_path / "n.fmlp").predict(x, verbose=0).tobytes() == \
        model.predict(x, verbose=0).tobytes()


def test_normalization_gradient_is_the_inverse_spread(rng):
    x, y = rng.normal(size=(8, 2)).astype(np.float32), rng.normal(size=(8, 1)).astype(np.float32)
    fm.utils.set_random_seed(2)
    inputs = fm.Input((2,))
    model = fm.Model(inputs, L.Dense(1)(L.Dense(3)(L.Normalization(mean=[0.5, -1.0], variance=[4.0, 0.25])(inputs))))
    model.compile(optimizer=fm.optimizers.SGD(learning_rate=0.0), loss="mse")
    model.train_on_batch(x, y)
    first = model.layers[2]
    analytic = dict(first._core.gradients)["kernel"]
    # dL/dW1 = normalized(x)ᵀ dL/dh: the same as for a Dense fed the normalized x directly.
    normalized = (x - [0.5, -1.0]) / [2.0, 0.5]
    h = normalized @ first.kernel + first.bias
    out = h @ model.layers[3].kernel + model.layers[3].bias
    grad_h = (2 * (out - y) / len(x)) @ model.layers[3].kernel.T
    np.testing.assert_allclose(analytic, normalized.T @ grad_h, rtol=1e-5, atol=1e-6)


def test_alpha_dropout_keeps_mean_and_variance_with_keras_affine_correction():
    rate, alpha_p = 0.2, -1.6732632423543772 * 1.0507009873554805
    a = ((1 - rate) * (1 + rate * alpha_p**2)) ** -0.5
    b = -a * alpha_p * rate
    x = np.random.default_rng(0).normal(size=(2000, 50)).astype(np.float32)
    layer = L.AlphaDropout(rate, seed=3)
    out = layer(x, training=True)
    dropped = np.isclose(out, a * alpha_p + b, atol=1e-6)
    np.testing.assert_allclose(out[~dropped], a * x[~dropped] + b, rtol=1e-5, atol=1e-5)  # a·x + b where kept
    assert dropped.mean() == pytest.approx(rate, abs=0.01)
    assert out.mean() == pytest.approx(0.0, abs=0.02) and out.std() == pytest.approx(1.0, abs=0.02)
    np.testing.assert_array_equal(layer(x), x)  # inference: the identity
    model = fm.Sequential([L.Input((50,)), L.Dense(8, activation="selu"), L.AlphaDropout(0.1, seed=1), L.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x[:200], x[:200, :1], epochs=1, verbose=0)  # trains through the layer
    with pytest.raises(ValueError, match="rate"):
        L.AlphaDropout(1.0)
