"""The Keras layers a dense model may hold: each one's config defaults and its variables.

This is the one place that says which Keras classes the interop code understands; the readers reject
any other class with an error naming it, and the writers and the ONNX exporter cover
exactly these. Defaults are Keras 3's (keys as ``get_config()`` writes them, leaving out the ones a
later Keras 3 release added, which older releases would refuse).
"""

from fastmlp._interop.errors import UnsupportedLayerError


def _initializer(class_name, **config):
    """Keras 3's serialised form of a built-in initializer."""
    return {"module": "keras.initializers", "class_name": class_name, "config": config, "registered_name": None}


def _regularized(*names):
    """``<name>_regularizer`` and ``<name>_constraint`` keys, all None."""
    keys = {}
    for name in names:
        keys[f"{name}_regularizer"] = None
        keys[f"{name}_constraint"] = None
    return keys


# class name -> the config keys besides name/trainable/dtype, with Keras 3's defaults. A key whose
# default is REQUIRED must be given.
REQUIRED = object()
DEFAULTS = {
    "InputLayer": {"batch_shape": REQUIRED, "dtype": "float32", "sparse": False, "ragged": False},
    "Dense": {"units": REQUIRED, "activation": "linear", "use_bias": True,
              "kernel_initializer": _initializer("GlorotUniform", seed=None),
              "bias_initializer": _initializer("Zeros"),
              "kernel_regularizer": None, "bias_regularizer": None,
              "kernel_constraint": None, "bias_constraint": None},
    "Activation": {"activation": REQUIRED},
    "Dropout": {"rate": REQUIRED, "noise_shape": None, "seed": None},
    "GaussianNoise": {"stddev": REQUIRED, "seed": None},
    "AlphaDropout": {"rate": REQUIRED, "noise_shape": None, "seed": None},
    "GaussianDropout": {"rate": REQUIRED, "seed": None},
    "ActivityRegularization": {"l1": 0.0, "l2": 0.0},
    "UnitNormalization": {"axis": -1},
    "Rescaling": {"scale": REQUIRED, "offset": 0.0},
    "Identity": {},
    "BatchNormalization": {"axis": -1, "momentum": 0.99, "epsilon": 0.001, "center": True, "scale": True,
                           "beta_initializer": _initializer("Zeros"), "gamma_initializer": _initializer("Ones"),
                           "moving_mean_initializer": _initializer("Zeros"),
                           "moving_variance_initializer": _initializer("Ones"), **_regularized("beta", "gamma")},
    "LayerNormalization": {"axis": [-1], "epsilon": 0.001, "center": True, "scale": True, "rms_scaling": False,
                           "beta_initializer": _initializer("Zeros"), "gamma_initializer": _initializer("Ones"),
                           **_regularized("beta", "gamma")},
    "Normalization": {"axis": [-1], "invert": False, "mean": None, "variance": None},
    "Softmax": {"axis": -1},
    "ReLU": {"max_value": None, "negative_slope": 0.0, "threshold": 0.0},
    "LeakyReLU": {"negative_slope": 0.3},
    "ELU": {"alpha": 1.0},
    # keras.ops.glu called inside a functional model: an operation node, read, never written (fastmlp
    # writes its Activation("glu")).
    "Glu": {"axis": -1},
    "PReLU": {"alpha_initializer": _initializer("Zeros"), **_regularized("alpha"), "shared_axes": None},
    "Flatten": {"data_format": "channels_last"},
    "Concatenate": {"axis": -1},
    "Add": {}, "Subtract": {}, "Multiply": {}, "Average": {}, "Maximum": {}, "Minimum": {},
}
SUPPORTED = frozenset(DEFAULTS)
# Layers that take a list of tensors.
MERGE_LAYERS = frozenset({"Concatenate", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"})
# Layers that pass their input through unchanged at inference.
IDENTITY_AT_INFERENCE = frozenset({"Dropout", "AlphaDropout", "GaussianNoise", "GaussianDropout", "Identity",
                                   "ActivityRegularization"})


def check_supported(class_name, where=None):
    """Raises UnsupportedLayerError naming ``class_name`` unless the catalogue has it."""
    if class_name not in SUPPORTED:
        hint = None
        if class_name in ("Sequential", "Functional", "Model"):
            hint = "a model nested inside another is not supported; rebuild it as one flat model"
        raise UnsupportedLayerError("Keras layer", class_name, where,
                                    hint=hint or f"the layers it reads are {', '.join(sorted(SUPPORTED))}")


def make_config(class_name, name, **values):
    """A complete Keras 3 config for a layer: Keras's defaults with ``values`` over them.

    Args:
        class_name: a class of the catalogue.
        name: the layer's unique name.
        **values: config keys to set; unknown keys are an error (a typo would otherwise vanish).
    """
    check_supported(class_name)
    defaults = DEFAULTS[class_name]
    unknown = set(values) - set(defaults)
    if unknown:
        raise TypeError(f"{class_name} has no config key {sorted(unknown)}; it has {sorted(defaults)}")
    config = {"name": name}
    if class_name != "InputLayer":
        config.update(trainable=True, dtype="float32")
    for key, default in defaults.items():
        value = values.get(key, default)
        if value is REQUIRED:
            raise TypeError(f"{class_name} needs {key!r} in its config")
        config[key] = value
    return config


def with_defaults(class_name, config):
    """``config`` with every key Keras would fill in and this file knows (the file's values win)."""
    filled = {key: value for key, value in DEFAULTS[class_name].items() if value is not REQUIRED}
    filled.update(config)
    return filled


def weight_names(class_name, config):
    """The variables a layer holds, in Keras's order (trainable ones first, then the rest)."""
    config = with_defaults(class_name, config)
    if class_name == "Dense":
        return ["kernel", "bias"] if config["use_bias"] else ["kernel"]
    if class_name == "BatchNormalization":
        return (["gamma"] if config["scale"] else []) + (["beta"] if config["center"] else []) + \
            ["moving_mean", "moving_variance"]
    if class_name == "LayerNormalization":
        # Keras keeps gamma with rms_scaling even when scale is False, and drops beta with it.
        gamma = config["scale"] or config["rms_scaling"]
        beta = config["center"] and not config["rms_scaling"]
        return (["gamma"] if gamma else []) + (["beta"] if beta else [])
    if class_name == "PReLU":
        return ["alpha"]
    if class_name == "Normalization":
        # Statistics given in the config are constants; adapted ones are (non-trainable) variables.
        return ["mean", "variance", "count"] if config["mean"] is None else []
    return []


def trainable_weight_names(class_name, config):
    """The subset of ``weight_names`` that training changes (and an optimizer keeps slots for)."""
    frozen = {"moving_mean", "moving_variance", "mean", "variance", "count"}
    return [name for name in weight_names(class_name, config) if name not in frozen]
