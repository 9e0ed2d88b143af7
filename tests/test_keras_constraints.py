"""Weight constraints against real Keras 3 (KERAS_BACKEND=torch): each projection on the same arrays,
training with constrained Dense, BatchNormalization, LayerNormalization and PReLU weights step for
step against Keras's fit, and the constraints through configs, clones, .fmlp files, pickles and
.keras files both ways."""

import pickle

import numpy as np
import pytest

import fastmlp as fm
from conftest import assert_close

C = fm.constraints
L = fm.layers


# Keras's variables and torch emit deprecation notices under NumPy 2 (and Keras warns as it builds).
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")


# (fastmlp's constraint, Keras's class name and arguments)
CASES = [
    (lambda: C.MaxNorm(0.5), "MaxNorm", {"max_value": 0.5}),
    (lambda: C.MaxNorm(0.5, axis=1), "MaxNorm", {"max_value": 0.5, "axis": 1}),
    (lambda: C.MaxNorm(2, axis=-1), "MaxNorm", {"max_value": 2, "axis": -1}),
    (lambda: C.MaxNorm(1.0, axis=[0, 1]), "MaxNorm", {"max_value": 1.0, "axis": [0, 1]}),
    (lambda: C.MaxNorm(0.7, axis=None), "MaxNorm", {"max_value": 0.7, "axis": None}),
    (lambda: C.NonNeg(), "NonNeg", {}),
    (lambda: C.UnitNorm(), "UnitNorm", {}),
    (lambda: C.UnitNorm(axis=1), "UnitNorm", {"axis": 1}),
    (lambda: C.MinMaxNorm(0.3, 0.8, rate=0.5), "MinMaxNorm", {"min_value": 0.3, "max_value": 0.8, "rate": 0.5}),
    (lambda: C.MinMaxNorm(min_value=1.5, max_value=2.0), "MinMaxNorm", {"min_value": 1.5, "max_value": 2.0}),
]


@pytest.mark.parametrize("case", range(len(CASES)))
def test_each_constraint_projects_as_keras_does(keras, rng, case):
    make, class_name, arguments = CASES[case]
    ours, theirs = make(), getattr(keras.constraints, class_name)(**arguments)
    # Keras's config, key for key (axis as given: an integer, a list or None).
    assert ours.get_config() == theirs.get_config()
    assert type(ours).from_config(theirs.get_config()).get_config() == ours.get_config()
    matrix = rng.normal(size=(5, 3)) * rng.uniform(0.1, 3, size=(1, 3))  # columns of norms on both sides of 1
    vector = rng.normal(size=(4,))
    for w in (matrix, vector):
        if w.ndim == 1 and arguments.get("axis") in (1, [0, 1]):
            continue  # no such axis on a vector: an error, below
        for dtype in (np.float32, np.float64):
            expected = np.asarray(theirs(w.astype(dtype)))
            got = ours(w.astype(dtype))
            assert got.dtype == dtype and got.shape == w.shape
            # In float64 too Keras (torch) clips with its bounds rounded to float32 (0.7 -> 0.69999999):
            # a relative 2e-8 apart from the exact projection.
            assert_close(f"{class_name}{arguments} on {w.shape} {dtype.__name__}", got, expected,
                         rtol=2e-6 if dtype == np.float32 else 1e-7, atol=1e-7 if dtype == np.float32 else 1e-12)
    if arguments.get("axis") in (1, [0, 1]):
        with pytest.raises(ValueError, match="axis 1 is out of range for a weight of 1 axis"):
            ours(vector)


def test_names_get_serialize_and_bad_arguments(keras):
    assert isinstance(C.get("max_norm"), C.MaxNorm) and isinstance(C.get("NonNeg"), C.NonNeg)
    assert isinstance(C.get(C.UnitNorm), C.UnitNorm) and C.get(None) is None
    assert C.max_norm is C.MaxNorm and C.min_max_norm is C.MinMaxNorm
    assert C.serialize(C.MaxNorm(3)) == {"class_name": "MaxNorm", "config": {"max_value": 3.0, "axis": 0}}
    # Keras's serialized form, with its locators, reads back.
    again = C.deserialize(keras.constraints.serialize(keras.constraints.MinMaxNorm(0.1, 0.9, 0.5, axis=1)))
    assert again == C.MinMaxNorm(0.1, 0.9, 0.5, axis=1)
    assert repr(C.MaxNorm(3)) == "MaxNorm(max_value=3.0, axis=0)"
    for bad in (lambda: C.MaxNorm(-1), lambda: C.MaxNorm(float("nan")), lambda: C.MinMaxNorm(0.5, 0.2),
                lambda: C.MinMaxNorm(rate=1.5), lambda: C.MaxNorm(axis=[])):
        with pytest.raises(ValueError):
            bad()
    with pytest.raises(TypeError, match="axis"):
        C.MaxNorm(axis=0.5)
    with pytest.raises(ValueError, match="unknown constraint"):
        C.get("max_nrom")
    with pytest.raises(TypeError, match="Python function"):
        L.Dense(2, kernel_constraint=lambda w: w)
    # An axis the weight lacks is an error when the layer is made, not in the middle of fit().
    with pytest.raises(ValueError, match="Dense bias_constraint axis 1 is out of range"):
        L.Dense(2, bias_constraint=C.MaxNorm(axis=1))
    with pytest.raises(ValueError, match="PReLU alpha_constraint axis -2"):
        L.PReLU(alpha_constraint=C.UnitNorm(axis=-2))
    with pytest.raises(AttributeError, match="fixed when the layer is created"):
        L.Dense(2).kernel_constraint = C.NonNeg()
    # Layers without such a weight still accept Keras's None.
    assert L.Dropout(0.1, kernel_constraint=None).rate == 0.1


def constrained_layers(lib):
    """The same constrained stack in Keras or fastmlp (``lib``: the keras module or fastmlp)."""
    c = lib.constraints
    layers = lib.layers
    return [layers.Dense(6, activation="tanh", kernel_constraint=c.MaxNorm(0.6), bias_constraint=c.NonNeg()),
            layers.BatchNormalization(gamma_constraint=c.UnitNorm(), beta_constraint=c.MinMaxNorm(0.1, 0.3, rate=0.7)),
            layers.PReLU(alpha_constraint=c.NonNeg()),
            layers.LayerNormalization(gamma_constraint=c.MaxNorm(1.5, axis=None)),
            layers.Dense(2, kernel_constraint=c.UnitNorm(axis=1), bias_constraint=c.MaxNorm(0.05))]


def test_training_applies_constraints_after_every_step_as_keras_does(keras, rng):
    x = rng.normal(size=(40, 5)).astype(np.float32)
    y = rng.normal(size=(40, 2)).astype(np.float32)
    theirs = keras.Sequential([keras.Input((5,)), *constrained_layers(keras)])
    ours = fm.Sequential([L.Input((5,)), *constrained_layers(fm)])
    start = [w.astype(np.float32) for w in theirs.get_weights()]
    start[5] = -np.abs(rng.normal(size=start[5].shape)).astype(np.float32) * 0.3  # PReLU's alpha: negative slopes
    theirs.set_weights(start)
    ours.set_weights(start)
    for model, optimizer in ((theirs, keras.optimizers.SGD(0.1)), (ours, fm.optimizers.SGD(0.1))):
        model.compile(optimizer=optimizer, loss="mse")
        model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    for index, (mine, expected) in enumerate(zip(ours.get_weights(), theirs.get_weights())):
        assert_close(f"weight {index} after 15 constrained steps", mine, np.asarray(expected), rtol=1e-4, atol=2e-5)
    kernel, bias, gamma, beta, _, _, alpha = ours.get_weights()[:7]
    assert np.linalg.norm(kernel, axis=0).max() <= 0.6 + 1e-6 and bias.min() >= 0 and alpha.min() >= 0
    assert np.linalg.norm(gamma) == pytest.approx(1, abs=1e-5)
    assert 0.1 - 1e-6 <= np.linalg.norm(beta) <= 0.3 + 1e-6
    assert np.linalg.norm(ours.get_weights()[-2], axis=1) == pytest.approx(1, abs=1e-5)
    # The same training without the constraints ends elsewhere (the comparison above can fail).
    free = fm.Sequential([L.Input((5,)), L.Dense(6, activation="tanh"), L.BatchNormalization(), L.PReLU(),
                          L.LayerNormalization(), L.Dense(2)])
    free.set_weights(start)
    free.compile(optimizer=fm.optimizers.SGD(0.1), loss="mse")
    free.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    assert np.abs(free.get_weights()[0] - ours.get_weights()[0]).max() > 1e-2


def test_a_frozen_layer_is_left_as_it_is(rng):
    # Keras constrains what its optimizer updates: the trainable weights only.
    x, y = rng.normal(size=(16, 3)).astype(np.float32), rng.normal(size=(16, 1)).astype(np.float32)
    frozen = L.Dense(4, kernel_constraint=C.NonNeg(), trainable=False)
    model = fm.Sequential([L.Input((3,)), frozen, L.Dense(1, kernel_constraint=C.NonNeg())])
    kernel = frozen.get_weights()[0]
    assert kernel.min() < 0
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, epochs=1, verbose=0)
    np.testing.assert_array_equal(frozen.get_weights()[0], kernel)
    assert model.layers[1].get_weights()[0].min() >= 0


def test_constraints_survive_configs_clones_files_and_pickles(rng, tmp_path):
    x = rng.normal(size=(32, 4))
    y = rng.normal(size=(32, 1))
    for dtype in ("float32", "float64"):
        fm.utils.set_random_seed(3)
        model = fm.Sequential([L.Input((4,), dtype=dtype),
                               L.Dense(5, activation="relu", kernel_constraint=C.MaxNorm(0.5, axis=[0, 1]),
                                       bias_constraint="non_neg", dtype=dtype),
                               L.BatchNormalization(gamma_constraint=C.UnitNorm(), dtype=dtype),
                               L.Dense(1, kernel_constraint=C.MinMaxNorm(0.2, 0.4, rate=0.5), dtype=dtype)])
        model.compile(optimizer=fm.optimizers.Adam(0.05), loss="mse")
        model.fit(x, y, epochs=2, batch_size=8, verbose=0)
        dense = model.layers[0]
        assert dense.kernel_constraint == C.MaxNorm(0.5, axis=[0, 1]) and dense.bias_constraint == C.NonNeg()
        assert dense.get_config()["kernel_constraint"] == {"class_name": "MaxNorm",
                                                          "config": {"max_value": 0.5, "axis": [0, 1]}}
        assert np.linalg.norm(dense.get_weights()[0]) <= 0.5 + 1e-5
        again = L.Dense.from_config(dense.get_config())
        assert again.get_config()["kernel_constraint"] == dense.get_config()["kernel_constraint"]
        model.save(tmp_path / f"c-{dtype}.fmlp")
        copies = [fm.models.load_model(tmp_path / f"c-{dtype}.fmlp"), pickle.loads(pickle.dumps(model))]
        clone = fm.models.clone_model(model)
        clone.set_weights(model.get_weights())
        clone.compile(optimizer=fm.optimizers.Adam(0.05), loss="mse")
        copies.append(clone)
        for copy in copies:
            assert [layer.get_config() for layer in copy.layers] == [layer.get_config() for layer in model.layers]
        # Training on goes on under the same constraints (the loaded copy also keeps the optimizer state).
        model.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
        copies[0].fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
        for mine, theirs in zip(copies[0].get_weights(), model.get_weights()):
            np.testing.assert_array_equal(mine, theirs)


def test_keras_files_both_ways(keras, rng, tmp_path):
    x = rng.normal(size=(8, 4)).astype(np.float32)
    ours = fm.Sequential([L.Input((4,)), L.Dense(3, kernel_constraint=C.MaxNorm(3), bias_constraint=C.NonNeg()),
                          L.BatchNormalization(beta_constraint=C.MinMaxNorm(0.0, 2.0, rate=0.5, axis=0)),
                          L.PReLU(alpha_constraint=C.UnitNorm()), L.Dense(1)])
    ours.save(tmp_path / "ours.keras")
    read = keras.saving.load_model(tmp_path / "ours.keras")
    assert isinstance(read.layers[0].kernel_constraint, keras.constraints.MaxNorm)
    assert read.layers[0].kernel_constraint.get_config() == {"max_value": 3.0, "axis": 0}
    assert isinstance(read.layers[0].bias_constraint, keras.constraints.NonNeg)
    assert read.layers[1].beta_constraint.get_config() == {"min_value": 0.0, "max_value": 2.0, "rate": 0.5, "axis": 0}
    assert isinstance(read.layers[2].alpha_constraint, keras.constraints.UnitNorm)
    assert_close("Keras predicts our file", np.asarray(read.predict(x, verbose=0)), ours.predict(x, verbose=0),
                 rtol=1e-5, atol=1e-6)
    # Keras's own file, with its constraints, into fastmlp.
    theirs = keras.Sequential([keras.Input((4,)), *constrained_layers(keras)])
    theirs.save(tmp_path / "theirs.keras")
    loaded = fm.models.load_model(tmp_path / "theirs.keras")
    expected = [layer.get_config() for layer in constrained_layers(fm)]
    # and the same model in Keras's legacy .h5 format (no locators in its serialized objects)
    theirs.save(tmp_path / "theirs.h5")
    for loaded in (loaded, fm.models.load_model(tmp_path / "theirs.h5")):
        for layer, config in zip(loaded.layers, expected):
            for key in config:
                if key.endswith("_constraint"):
                    assert layer.get_config()[key] == config[key], (layer.name, key)
