"""Every optimizer's first steps against hand-written Keras 3 update rules (float64 NumPy), with the
common arguments (clipnorm, clipvalue, global_clipnorm, weight_decay), every learning-rate schedule,
a rate changed between epochs, and L1/L2 penalties added to the loss and its gradient as Keras does."""

import math

import numpy as np
import pytest

import fastmlp as fm
from conftest import (adam, assert_close, layer_gradients, make_model, make_targets, reference_gradients, rmsprop,
                      sgd, start_at_known_weights)

SIZES = (4, 6, 3)
ACTIVATIONS = ["tanh", "softmax"]
LOSS = "categorical_crossentropy"
STEPS = 3


# ---- Keras 3's update rules: update(w, g, slots, t) -> new w, t the 1-based step ---------------------
# (sgd, adam and rmsprop are shared with test_optimizers.py, in conftest.py)
def adagrad(lr, initial_accumulator_value=0.1, epsilon=1e-7):
    def update(w, g, s, t):
        s["a"] = s.get("a", initial_accumulator_value) + g * g
        return w - lr * g / np.sqrt(s["a"] + epsilon)
    return update


def adadelta(lr, rho=0.95, epsilon=1e-7):
    def update(w, g, s, t):
        s["g2"] = rho * s.get("g2", 0.0) + (1 - rho) * g * g
        delta = -np.sqrt(s.get("d2", 0.0) + epsilon) * g / np.sqrt(s["g2"] + epsilon)
        s["d2"] = rho * s.get("d2", 0.0) + (1 - rho) * delta * delta
        return w + lr * delta
    return update


def adamax(lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    def update(w, g, s, t):
        s["m"] = s.get("m", 0.0) + (g - s.get("m", 0.0)) * (1 - beta_1)
        s["u"] = np.maximum(beta_2 * s.get("u", 0.0), np.abs(g))
        return w - lr * s["m"] / ((1 - beta_1 ** t) * (s["u"] + epsilon))
    return update


def nadam(lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    def momentum_at(step):
        return beta_1 * (1 - 0.5 * 0.96 ** step)

    def update(w, g, s, t):
        u_t, u_next = momentum_at(t), momentum_at(t + 1)
        u_product = math.prod(momentum_at(i) for i in range(1, t + 1))
        s["m"] = s.get("m", 0.0) + (g - s.get("m", 0.0)) * (1 - beta_1)
        s["v"] = s.get("v", 0.0) + (g * g - s.get("v", 0.0)) * (1 - beta_2)
        m_hat = u_next * s["m"] / (1 - u_product * u_next) + (1 - u_t) * g / (1 - u_product)
        v_hat = s["v"] / (1 - beta_2 ** t)
        return w - lr * m_hat / (np.sqrt(v_hat) + epsilon)
    return update


def lion(lr, beta_1=0.9, beta_2=0.99):
    """Keras 3's Lion: the step's sign from a blend of momentum and gradient, then the momentum update."""
    def update(w, g, s, t):
        m = s.get("m", 0.0)
        s["m"] = beta_2 * m + (1 - beta_2) * g
        return w - lr * np.sign(beta_1 * m + (1 - beta_1) * g)
    return update


O = fm.optimizers
CASES = {
    "sgd": (lambda: O.SGD(0.1), sgd(0.1)),
    "sgd_momentum": (lambda: O.SGD(0.1, momentum=0.9), sgd(0.1, 0.9)),
    "sgd_nesterov": (lambda: O.SGD(0.1, momentum=0.9, nesterov=True), sgd(0.1, 0.9, True)),
    "adam": (lambda: O.Adam(0.01), adam(0.01)),
    "adam_amsgrad": (lambda: O.Adam(0.05, beta_2=0.5, amsgrad=True), adam(0.05, beta_2=0.5, amsgrad=True)),
    "rmsprop": (lambda: O.RMSprop(0.01), rmsprop(0.01)),
    "rmsprop_rho_momentum": (lambda: O.RMSprop(0.01, rho=0.8, momentum=0.5), rmsprop(0.01, 0.8, 0.5)),
    "rmsprop_centered": (lambda: O.RMSprop(0.01, momentum=0.3, centered=True), rmsprop(0.01, 0.9, 0.3, centered=True)),
    "adagrad": (lambda: O.Adagrad(0.1), adagrad(0.1)),
    "adadelta": (lambda: O.Adadelta(1.0, rho=0.9), adadelta(1.0, 0.9)),
    "adamax": (lambda: O.Adamax(0.02), adamax(0.02)),
    "nadam": (lambda: O.Nadam(0.02), nadam(0.02)),
    "lion": (lambda: O.Lion(0.01), lion(0.01)),
    "lion_betas": (lambda: O.Lion(0.003, beta_1=0.5, beta_2=0.8), lion(0.003, 0.5, 0.8)),
}


def clip_norm(grads, c):
    return [g * min(1.0, c / np.linalg.norm(g)) for g in grads]


def clip_value(grads, c):
    return [np.clip(g, -c, c) for g in grads]


def clip_global(grads, c):
    norm = math.sqrt(sum(float(np.sum(g * g)) for g in grads))
    return [g * min(1.0, c / norm) for g in grads]



def run_and_compare(label, optimizer, update, rng, clip=None, weight_decay=0.0, lr=lambda t: 0.0):
    model, weights, x, y = start_at_known_weights(optimizer, rng)
    slots = [{} for _ in weights]
    initial = [w.copy() for w in weights]
    for t in range(1, STEPS + 1):
        expected_loss, grads = reference_gradients(weights, ACTIVATIONS, LOSS, x, y)
        if clip is not None:
            grads = clip(grads)
        # Keras 3 applies decoupled weight decay before the update: w -= w * wd * lr.
        decayed = [w - w * weight_decay * lr(t) for w in weights]
        weights[:] = [update(w, g, s, t) for w, g, s in zip(decayed, grads, slots)]
        assert_close(f"{label} step {t} loss", model.train_on_batch(x, y), expected_loss, rtol=1e-5, atol=1e-6)
        assert_close(f"{label} step {t} weights", model.get_weights(), weights, rtol=2e-5, atol=2e-6)
    assert model.optimizer.iterations == STEPS
    assert all(np.abs(w - w0).max() > 1e-4 for w, w0 in zip(weights, initial))


@pytest.mark.parametrize("case", CASES)
def test_first_steps_match_keras_update_rules(case, rng):
    make, update = CASES[case]
    run_and_compare(case, make(), update, rng)


CLIPPED = {
    "sgd_clipnorm": (lambda: O.SGD(0.5, clipnorm=0.05), sgd(0.5), lambda g: clip_norm(g, 0.05)),
    "sgd_clipvalue": (lambda: O.SGD(0.5, momentum=0.5, clipvalue=0.01), sgd(0.5, 0.5), lambda g: clip_value(g, 0.01)),
    "sgd_global_clipnorm": (lambda: O.SGD(0.5, global_clipnorm=0.05), sgd(0.5), lambda g: clip_global(g, 0.05)),
    "adam_clipnorm": (lambda: O.Adam(0.01, clipnorm=0.05), adam(0.01), lambda g: clip_norm(g, 0.05)),
    "rmsprop_global_clipnorm": (lambda: O.RMSprop(0.01, global_clipnorm=0.1), rmsprop(0.01),
                                lambda g: clip_global(g, 0.1)),
}


@pytest.mark.parametrize("case", CLIPPED)
def test_gradient_clipping(case, rng):
    make, update, clip = CLIPPED[case]
    run_and_compare(case, make(), update, rng, clip=clip)


@pytest.mark.parametrize("case", ["sgd", "adamw", "adam", "rmsprop", "lion"])
def test_weight_decay_is_decoupled(case, rng):
    makers = {"sgd": (lambda: O.SGD(0.1, weight_decay=0.1), sgd(0.1), 0.1, 0.1),
              "lion": (lambda: O.Lion(0.01, weight_decay=0.3), lion(0.01), 0.3, 0.01),
              "adamw": (lambda: O.AdamW(0.01), adam(0.01), 0.004, 0.01),  # AdamW's default weight_decay
              "adam": (lambda: O.Adam(0.01, weight_decay=0.5), adam(0.01), 0.5, 0.01),
              "rmsprop": (lambda: O.RMSprop(0.01, weight_decay=0.2), rmsprop(0.01), 0.2, 0.01)}
    make, update, weight_decay, lr = makers[case]
    run_and_compare(case, make(), update, rng, weight_decay=weight_decay, lr=lambda t: lr)


def test_optimizer_defaults_are_keras_defaults():
    expected = {O.SGD: dict(learning_rate=0.01, momentum=0.0, nesterov=False),
                O.Adam: dict(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False),
                O.AdamW: dict(learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7),
                O.RMSprop: dict(learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False),
                O.Adagrad: dict(learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7),
                O.Adadelta: dict(learning_rate=0.001, rho=0.95, epsilon=1e-7),
                O.Adamax: dict(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7),
                O.Nadam: dict(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7),
                O.Lion: dict(learning_rate=0.001, beta_1=0.9, beta_2=0.99, weight_decay=None, name="lion")}
    for cls, defaults in expected.items():
        config = cls().get_config()
        for key, value in defaults.items():
            assert config[key] == pytest.approx(value), (cls.__name__, key)
        again = cls.from_config(config)
        assert again.get_config() == config
        assert type(O.get(cls.__name__.lower())) is cls
    with pytest.raises(ValueError, match="beta_1"):  # Keras refuses sign-SGD too
        O.Lion(beta_1=0.0)


S = fm.optimizers.schedules
SCHEDULES = {
    "exponential": (S.ExponentialDecay(0.1, decay_steps=4, decay_rate=0.5), lambda t: 0.1 * 0.5 ** (t / 4)),
    "exponential_staircase": (S.ExponentialDecay(0.1, 4, 0.5, staircase=True), lambda t: 0.1 * 0.5 ** (t // 4)),
    "inverse_time": (S.InverseTimeDecay(0.1, decay_steps=2, decay_rate=0.5), lambda t: 0.1 / (1 + 0.5 * t / 2)),
    "inverse_time_staircase": (S.InverseTimeDecay(0.1, 2, 0.5, staircase=True), lambda t: 0.1 / (1 + 0.5 * (t // 2))),
    "piecewise": (S.PiecewiseConstantDecay([2, 5], [0.1, 0.05, 0.01]),
                  lambda t: 0.1 if t <= 2 else 0.05 if t <= 5 else 0.01),
    "cosine": (S.CosineDecay(0.1, decay_steps=8, alpha=0.1),
               lambda t: 0.1 * (0.9 * 0.5 * (1 + math.cos(math.pi * min(t, 8) / 8)) + 0.1)),
    "cosine_warmup": (S.CosineDecay(0.0, decay_steps=8, warmup_target=0.2, warmup_steps=4),
                      lambda t: 0.2 * t / 4 if t < 4 else 0.2 * 0.5 * (1 + math.cos(math.pi * min(t - 4, 8) / 8))),
    # Keras decays from warmup_target even without warm-up steps.
    "cosine_target_no_warmup": (S.CosineDecay(0.05, decay_steps=8, warmup_target=0.2),
                                lambda t: 0.2 * 0.5 * (1 + math.cos(math.pi * min(t, 8) / 8))),
}


@pytest.mark.parametrize("case", SCHEDULES)
def test_schedule_values(case):
    schedule, formula = SCHEDULES[case]
    for step in (0, 1, 2, 3, 4, 5, 6, 7, 8, 11, 20):
        assert schedule(step) == pytest.approx(formula(step), rel=1e-12, abs=1e-15), step
    again = S.deserialize(S.serialize(schedule))  # Keras's {"class_name", "config"} form
    assert [again(t) for t in range(12)] == [schedule(t) for t in range(12)]
    copy = type(schedule).from_config(schedule.get_config())
    assert copy.get_config() == schedule.get_config() and copy(7) == schedule(7)


def test_a_schedule_sets_the_rate_of_every_update(rng):
    schedule = S.ExponentialDecay(0.2, decay_steps=1, decay_rate=0.5)
    rates = iter([0.2, 0.1, 0.05])
    run_and_compare("sgd on a schedule", O.SGD(schedule),
                    lambda w, g, s, t: w - 0.2 * 0.5 ** (t - 1) * g, rng)
    assert next(rates) == 0.2
    optimizer = O.SGD(schedule)
    with pytest.raises(TypeError, match="not settable"):
        optimizer.learning_rate = 0.1


def test_learning_rate_settable_between_epochs(rng):
    x = rng.normal(size=(32, 4)).astype(np.float32)
    y = make_targets(LOSS, rng, 32, 3)
    model = make_model(*ACTIVATIONS, loss=LOSS, optimizer=O.Adam(0.01), sizes=SIZES)
    model.fit(x, y, epochs=1, verbose=0)
    model.optimizer.learning_rate = 0.0
    assert model.optimizer.learning_rate == 0.0
    before = model.get_weights()
    model.fit(x, y, epochs=1, verbose=0)
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)
    model.optimizer.learning_rate = 0.05
    model.fit(x, y, epochs=1, verbose=0)
    assert any(np.abs(o - n).max() > 1e-4 for o, n in zip(before, model.get_weights()))


@pytest.mark.parametrize("regularizer", [fm.regularizers.L1(0.01), fm.regularizers.L2(0.02),
                                         fm.regularizers.L1L2(l1=0.01, l2=0.03), "l2"])
def test_regularizers_add_their_penalty_to_loss_and_gradient(regularizer, rng):
    fm.utils.set_random_seed(0)
    model = fm.Sequential([fm.layers.Input((4,)),
                           fm.layers.Dense(3, activation="tanh", kernel_regularizer=regularizer,
                                           bias_regularizer=regularizer)])
    model.compile(optimizer=O.SGD(0.0), loss="mse")
    r = fm.regularizers.get(regularizer)
    x = rng.uniform(-1, 1, (8, 4)).astype(np.float32)
    y = rng.uniform(-1, 1, (8, 3)).astype(np.float32)
    kernel, bias = (w.astype(np.float64) for w in model.get_weights())
    bias = bias + 0.1  # a non-zero bias, so that its penalty matters too
    model.set_weights([kernel.astype(np.float32), bias.astype(np.float32)])
    bias = bias.astype(np.float32).astype(np.float64)

    def penalty(w):
        return l1(r) * np.abs(w).sum() + l2(r) * (w * w).sum()

    a = np.tanh(x @ kernel + bias)
    expected = np.mean((a - y) ** 2) + penalty(kernel) + penalty(bias)
    assert model.evaluate(x, y, verbose=0) == pytest.approx(expected, rel=1e-5)
    assert r(kernel) == pytest.approx(penalty(kernel), rel=1e-5)
    model.train_on_batch(x, y)
    grad_z = 2 * (a - y) / a.size * (1 - a * a)
    reference = [x.T @ grad_z + l1(r) * np.sign(kernel) + 2 * l2(r) * kernel,
                 grad_z.sum(axis=0) + l1(r) * np.sign(bias) + 2 * l2(r) * bias]
    assert_close("regularized gradients", layer_gradients(model), reference, rtol=1e-4, atol=1e-6)


def l1(regularizer):
    """The L1 strength of any regularizer (as in Keras, an L2 has no l1 attribute)."""
    return getattr(regularizer, "l1", 0.0)


def l2(regularizer):
    return getattr(regularizer, "l2", 0.0)


def test_assigning_a_regularizer_changes_the_loss_from_then_on(rng):
    model = fm.Sequential([fm.layers.Input((4,)), fm.layers.Dense(3)])
    model.compile(optimizer=O.SGD(0.0), loss="mse")
    x = rng.uniform(-1, 1, (8, 4)).astype(np.float32)
    y = rng.uniform(-1, 1, (8, 3)).astype(np.float32)
    plain = model.evaluate(x, y, verbose=0)
    dense = model.layers[0]
    dense.kernel_regularizer = "l2"  # Keras's default strength, 0.01
    kernel = dense.kernel.astype(np.float64)
    assert isinstance(dense.kernel_regularizer, fm.regularizers.L2)
    assert model.evaluate(x, y, verbose=0) == pytest.approx(plain + 0.01 * (kernel ** 2).sum(), rel=1e-5)
    dense.bias_regularizer = fm.regularizers.L1(0.5)
    dense.set_weights([dense.kernel, np.ones(3, np.float32)])
    data_loss = np.mean((model.predict(x, verbose=0) - y) ** 2)
    assert model.evaluate(x, y, verbose=0) == pytest.approx(data_loss + 0.01 * (kernel ** 2).sum() + 0.5 * 3,
                                                            rel=1e-5)
    dense.kernel_regularizer = dense.bias_regularizer = None
    assert model.evaluate(x, y, verbose=0) == pytest.approx(data_loss, rel=1e-5)
    assert dense.get_config()["kernel_regularizer"] is None


def test_regularizer_configs_and_names():
    assert fm.regularizers.L1().get_config() == {"l1": 0.01}
    assert fm.regularizers.L2().get_config() == {"l2": 0.01}
    assert fm.regularizers.L1L2().get_config() == {"l1": 0.0, "l2": 0.0}
    assert isinstance(fm.regularizers.get("l1_l2"), fm.regularizers.L1L2)
    with pytest.raises(ValueError):
        fm.regularizers.L2(-1)
