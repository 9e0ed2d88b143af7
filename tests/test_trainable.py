"""``trainable`` as in Keras: a frozen layer's weights leave the optimizer and trainable_weights, show as
non-trainable in summary(), stay unchanged through fit, and the flag survives get_config, clone_model,
model files and pickling. A frozen BatchNormalization runs in inference mode, as Keras's does."""

import pickle

import numpy as np

import fastmlp as fm

L = fm.layers


def two_layer_model(seed=3):
    fm.utils.set_random_seed(seed)
    model = fm.Sequential([L.Input((4,)), L.Dense(6, activation="tanh", name="body"), L.Dense(2, name="head")])
    model.compile(optimizer="adam", loss="mse")
    return model


def data(rng, rows=32):
    return rng.normal(size=(rows, 4)).astype(np.float32), rng.normal(size=(rows, 2)).astype(np.float32)


def test_a_frozen_layer_keeps_its_weights_while_the_rest_trains(rng):
    model = two_layer_model()
    body, head = model.layers
    body.trainable = False
    assert not body.trainable and body.trainable_weights == [] and len(body.non_trainable_weights) == 2
    assert [w.shape for w in model.trainable_weights] == [(6, 2), (2,)]
    frozen, before = body.get_weights(), head.get_weights()
    x, y = data(rng)
    model.fit(x, y, epochs=3, batch_size=8, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(body.get_weights(), frozen))
    assert not any(np.array_equal(a, b) for a, b in zip(head.get_weights(), before))
    # The optimizer holds state for the trainable parameters only (Adam: two slots for each).
    assert len(model.optimizer._core.slots(1)) == 2
    try:
        model.optimizer._core.slots(2)
        raise AssertionError("the optimizer holds slots for a frozen parameter")
    except IndexError:
        pass


def test_unfreezing_trains_the_layer_again(rng):
    model = two_layer_model()
    body = model.layers[0]
    body.trainable = False
    x, y = data(rng)
    model.fit(x, y, epochs=1, verbose=0)
    body.trainable = True
    frozen = body.get_weights()
    model.fit(x, y, epochs=1, verbose=0)
    assert not np.array_equal(body.get_weights()[0], frozen[0])


def test_summary_counts_frozen_weights_as_non_trainable():
    model = two_layer_model()
    model.layers[0].trainable = False
    lines = []
    model.summary(print_fn=lines.append)
    assert " Trainable params: 14 (56.00 B)" in lines
    assert " Non-trainable params: 30 (120.00 B)" in lines


def test_model_trainable_freezes_every_layer(rng):
    model = two_layer_model()
    model.trainable = False
    assert not model.trainable and model.trainable_weights == [] and len(model.non_trainable_weights) == 4
    before = model.get_weights()
    x, y = data(rng)
    model.fit(x, y, epochs=1, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), before))
    assert not fm.Sequential([L.Dense(2, input_dim=3)], trainable=False).layers[0].trainable


def test_the_flag_survives_config_clone_files_and_pickling(tmp_path, rng):
    model = two_layer_model()
    model.layers[0].trainable = False
    assert model.layers[0].get_config()["trainable"] is False
    assert not L.Dense.from_config(model.layers[0].get_config()).trainable
    model.save(tmp_path / "frozen.fmlp")
    copies = [fm.models.clone_model(model), fm.models.load_model(tmp_path / "frozen.fmlp"),
              pickle.loads(pickle.dumps(model))]
    for copy in copies:
        assert [layer.trainable for layer in copy.layers] == [False, True]
    # A loaded model trains on as the original: its frozen layer stays frozen, the rest moves on.
    loaded = copies[1]
    x, y = data(rng)
    model.fit(x, y, epochs=1, verbose=0)
    loaded.fit(x, y, epochs=1, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), loaded.get_weights()))


def test_a_frozen_batch_normalization_runs_in_inference_mode(rng):
    norm = L.BatchNormalization()
    model = fm.Sequential([L.Input((3,)), norm])
    model.compile(optimizer="sgd", loss="mse")
    x = rng.normal(2.0, 3.0, size=(16, 3)).astype(np.float32)
    norm.trainable = False
    statistics = norm.get_weights()[2:]
    np.testing.assert_array_equal(model(x, training=True), model(x))  # the moving averages, not the batch's
    model.fit(x, x, epochs=2, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(norm.get_weights()[2:], statistics))
    norm.trainable = True
    model(x, training=True)
    assert not np.array_equal(norm.get_weights()[2], statistics[0])
