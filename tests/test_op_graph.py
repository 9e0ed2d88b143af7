"""The traced op graph (fastmlp.ops on traced tensors, run by the C++ core): every primitive's forward
pass equals the same op on arrays (NumPy), and its gradient equals central finite differences in
float64; random graphs built from the primitives check the same (hypothesis)."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from fastmlp import _core, ops
from fastmlp.tracing import Tracer

ROWS = 3


def trace(function, *sample_shapes, dtype="float64"):
    with Tracer(dtype) as tracer:
        inputs = [tracer.input(shape) for shape in sample_shapes]
        output = function(*inputs)
    tracer.spec.set_outputs([output._node])
    return tracer.spec


def run(spec, inputs, grad=None, dtype="float64"):
    runner = _core.graph.run_float64 if dtype == "float64" else _core.graph.run
    outputs, input_grads, _ = runner(spec, inputs, [], [] if grad is None else [grad])
    return outputs[0], input_grads


def numeric_gradient(spec, inputs, grad, step=1e-6):
    """d sum(output * grad) / d input, by central differences."""
    result = []
    for index, x in enumerate(inputs):
        g = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            shifted = [a.copy() for a in inputs]
            shifted[index][i] = x[i] + step
            up = np.sum(run(spec, shifted)[0] * grad)
            shifted[index][i] = x[i] - step
            down = np.sum(run(spec, shifted)[0] * grad)
            g[i] = (up - down) / (2 * step)
        result.append(g)
    return result


def check(function, *sample_shapes, low=-2.0, high=2.0, seed=0, away_from=None):
    """The traced function against itself on arrays and against finite differences."""
    rng = np.random.default_rng(seed)
    inputs = []
    for shape in sample_shapes:
        x = rng.uniform(low, high, size=(ROWS, *shape))
        if away_from is not None:  # keep finite differences off a kink
            x = np.where(np.abs(x - away_from) < 0.05, x + 0.1, x)
        inputs.append(x)
    spec = trace(function, *sample_shapes)
    traced = run(spec, inputs)[0]
    eager = np.asarray(function(*inputs), dtype=np.float64)
    np.testing.assert_allclose(traced, eager, rtol=1e-12, atol=1e-12)
    grad = rng.normal(size=traced.shape)
    analytic = run(spec, inputs, grad)[1]
    numeric = numeric_gradient(spec, inputs, grad)
    for a, n in zip(analytic, numeric):
        print(f"max |analytic - numeric| = {np.max(np.abs(a - n)):.2e}")
        np.testing.assert_allclose(a, n, rtol=1e-6, atol=1e-7)
    return spec


UNARY = {
    "negative": (ops.negative, {}), "exp": (ops.exp, {}), "log": (ops.log, {"low": 0.2}),
    "sqrt": (ops.sqrt, {"low": 0.2}), "abs": (ops.abs, {"away_from": 0.0}), "square": (ops.square, {}),
    "reciprocal": (ops.reciprocal, {"low": 0.3}), "log1p": (ops.log1p, {"low": -0.5}), "expm1": (ops.expm1, {}),
    "tanh": (ops.tanh, {}), "sin": (ops.sin, {}), "cos": (ops.cos, {}),
    "relu": (ops.relu, {"away_from": 0.0}), "sigmoid": (ops.sigmoid, {}), "elu": (ops.elu, {"away_from": 0.0}),
    "selu": (ops.selu, {"away_from": 0.0}), "gelu": (ops.gelu, {}), "silu": (ops.silu, {}),
    "softplus": (ops.softplus, {}), "softsign": (ops.softsign, {"away_from": 0.0}), "mish": (ops.mish, {}),
    "log_sigmoid": (ops.log_sigmoid, {}), "softmax": (ops.softmax, {}), "log_softmax": (ops.log_softmax, {}),
    "leaky_relu": (lambda x: ops.leaky_relu(x, 0.1), {"away_from": 0.0}),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_ops_match_numpy_and_finite_differences(name):
    function, options = UNARY[name]
    check(function, (4,), **options)


BINARY = {
    "add": ops.add, "subtract": ops.subtract, "multiply": ops.multiply, "divide": ops.divide,
    "maximum": ops.maximum, "minimum": ops.minimum,
}


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("shapes", [((4,), (4,)), ((2, 4), (1, 4)), ((2, 1), (1, 3))])
def test_binary_ops_broadcast_and_sum_their_gradients(name, shapes):
    function = BINARY[name]
    low = 0.5 if name == "divide" else -2.0
    check(function, *shapes, low=low, seed=hash(name) % 1000)


def test_power_of_positive_bases_differentiates_in_both_operands():
    check(ops.power, (3,), (3,), low=0.5, high=2.0)


def test_comparisons_where_and_clip():
    check(lambda x, y: ops.where(ops.greater(x, y), x * 2.0, y - 1.0), (4,), (4,), seed=3)
    check(lambda x: ops.clip(x, -1.0, 1.0), (5,), away_from=1.0, seed=4)
    check(lambda x: ops.cast(ops.less_equal(x, 0.5), "float32") * x, (5,), away_from=0.5, seed=5)


@pytest.mark.parametrize("reduction", ["sum", "mean", "max", "min"])
@pytest.mark.parametrize("axis,keepdims", [(None, False), (-1, False), (1, True), ((0, 2), False), (0, True)])
def test_reductions_over_any_axes_including_the_batch(reduction, axis, keepdims):
    check(lambda x: getattr(ops, reduction)(x, axis=axis, keepdims=keepdims), (3, 4), seed=7)


def test_lowered_reductions_logsumexp_var_std_norm():
    check(lambda x: ops.logsumexp(x, axis=-1), (5,))
    check(lambda x: ops.logsumexp(x, axis=0, keepdims=True), (5,))
    check(lambda x: ops.var(x, axis=-1), (5,))
    check(lambda x: ops.std(x, axis=1), (4,), seed=2)
    check(lambda x: ops.norm(x, axis=-1), (4,))


def test_shape_ops():
    check(lambda x: ops.reshape(x, (-1, 2, 3)), (6,))
    check(lambda x: ops.reshape(x, (-1, 3)), (2, 3))  # folds a dimension into the batch
    check(lambda x: ops.transpose(x, (0, 2, 1)), (2, 3))
    check(lambda x: ops.transpose(x), (2, 3))  # moves the batch axis last
    check(lambda x, y: ops.concatenate([x, y, x], axis=-1), (2,), (3,))
    check(lambda x, y: ops.stack([x, y], axis=1), (3,), (3,))
    check(lambda x: ops.expand_dims(x, 1) * 1.0, (3,))
    check(lambda x: ops.squeeze(ops.expand_dims(x, -1), -1), (3,))
    check(lambda x: x[:, 1:4:2], (5,))
    check(lambda x: x[:, ::-1, 0], (4, 2))
    check(lambda x: x[..., None, 2], (3, 4))
    check(lambda x: x[:, [0, 2, 2]], (3,))
    check(lambda x: ops.take(x, np.array([[1, 0], [1, 1]]), axis=1), (3,))
    check(lambda x: ops.broadcast_to(ops.expand_dims(x, 1), (None, 2, 3)), (3,))


def test_matmul_on_the_batch_and_batched():
    rng = np.random.default_rng(1)
    w = rng.normal(size=(4, 3))
    check(lambda x: ops.matmul(x, w), (4,))
    check(lambda x: ops.matmul(x, w), (2, 4))  # leading axes fold into rows
    check(lambda x, y: ops.matmul(x, y), (2, 3), (3, 2))  # one product per sample
    check(lambda x: x @ np.linspace(-1, 1, 3), (2, 3))  # a 1-D right operand
    check(lambda x: ops.dot(x, w) + 1.0, (4,))


def test_one_hot_and_crossentropies_of_keras_ops():
    labels = np.array([[0.0], [2.0], [1.0]])
    spec = trace(lambda t: ops.one_hot(ops.squeeze(t, -1), 3), (1,))
    np.testing.assert_array_equal(run(spec, [labels])[0], np.eye(3)[[0, 2, 1]])
    check(lambda t, p: ops.binary_crossentropy(ops.clip(t, 0.0, 1.0), ops.sigmoid(p)), (3,), (3,), seed=8)
    check(lambda t, p: ops.binary_crossentropy(ops.sigmoid(t), p, from_logits=True), (3,), (3,), seed=9)
    check(lambda t, p: ops.categorical_crossentropy(ops.softmax(t), p, from_logits=True), (4,), (4,), seed=10)


def test_float32_graph_computes_the_same_as_float64():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(ROWS, 6))
    function = lambda x: ops.sum(ops.tanh(ops.matmul(x, np.ones((6, 2)))) ** 2.0, axis=-1)  # noqa: E731
    spec32, spec64 = trace(function, (6,), dtype="float32"), trace(function, (6,))
    out32 = run(spec32, [x.astype(np.float32)], dtype="float32")[0]
    out64 = run(spec64, [x])[0]
    np.testing.assert_allclose(out32, out64, rtol=1e-5)


def test_shape_mistakes_are_value_errors_naming_the_op_while_tracing():
    with pytest.raises(ValueError, match="matmul.*do not fit"):
        trace(lambda x: ops.matmul(x, np.ones((3, 2))), (4,))
    with pytest.raises(ValueError, match="cannot be broadcast"):
        trace(lambda x, y: x + y, (3,), (4,))
    with pytest.raises(ValueError, match="reshape"):
        trace(lambda x: ops.reshape(x, (-1, 4)), (6,))


def test_data_dependent_control_flow_names_the_line_and_ops_where():
    def branchy(x):
        if ops.sum(x) > 0:  # the line the error names
            return x
        return -x

    with pytest.raises(TypeError, match=r"(?s)test_op_graph.py:\d+: +if ops.sum\(x\) > 0.*ops.where"):
        trace(branchy, (3,))


def test_a_graph_spec_survives_its_config():
    spec = trace(lambda x: ops.softmax(ops.matmul(x, np.full((3, 2), 0.5)) - np.inf * 0.0), (3,))
    again = _core.graph.Spec.from_config(spec.config)
    x = np.random.default_rng(3).normal(size=(ROWS, 3))
    np.testing.assert_array_equal(run(again, [x])[0], run(spec, [x])[0])


_UNARY_SAFE = [ops.tanh, ops.sigmoid, ops.sin, ops.square, ops.softplus, lambda x: ops.exp(-ops.square(x))]
_BINARY_SAFE = [ops.add, ops.subtract, ops.multiply, lambda a, b: a * ops.tanh(b)]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1), st.integers(0, 5), st.integers(0, 10), st.integers(0, 10)),
                min_size=1, max_size=8), st.integers(0, 2**16))
def test_random_graphs_differentiate_as_finite_differences(steps, seed):
    """Random chains and joins of smooth primitives (with reductions keeping the batch) against
    finite differences."""
    def function(x, y):
        values = [x, y]
        for kind, which, a, b in steps:
            if kind == 0:
                values.append(_UNARY_SAFE[which % len(_UNARY_SAFE)](values[a % len(values)]))
            else:
                values.append(_BINARY_SAFE[which % len(_BINARY_SAFE)](values[a % len(values)], values[b % len(values)]))
        return ops.sum(values[-1], axis=-1, keepdims=True) + ops.mean(values[-2] if len(values) > 2 else x)

    check(function, (3,), (3,), low=-1.0, high=1.0, seed=seed)
