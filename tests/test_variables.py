"""fastmlp.Variable: weights as Keras variables viewing the C++ memory, standalone variables as Keras's
constructor makes them, and optimizer.variables; compared with NumPy and with real Keras."""

import copy
import pickle

import numpy as np
import pytest
from interop_fixtures import import_keras

import fastmlp as fm
from fastmlp import layers

# Keras on torch 2.13 converts tensors through an __array__ that NumPy 2 warns about.
KERAS = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")


def dense_model(units=3, features=4, seed=1):
    fm.utils.set_random_seed(seed)
    model = fm.Sequential([fm.Input((features,)), layers.Dense(units, name="dense")])
    return model, model.layers[0]


def test_weights_are_variables_viewing_the_model():
    model, dense = dense_model()
    kernel, bias = dense.kernel, dense.bias
    assert isinstance(kernel, fm.Variable) and fm.backend.Variable is fm.Variable
    assert (kernel.name, kernel.path, kernel.shape, kernel.trainable) == ("kernel", "dense/kernel", (4, 3), True)
    assert (bias.name, bias.path, bias.shape) == ("bias", "dense/bias", (3,))  # stored (1, 3) in C++
    assert kernel.dtype == "float32" and isinstance(kernel.dtype, str) and kernel.dtype == np.float32
    assert dense.kernel is kernel and model.weights[0] is kernel  # one object per weight, as in Keras
    assert [w.path for w in model.weights] == ["dense/kernel", "dense/bias"]
    assert all(isinstance(w, fm.Variable) for w in model.trainable_weights + dense.weights)
    # np.asarray is a view of the C++ memory: writing through it changes what the model predicts.
    view = np.asarray(kernel)
    assert view.dtype == np.float32 and not view.flags.owndata
    x = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    new_kernel = np.arange(12, dtype=np.float32).reshape(4, 3) / 10
    returned = kernel.assign(new_kernel)
    assert returned is kernel
    np.testing.assert_array_equal(view, new_kernel)
    bias.assign(np.array([1.0, -1.0, 0.5]))
    np.testing.assert_allclose(model.predict(x, verbose=0), x @ new_kernel + np.array([1.0, -1.0, 0.5]), rtol=1e-6)
    bias.assign_add(np.ones(3))
    bias.assign_sub(np.full(3, 0.5))
    np.testing.assert_allclose(bias.numpy(), [1.5, -0.5, 1.0])
    numpy_copy = bias.numpy()
    numpy_copy[0] = 99  # .numpy() is a copy, as Keras's
    assert bias.numpy()[0] == 1.5
    with pytest.raises(ValueError, match="must match"):
        kernel.assign(np.zeros((3, 4)))
    with pytest.raises(TypeError):
        kernel.assign(np.full((4, 3), "a"))
    # Existing array-style code keeps working: get/set_weights, item writes, in-place operators.
    kernel[0, 0] = 5.0
    kernel += 1.0
    assert dense.get_weights()[0][0, 0] == 6.0 and model.get_weights()[0][0, 0] == 6.0
    assert not np.shares_memory(dense.get_weights()[0], view)


def test_variable_operators_return_arrays():
    _, dense = dense_model()
    k = dense.kernel
    a = np.asarray(k).copy()
    x = np.ones((3, 2), np.float32)
    cases = {"add": (k + 1, a + 1), "radd": (1 + k, 1 + a), "sub": (k - a, a - a), "rsub": (2 - k, 2 - a),
             "mul": (k * 2, a * 2), "rtruediv": (1 / (k + 10), 1 / (a + 10)), "matmul": (k @ x, a @ x),
             "rmatmul": (np.ones((2, 4)) @ k, np.ones((2, 4)) @ a), "neg": (-k, -a),
             "abs": (abs(k), abs(a)), "pow": (k ** 2, a ** 2), "gt": (k > 0, a > 0), "eq": (k == a, a == a),
             "ufunc": (np.exp(k), np.exp(a)), "sum": (np.sum(k, axis=0), a.sum(axis=0)),
             "getitem": (k[1:, 0], a[1:, 0])}
    for label, (got, expected) in cases.items():
        assert type(got) is np.ndarray, label
        np.testing.assert_array_equal(got, expected, err_msg=label)
    assert len(k) == 4 and [row.tolist() for row in k] == a.tolist()
    assert k.ndim == 2 and k.size == 12 and k.T.shape == (3, 4)  # array attributes a script may read
    np.multiply(k, 0, out=k)  # out= a variable writes into its memory
    assert not np.asarray(dense.kernel).any()
    with pytest.raises(TypeError, match="boolean"):
        bool(k)


def test_trainable_follows_the_layer_and_non_trainable_weights():
    fm.utils.set_random_seed(2)
    model = fm.Sequential([fm.Input((3,)), layers.BatchNormalization(name="bn")])
    bn = model.layers[0]
    assert [(w.name, w.trainable) for w in bn.weights] == [("gamma", True), ("beta", True),
                                                          ("moving_mean", False), ("moving_variance", False)]
    assert [w.name for w in bn.non_trainable_weights] == ["moving_mean", "moving_variance"]
    bn.trainable = False
    assert not bn.gamma.trainable and bn.trainable_weights == []
    with pytest.raises(ValueError, match="layer's trainable"):
        bn.gamma.trainable = True


def test_view_follows_its_getter_and_shape():
    # A view fetches the memory at every access, so it stays valid when the memory behind it is replaced.
    memory = [np.zeros((1, 3), np.float32)]
    v = fm.Variable._view(lambda: memory[0], "bias", "dense/bias", trainable=False, shape=(3,))
    assert v.shape == (3,) and v.path == "dense/bias" and not v.trainable
    v.assign(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(memory[0], [[1, 2, 3]])
    memory[0] = np.full((1, 3), 7.0, np.float32)
    np.testing.assert_array_equal(v.numpy(), [7, 7, 7])
    assert np.shares_memory(np.asarray(v), memory[0])


@KERAS
def test_standalone_variables_against_keras():
    keras = import_keras()
    cases = [dict(initializer=np.zeros((2, 3)), name="w"), dict(initializer=3.0), dict(initializer=[1.0, 2.0]),
             dict(initializer=np.ones((2,), np.float32), trainable=False),
             dict(initializer="ones", shape=(2, 2)), dict(initializer="zeros", shape=(3,), dtype="float64")]
    for kwargs in cases:
        ours, theirs = fm.Variable(**kwargs), keras.Variable(**kwargs)
        label = repr(kwargs)
        assert ours.shape == tuple(theirs.shape) and ours.dtype == theirs.dtype, label
        assert ours.trainable == theirs.trainable, label
        np.testing.assert_array_equal(ours.numpy(), keras.ops.convert_to_numpy(theirs.value), err_msg=label)
    w = fm.Variable(np.zeros((2, 3)), name="w")
    assert repr(w) == repr(keras.Variable(np.zeros((2, 3)), name="w"))
    drawn = fm.Variable(fm.initializers.RandomUniform(-1, 1, seed=3), shape=(4, 2), name="r")
    assert drawn.shape == (4, 2) and drawn.dtype == "float32" and np.abs(drawn.numpy()).max() <= 1
    assert fm.Variable(lambda shape, dtype=None: np.full(shape, 2.0), shape=(2,)).numpy().tolist() == [2, 2]
    for bad, match in ((dict(initializer="ones"), "shape"), (dict(initializer=1.0, name="a/b"), "cannot contain"),
                       (dict(initializer=1.0, aggregation="max"), "aggregation")):
        with pytest.raises(ValueError, match=match):
            fm.Variable(**bad)
        with pytest.raises(ValueError, match=match):
            keras.Variable(**bad)
    assert float(fm.Variable(2.5)) == 2.5 and int(fm.Variable(3)) == 3


def test_copies_are_standalone_variables():
    _, dense = dense_model()
    for copied in (pickle.loads(pickle.dumps(dense.kernel)), copy.deepcopy(dense.kernel)):
        assert isinstance(copied, fm.Variable) and copied.path == "dense/kernel"
        np.testing.assert_array_equal(copied.numpy(), dense.kernel.numpy())
        copied.assign(np.zeros((4, 3)))
        assert np.asarray(dense.kernel).any()  # the copy has its own memory


@KERAS
def test_optimizer_variables_against_keras():
    keras = import_keras()
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 4)).astype(np.float32), rng.normal(size=(16, 2)).astype(np.float32)
    model, _ = dense_model(units=2)
    model.compile(optimizer=fm.optimizers.Adam(0.01), loss="mse")
    assert [v.name for v in model.optimizer.variables] == ["iteration", "learning_rate"]  # before any step
    initial = model.get_weights()
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    ours = model.optimizer.variables
    k_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, name="dense")])
    k_model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    k_model.set_weights(initial)
    k_model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    theirs = k_model.optimizer.variables
    # Keras names a slot after the weight's path, which starts with the model's name; fastmlp's is <layer>/<weight>.
    assert [v.name for v in ours] == [v.name.replace(f"{k_model.name}_", "", 1) for v in theirs]
    for a, b in zip(ours, theirs):
        assert a.shape == tuple(b.shape), a.name
        np.testing.assert_allclose(np.asarray(a, np.float64), keras.ops.convert_to_numpy(b.value), rtol=2e-5, atol=1e-7,
                                   err_msg=a.name)
    assert int(ours[0]) == 1 and all(not v.trainable for v in ours)
    with pytest.raises(ValueError, match="read-only"):
        ours[2].assign(np.zeros(ours[2].shape))
