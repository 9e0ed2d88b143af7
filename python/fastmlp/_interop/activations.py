"""Keras 3's activation functions: their names, parameters and defaults, as Keras files hold them.

In a model graph an activation is written the way Keras writes it in a layer config: its name
(``"relu"``), or ``None`` for linear. Keras's file format cannot carry parameters with a name, so a
parameterised activation that did not come from a Keras file (a PyTorch ``GELU(approximate="tanh")``,
say) is written ``{"class_name": "gelu", "config": {"approximate": True}}``; ``parse_activation``
turns both forms into ``(name, parameters)`` with every default filled in.

Reading a file needs every name Keras may write, so that an activation fastmlp lacks is named as such
(fastmlp_models.py) rather than taken for a damaged file.
"""

from fastmlp._interop.errors import UnsupportedLayerError

# Keras's names that mean the same function.
ALIASES = {"swish": "silu", "hard_swish": "hard_silu"}

# name -> the parameters Keras's function takes besides x, with Keras's defaults. "threshold" is left
# out: its parameters have no defaults, so Keras cannot name it in a config either.
PARAMETERS = {
    "linear": {},
    "relu": {"negative_slope": 0.0, "max_value": None, "threshold": 0.0},
    "relu6": {},
    "leaky_relu": {"negative_slope": 0.2},
    "elu": {"alpha": 1.0},
    "selu": {},
    "celu": {"alpha": 1.0},
    "gelu": {"approximate": False},
    "sigmoid": {},
    "hard_sigmoid": {},
    "sparse_sigmoid": {},
    "log_sigmoid": {},
    "tanh": {},
    "hard_tanh": {},
    "tanh_shrink": {},
    "softplus": {},
    "sparse_plus": {},
    "squareplus": {"b": 4.0},
    "softsign": {},
    "silu": {},
    "hard_silu": {},
    "mish": {},
    "exponential": {},
    "soft_shrink": {"threshold": 0.5},
    "hard_shrink": {"threshold": 0.5},
    "softmax": {"axis": -1},
    "log_softmax": {"axis": -1},
    "sparsemax": {"axis": -1},
    "glu": {"axis": -1},
}

# The self-normalising constants of SELU (Klambauer et al. 2017), as Keras uses them.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def parse_activation(value, where=None):
    """``(name, parameters)`` for an activation as a layer config holds it.

    Args:
        value: ``None`` (linear), a Keras name, or ``{"class_name": name, "config": {...}}``. Keras's
            serialised form of a built-in function (``{"class_name": "function", "config": "relu"}``)
            is accepted too.
        where: context for the error message (the layer's name).

    Returns:
        The canonical name (aliases resolved) and a dict of every parameter, defaults filled in.

    Raises:
        UnsupportedLayerError: for a name Keras does not define or a parameter the function lacks.
    """
    if value is None:
        return "linear", {}
    overrides = {}
    if isinstance(value, dict):
        name = value.get("class_name")
        config = value.get("config")
        if name == "function" and isinstance(config, str):  # Keras's serialised built-in function
            name, config = config, {}
        overrides = dict(config or {})
    else:
        name = value
    if not isinstance(name, str):
        raise UnsupportedLayerError("activation", repr(value), where)
    name = ALIASES.get(name, name)
    if name not in PARAMETERS:
        raise UnsupportedLayerError("activation", name, where,
                                    hint=f"the activations it knows are {sorted(PARAMETERS)}")
    unknown = set(overrides) - set(PARAMETERS[name])
    if unknown:
        raise UnsupportedLayerError("activation", name, where,
                                    hint=f"it takes no parameter {sorted(unknown)}; it takes "
                                         f"{sorted(PARAMETERS[name])}")
    return name, {**PARAMETERS[name], **overrides}


def format_activation(name, parameters=None):
    """The config value for an activation: its bare name when every parameter is Keras's default
    (the only form Keras can read back), otherwise the ``{"class_name", "config"}`` form."""
    changed = {key: value for key, value in (parameters or {}).items() if PARAMETERS[name].get(key) != value}
    return {"class_name": name, "config": changed} if changed else name
