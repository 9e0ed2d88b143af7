"""Every type the C++ core registers describes itself once, and everything else asks it:

* each Python class (and activation or loss function) exists for every registered type, and its
  signature's defaults are what the core uses;
* for every type and every parameter set away from its default, config -> object -> config is the
  identity, in the core and through the Python classes;
* a model of any layer with non-default parameters clones, saves, loads and pickles into a model that
  predicts bit for bit the same.
"""

import inspect
import pickle

import numpy as np
import pytest

import fastmlp as fm
from fastmlp import _core, _registered

KINDS = ["layer", "activation", "loss", "metric", "optimizer", "schedule", "initializer", "regularizer"]

# Values for parameters that have no default.
REQUIRED = {"units": 4, "rate": 0.5, "stddev": 0.1, "activation": "relu", "initial_learning_rate": 0.1,
            "decay_steps": 10, "decay_rate": 0.5, "boundaries": [2.0, 5.0], "values": [0.1, 0.05, 0.01]}
# Parameters Keras has and fastmlp takes only at their default (no masked labels, one decision per
# output, the ROC curve by interpolation), with a value of theirs that is refused.
ONLY_DEFAULT = {"ignore_class": 1, "top_k": 1, "class_id": 1, "curve": "PR", "summation_method": "minoring"}
# Parameters given only together (Normalization's statistics): varying one sets the other too.
TOGETHER = {("Normalization", "mean"): {"variance": [1.5]}, ("Normalization", "variance"): {"mean": [0.5]}}
SCHEDULE = {"class_name": "ExponentialDecay",
            "config": {"initial_learning_rate": 0.2, "decay_steps": 5, "decay_rate": 0.5, "staircase": True,
                       "name": "ExponentialDecay"}}


def candidates(key, default):
    """Non-default values to try for a parameter, most specific first."""
    return [value for value in _candidates(key, default) if value != default]


def _candidates(key, default):
    by_key = {
        "activation": ["tanh", {"class_name": "relu",
                                "config": {"negative_slope": 0.0, "max_value": 2.0, "threshold": 0.0}}],
        "learning_rate": [0.125, SCHEDULE],
        "seed": [7], "max_value": [2.0], "warmup_target": [0.5], "thresholds": [0.3], "weight_decay": [0.01],
        "clipnorm": [1.5], "clipvalue": [0.5], "global_clipnorm": [1.5], "data_format": ["channels_last"],
        "mode": ["fan_out"], "distribution": ["uniform"], "name": ["a_name"], "axis": [1],
        "boundaries": [[3.0, 6.0]], "values": [[0.2, 0.1, 0.05]],
    }
    if key in by_key:
        return by_key[key]
    if key in ("mean", "variance") and default is None:  # Normalization's statistics, one per feature
        return [[0.5]] if key == "mean" else [[2.0]]
    if key.endswith("_initializer"):
        return [{"class_name": "HeNormal", "config": {"seed": 3}}]
    if key.endswith("_regularizer"):
        return [{"class_name": "L2", "config": {"l2": 0.02}}]
    if isinstance(default, bool):
        return [not default]
    if isinstance(default, int):
        return [default + 1, 2, 3]
    if isinstance(default, float):
        return [default / 2, default + 0.125, 0.375, 0.75]
    return []


# Types made by tracing users' code (their required parameter is a traced graph): tests/test_custom_code.py.
TRACED = ("TracedLayer", "TracedLoss", "TracedMetric")


def types():
    return [(kind, name) for kind in KINDS for name in _registered.entries(kind) if name not in TRACED]


def base_config(kind, name):
    entry = _registered.entries(kind)[name]
    return {key: REQUIRED[key] for key in entry["required"]}


def create(kind, name, config):
    return _core.registries[kind].create(name, config)


def python_class(kind, name):
    module = {"layer": fm.layers, "loss": fm.losses, "metric": fm.metrics, "optimizer": fm.optimizers,
              "schedule": fm.optimizers.schedules, "initializer": fm.initializers,
              "regularizer": fm.regularizers}[kind]
    return getattr(module, name)


def test_every_registered_type_has_its_python_name():
    for kind, name in types():
        entry = _registered.entries(kind)[name]
        if kind == "activation":
            for alias in (name, *entry["aliases"]):
                assert callable(getattr(fm.activations, alias)), alias
        else:
            assert python_class(kind, name)._class_name == name
        if kind == "loss":
            for alias in entry["aliases"]:
                assert getattr(fm.losses, alias)._fastmlp_loss == name


@pytest.mark.parametrize("kind, name", types(), ids=[f"{k}:{n}" for k, n in types()])
def test_every_python_default_is_the_cores(kind, name):
    """The default of each signature parameter, turned into a config the way a user's argument is,
    gives the core's default: defaults are written once, in C++."""
    entry = _registered.entries(kind)[name]
    if kind == "activation":
        signature = inspect.signature(getattr(fm.activations, name))
    else:
        signature = inspect.signature(python_class(kind, name))
    checked = 0
    for key, default in entry["defaults"].items():
        parameter = signature.parameters.get(key)
        if kind == "layer" and key in ("name", "trainable"):
            # The Python base class takes these: no name means Keras's automatic one.
            assert parameter.default == {"name": None, "trainable": True}[key]
            continue
        if key in entry["required"]:
            assert parameter.default is inspect.Parameter.empty, key
            continue
        value = _registered.to_config_value(key, parameter.default)
        made = create(kind, name, {**base_config(kind, name), key: value}).config[key]
        assert made == default, (key, parameter.default, default)
        checked += 1
    print(f"{kind} {name}: {checked} defaults equal the core's")


@pytest.mark.parametrize("kind, name", types(), ids=[f"{k}:{n}" for k, n in types()])
def test_config_object_config_is_the_identity_for_every_parameter(kind, name):
    entry = _registered.entries(kind)[name]
    base = base_config(kind, name)
    defaults = create(kind, name, base).config
    assert create(kind, name, defaults).config == defaults
    varied = []
    for key, default in entry["defaults"].items():
        if key in ONLY_DEFAULT:
            with pytest.raises(ValueError, match=key):
                create(kind, name, {**base, key: ONLY_DEFAULT[key]})
            continue
        accepted = None
        for value in candidates(key, defaults[key]):
            try:
                accepted = create(kind, name, {**base, **TOGETHER.get((name, key), {}), key: value})
                break
            except ValueError:
                continue
        assert accepted is not None, f"{kind} {name}: no non-default value of {key!r} was accepted"
        config = accepted.config
        assert config[key] != defaults[key], key
        assert create(kind, name, config).config == config, key  # through the core
        if kind != "activation":  # through the Python class, with its Python-only arguments
            cls = python_class(kind, name)
            view = cls.from_config({k: v for k, v in config.items()} if kind != "layer" else config)
            assert cls.from_config(view.get_config()).get_config() == view.get_config(), key
        varied.append(key)
    print(f"{kind} {name}: round trip identical with each of {varied} changed")


def layer_cases():
    """(label, layer factory) for every layer type, each with one non-default parameter set."""
    cases = []
    for name, entry in _registered.entries("layer").items():
        if name in TRACED:
            continue
        base = base_config("layer", name)
        for key in entry["defaults"]:
            if key in ("name", "trainable") or key.endswith("_regularizer"):
                continue
            for value in candidates(key, entry["defaults"][key]):
                config = {**base, **TOGETHER.get((name, key), {}), key: value}
                try:
                    create("layer", name, config)
                except ValueError:
                    continue
                cases.append((f"{name}.{key}", name, config))
                break
    return cases


@pytest.mark.parametrize("label, name, config", layer_cases(), ids=[case[0] for case in layer_cases()])
def test_clones_copies_and_files_predict_bit_for_bit(label, name, config, tmp_path):
    fm.utils.set_random_seed(5)
    cls = getattr(fm.layers, name)
    layer = cls.from_config(config)
    if layer._core.takes_list:  # a merge layer: in a functional model, on two tensors
        inputs = fm.Input((4,))
        hidden = fm.layers.Dense(4, activation="tanh")(inputs)
        model = fm.Model(inputs, layer([hidden, fm.layers.Dense(4)(inputs)]))
    else:
        model = fm.Sequential([fm.layers.Input((4,)), fm.layers.Dense(4, activation="tanh"), layer])
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(1).normal(size=(8, 4)).astype(np.float32)
    y = np.random.default_rng(2).normal(size=(8, model.output_shape[1])).astype(np.float32)
    model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    expected = model.predict(x, verbose=0)

    clone = fm.models.clone_model(model)
    clone.set_weights(model.get_weights())
    model.save(tmp_path / "model.fmlp")
    for copy in (clone, fm.models.load_model(tmp_path / "model.fmlp"), pickle.loads(pickle.dumps(model))):
        assert copy.get_config() == model.get_config()
        assert copy.predict(x, verbose=0).tobytes() == expected.tobytes()


def test_a_partial_activation_survives_get_config_and_clone_model():
    """The issue's example: functools.partial(relu, max_value=1.0) used to become plain relu."""
    import functools
    fm.utils.set_random_seed(1)
    layer = fm.layers.Dense(4, activation=functools.partial(fm.activations.relu, max_value=1.0))
    model = fm.Sequential([fm.layers.Input((3,)), layer])
    assert layer.get_config()["activation"]["config"]["max_value"] == 1.0
    clone = fm.models.clone_model(model)
    clone.set_weights(model.get_weights())
    x = np.random.default_rng(0).normal(0, 3, (16, 3)).astype(np.float32)
    assert model.predict(x, verbose=0).max() <= 1.0
    assert clone.predict(x, verbose=0).tobytes() == model.predict(x, verbose=0).tobytes()
    assert clone.layers[0].activation.keywords["max_value"] == 1.0  # Keras shows the function


def test_name_and_class_initializers_draw_from_the_same_generator():
    """"glorot_uniform" and GlorotUniform() are the same initializer, drawn in C++ from the model's seed."""
    def kernel(initializer):
        fm.utils.set_random_seed(11)
        model = fm.Sequential([fm.layers.Input((6,)), fm.layers.Dense(5, kernel_initializer=initializer)])
        return model.layers[0].kernel.copy()
    by_name = kernel("glorot_uniform")
    assert kernel(fm.initializers.GlorotUniform()).tobytes() == by_name.tobytes()
    assert kernel({"class_name": "GlorotUniform", "config": {"seed": None}}).tobytes() == by_name.tobytes()
    seeded = kernel(fm.initializers.GlorotUniform(seed=3))
    assert seeded.tobytes() != by_name.tobytes()
    assert fm.initializers.GlorotUniform(seed=3)((6, 5)).tobytes() == seeded.tobytes()  # Keras 3: seeded repeats
