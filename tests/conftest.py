"""Shared helpers: a float64 NumPy reference of the forward and backward pass, model builders and
comparison helpers that print the largest difference they saw."""

import math
import os
import subprocess
import sys
import textwrap
import tracemalloc

import numpy as np
import pytest

import fastmlp as fm

ACTIVATIONS = ["linear", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "softmax"]
LOSSES = ["mean_squared_error", "mean_absolute_error", "binary_crossentropy", "categorical_crossentropy",
          "sparse_categorical_crossentropy"]
# Activations whose derivative jumps at 0: finite differences are wrong near there.
KINKED = {"relu", "leaky_relu"}
LEAKY_SLOPE = 0.2  # Keras 3's default negative_slope
EPSILON = 1e-7  # Keras's probability clip


# ---- NumPy reference (float64) -------------------------------------------------------------------
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def activation(name, z):
    if name == "linear":
        return z
    if name == "sigmoid":
        return sigmoid(z)
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "leaky_relu":
        return np.where(z > 0, z, LEAKY_SLOPE * z)
    if name == "elu":
        return np.where(z > 0, z, np.expm1(np.minimum(z, 0.0)))
    if name == "softplus":
        return np.logaddexp(0.0, z)
    if name == "softmax":
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    raise KeyError(name)


def activation_backward(name, z, grad):
    """dL/dZ from dL/dA, written in terms of Z (the library writes it in terms of A)."""
    if name == "softmax":
        a = activation("softmax", z)
        return a * (grad - (grad * a).sum(axis=1, keepdims=True))
    derivative = {
        "linear": lambda: np.ones_like(z),
        "sigmoid": lambda: sigmoid(z) * (1 - sigmoid(z)),
        "tanh": lambda: 1 - np.tanh(z) ** 2,
        "relu": lambda: (z > 0).astype(float),
        "leaky_relu": lambda: np.where(z > 0, 1.0, LEAKY_SLOPE),
        "elu": lambda: np.where(z > 0, 1.0, np.exp(np.minimum(z, 0.0))),
        "softplus": lambda: sigmoid(z),
    }[name]()
    return grad * derivative


def one_hot_targets(loss, y, units):
    """Sparse labels (n, 1) become one-hot rows; other targets are returned as they are."""
    if loss == "sparse_categorical_crossentropy":
        return np.eye(units)[y[:, 0].astype(int)]
    return y


def loss_and_gradient(loss, p, y):
    """Keras's batch-mean loss and its gradient with respect to the network output p (n, k)."""
    n, k = p.shape
    y = one_hot_targets(loss, y, k)
    if loss == "mean_squared_error":
        return np.mean((p - y) ** 2), 2 * (p - y) / (n * k)
    if loss == "mean_absolute_error":
        return np.mean(np.abs(p - y)), np.sign(p - y) / (n * k)
    if loss == "binary_crossentropy":
        q = np.clip(p, EPSILON, 1 - EPSILON)
        value = -np.mean(y * np.log(q) + (1 - y) * np.log(1 - q))
        return value, (q - y) / (q * (1 - q)) / (n * k)
    # categorical: Keras rescales the outputs to sum to one, then -sum(y log q)
    s = p.sum(axis=1, keepdims=True)
    q = np.clip(p / s, EPSILON, 1 - EPSILON)
    value = -np.sum(y * np.log(q)) / n
    return value, (-y / p + y.sum(axis=1, keepdims=True) / s) / n


def reference_forward(weights, activations, x):
    """Pre-activations and activations of every Dense layer; weights as get_weights() lists them."""
    zs, outs = [], [np.asarray(x, np.float64)]
    for (kernel, bias), name in zip(zip(weights[::2], weights[1::2]), activations):
        zs.append(outs[-1] @ kernel.astype(np.float64) + bias.astype(np.float64))
        outs.append(activation(name, zs[-1]))
    return zs, outs


def reference_gradients(weights, activations, loss, x, y):
    """(loss, [dW1, db1, dW2, db2, ...]) by a plain NumPy forward and backward pass."""
    zs, outs = reference_forward(weights, activations, x)
    value, grad = loss_and_gradient(loss, outs[-1], np.asarray(y, np.float64))
    grads = []
    for layer in reversed(range(len(zs))):
        grad_z = activation_backward(activations[layer], zs[layer], grad)
        grads[:0] = [outs[layer].T @ grad_z, grad_z.sum(axis=0)]
        grad = grad_z @ weights[2 * layer].astype(np.float64).T
    return value, grads


# ---- Keras 3's optimizer update rules ----------------------------------------------------------------
# Each returns update(w, g, slots, t): parameter w after one step with gradient g at step t (1-based),
# keeping its state in the dict `slots` in the order the C++ optimizer keeps its slots.
def sgd(lr, momentum=0.0, nesterov=False):
    def update(w, g, slots, t):
        if momentum == 0:
            return w - lr * g
        slots["m"] = momentum * slots.get("m", 0.0) - lr * g
        return w + (momentum * slots["m"] - lr * g if nesterov else slots["m"])
    return update


def adam(lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False):
    def update(w, g, slots, t):
        alpha = lr * math.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
        m, v = slots.get("m", 0.0), slots.get("v", 0.0)
        slots["m"] = m + (g - m) * (1 - beta_1)
        slots["v"] = v = v + (g * g - v) * (1 - beta_2)
        if amsgrad:
            slots["v_hat"] = v = np.maximum(slots.get("v_hat", 0.0), v)
        return w - alpha * slots["m"] / (np.sqrt(v) + epsilon)
    return update


def rmsprop(lr, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False):
    def update(w, g, slots, t):
        slots["v"] = rho * slots.get("v", 0.0) + (1 - rho) * g * g
        denominator = slots["v"] + epsilon
        if centered:
            mean = rho * slots.get("mean", 0.0) + (1 - rho) * g
            denominator = denominator - mean ** 2
        increment = lr * g / np.sqrt(denominator)
        if momentum > 0:
            slots["momentum"] = momentum * slots.get("momentum", 0.0) + increment
            increment = slots["momentum"]
        if centered:
            slots["mean"] = mean  # the C++ optimizer keeps the mean gradient after the momentum buffer
        return w - increment
    return update


def start_at_known_weights(optimizer, rng, rows=8, sizes=(4, 6, 3), activations=("tanh", "softmax"),
                           loss="categorical_crossentropy"):
    """A compiled model at known weights (set with set_weights), those weights in float64, and one
    batch of data: the starting point for comparing optimizer steps with the references above."""
    model = make_model(*activations, loss=loss, optimizer=optimizer, sizes=sizes)
    weights = [rng.normal(0, 0.5, w.shape).astype(np.float32) for w in model.get_weights()]
    model.set_weights(weights)
    x = rng.uniform(-1, 1, (rows, sizes[0])).astype(np.float32)
    return model, [w.astype(np.float64) for w in weights], x, make_targets(loss, rng, rows, sizes[-1])


def reference_step(weights, slots, update, activations, loss, x, y, t):
    """One NumPy training step in place: forward, loss, backward, update. Returns the loss before it."""
    value, grads = reference_gradients(weights, activations, loss, x, y)
    weights[:] = [update(w, g, s, t) for w, g, s in zip(weights, grads, slots)]
    return value


# ---- models and data -----------------------------------------------------------------------------
def make_model(hidden="tanh", output="softmax", loss="categorical_crossentropy", optimizer=None,
               sizes=(4, 5, 3), metrics=None, seed=0):
    """Input(sizes[0]) -> Dense(sizes[1], hidden) -> ... -> Dense(sizes[-1], output), compiled."""
    fm.utils.set_random_seed(seed)
    layers = [fm.layers.Input((sizes[0],))]
    layers += [fm.layers.Dense(units, activation=hidden) for units in sizes[1:-1]]
    layers.append(fm.layers.Dense(sizes[-1], activation=output))
    model = fm.Sequential(layers)
    model.compile(optimizer=optimizer if optimizer is not None else fm.optimizers.SGD(learning_rate=0.0),
                  loss=loss, metrics=metrics)
    return model


def make_targets(loss, rng, rows, units):
    """Targets a loss accepts: reals for regression, [0, 1] for BCE, one-hot or labels for CE."""
    if loss in ("mean_squared_error", "mean_absolute_error"):
        return rng.uniform(-1, 1, (rows, units)).astype(np.float32)
    if loss == "binary_crossentropy":
        return rng.uniform(0, 1, (rows, units)).astype(np.float32)
    labels = rng.integers(0, units, rows)
    if loss == "sparse_categorical_crossentropy":
        return labels.reshape(-1, 1).astype(np.float32)
    return fm.utils.to_categorical(labels, units)


def layer_gradients(model):
    """Copies of the gradients the last train_on_batch left in each Dense layer, in get_weights order."""
    grads = []
    for layer in model.layers:
        gradients = dict(layer._core.gradients)
        if gradients:  # Activation layers have none
            grads += [np.array(gradients["kernel"]), np.array(gradients["bias"]).reshape(-1)]
    return grads


def numeric_gradients(model, x, y, eps=3e-3):
    """Central differences of evaluate() in each weight, perturbed in place through the weight views. The
    default step suits float32 (rounding noise ~1e-7 / eps, truncation ~eps**2); float64 takes ~1e-5."""
    grads = []
    for layer in model.layers:
        for view in (layer.kernel, layer.bias):
            grad = np.zeros(view.shape)
            for index in np.ndindex(view.shape):
                original = view[index]
                view[index] = original + eps
                plus, up = model.evaluate(x, y, batch_size=len(x), verbose=0), view[index]
                view[index] = original - eps
                minus, down = model.evaluate(x, y, batch_size=len(x), verbose=0), view[index]
                view[index] = original
                grad[index] = (plus - minus) / (float(up) - float(down))  # the step the dtype actually took
            grads.append(grad)
    return grads


def analytic_gradients(model, x, y):
    """The gradients one train_on_batch computes, for a model compiled with learning_rate 0."""
    before = model.get_weights()
    model.train_on_batch(x, y)
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)  # learning_rate=0: the step must not move anything
    return layer_gradients(model)


def traced_peak(call):
    """Bytes NumPy (and Python) allocated at the peak of ``call``: a converted copy of an input shows in full."""
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# ---- comparisons -----------------------------------------------------------------------------------
def _as_list(arrays):
    return [np.asarray(a, np.float64) for a in (arrays if isinstance(arrays, (list, tuple)) else [arrays])]


def assert_close(label, actual, expected, rtol, atol):
    """np.testing.assert_allclose over lists of arrays, printing the largest absolute difference."""
    actual, expected = _as_list(actual), _as_list(expected)
    assert len(actual) == len(expected), label
    worst = max((float(np.max(np.abs(a - e))) for a, e in zip(actual, expected)), default=0.0)
    print(f"{label}: max |difference| = {worst:.3e}")
    for index, (a, e) in enumerate(zip(actual, expected)):
        np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, err_msg=f"{label}, array {index}")
    return worst


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture
def threads_restored():
    """Gives the test a free hand with set_num_threads and restores the count afterwards."""
    before = fm.get_num_threads()
    yield before
    fm.set_num_threads(before)


# ---- isolation -------------------------------------------------------------------------------------
TESTS_DIR = os.path.dirname(os.path.abspath(__file__))


def run_isolated(code, timeout=60):
    """Runs ``code`` in a fresh interpreter, so that a crash or a hang fails the test that provoked it
    instead of ending or stalling the whole run; the code can import the test modules' helpers.
    Returns (exit status, stdout, stderr); the status is None when the child ran past ``timeout``
    seconds and was killed, negative when a signal killed it."""
    code = f"import sys\nsys.path.insert(0, {TESTS_DIR!r})\n" + textwrap.dedent(code)
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as expired:
        def text(output):
            return output.decode(errors="replace") if isinstance(output, bytes) else output or ""
        return None, text(expired.stdout), text(expired.stderr)
    return done.returncode, done.stdout, done.stderr


def sparsemax_reference(z):
    """Martins & Astudillo's sparsemax, row by row: max(z - tau, 0) over the largest support k with
    1 + k z_(k) > z_(1) + ... + z_(k), tau = (z_(1) + ... + z_(k) - 1) / k."""
    ordered = -np.sort(-z, axis=1)
    prefix = np.cumsum(ordered, axis=1)
    support = (1 + np.arange(1, z.shape[1] + 1) * ordered > prefix).sum(axis=1, keepdims=True)
    return np.maximum(z - (np.take_along_axis(prefix, support - 1, axis=1) - 1) / support, 0)


@pytest.fixture
def keras():
    """Keras on the torch backend (a skip without it), its seed set so that its initial weights, which
    comparisons start from, repeat."""
    from interop_fixtures import import_keras
    keras = import_keras()
    keras.utils.set_random_seed(0)
    return keras
