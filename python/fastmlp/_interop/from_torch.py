"""A PyTorch ``nn.Sequential`` of dense layers as a model graph (inference semantics; float64 for a module
whose parameters are float64, float32 otherwise).

``nn.Linear`` stores its weight as (outputs, inputs) and computes ``x W^T + b``; Keras's Dense kernel
is (inputs, outputs), so the kernel is the transposed weight. Activations with Keras's defaults become
``Activation`` layers, parameterised ones the Keras layer that carries the parameter (``LeakyReLU``,
``ELU``); ``GELU(approximate="tanh")`` has no Keras layer and is written in the graph's parameterised
form. BatchNorm1d contributes its running statistics (what ``module.eval()`` uses). torch is only
imported by the caller: this module reads modules by their class names and attributes.
"""

import numpy as np

from fastmlp._interop import activations, layer_catalog
from fastmlp._interop.errors import UnsupportedLayerError
from fastmlp._interop.graph import sequential
from fastmlp._interop.keras_archive import snake_case

# torch module class -> Keras activation name, for the ones without parameters (the definitions agree:
# torch's Hardsigmoid is relu6(x + 3) / 6, Keras 3's hard_sigmoid too).
_PLAIN_ACTIVATIONS = {"ReLU": "relu", "ReLU6": "relu6", "Sigmoid": "sigmoid", "Tanh": "tanh", "SELU": "selu",
                      "SiLU": "silu", "Softsign": "softsign", "Mish": "mish", "Hardsigmoid": "hard_sigmoid",
                      "Hardswish": "hard_silu", "LogSigmoid": "log_sigmoid", "Tanhshrink": "tanh_shrink"}
SUPPORTED = (f"Linear, {', '.join(_PLAIN_ACTIVATIONS)}, LeakyReLU, ELU, CELU, GELU, Softplus (beta=1), Softshrink, "
             "Hardshrink, Hardtanh(-1, 1), Softmax, LogSoftmax and GLU (last dim), "
             "Identity, Dropout, Flatten, BatchNorm1d, LayerNorm, PReLU, and nested nn.Sequential")


def _array(tensor):
    """A float64 tensor's values as float64, any other's as float32."""
    array = tensor.detach().cpu().numpy()
    return np.asarray(array, dtype=np.float64 if array.dtype == np.float64 else np.float32)


def _module_dtype(modules):
    """"float64" when the modules' floating-point parameters and buffers are float64 (``module.double()``),
    else "float32"."""
    for module in modules:
        for tensor in [*module.parameters(recurse=False), *module.buffers(recurse=False)]:
            if tensor.is_floating_point():
                return "float64" if str(tensor.dtype) == "torch.float64" else "float32"
    return "float32"


def _flatten_modules(module):
    """The leaf modules of nested ``nn.Sequential`` containers, in call order."""
    if type(module).__name__ == "Sequential":
        return [leaf for child in module.children() for leaf in _flatten_modules(child)]
    return [module]


def _unsupported(module, where, hint=None):
    return UnsupportedLayerError("torch module", type(module).__name__, where, hint=hint or f"supported: {SUPPORTED}")


def _translate(module, features, where):
    """``(Keras class name, config values, weights, new feature count)`` for one torch module.

    Args:
        module: the torch module.
        features: the feature count of its input (the last axis).
        where: its position, for error messages.
    """
    kind = type(module).__name__
    if kind == "Linear":
        if module.in_features != features:
            raise ValueError(f"{where}: Linear expects {module.in_features} features, its input has {features}")
        weights = {"kernel": _array(module.weight).T.copy()}  # (outputs, inputs) -> Keras's (inputs, outputs)
        if module.bias is not None:
            weights["bias"] = _array(module.bias)
        config = {"units": module.out_features, "use_bias": module.bias is not None}
        return "Dense", config, weights, module.out_features
    if kind in _PLAIN_ACTIVATIONS:
        return "Activation", {"activation": _PLAIN_ACTIVATIONS[kind]}, {}, features
    if kind == "LeakyReLU":
        return "LeakyReLU", {"negative_slope": float(module.negative_slope)}, {}, features
    if kind == "ELU":
        return "ELU", {"alpha": float(module.alpha)}, {}, features
    if kind == "GELU":
        if module.approximate == "none":
            return "Activation", {"activation": "gelu"}, {}, features
        return "Activation", {"activation": {"class_name": "gelu", "config": {"approximate": True}}}, {}, features
    if kind == "Softplus":
        # torch switches to the identity above x * beta > threshold (20): a difference below 2e-9.
        if module.beta != 1:
            raise _unsupported(module, where, hint=f"only beta=1 has a Keras counterpart, got beta={module.beta}")
        return "Activation", {"activation": "softplus"}, {}, features
    parameterised = {"CELU": ("celu", {"alpha": float(getattr(module, "alpha", 1.0))}),
                     "Softshrink": ("soft_shrink", {"threshold": float(getattr(module, "lambd", 0.5))}),
                     "Hardshrink": ("hard_shrink", {"threshold": float(getattr(module, "lambd", 0.5))})}
    if kind in parameterised:
        name, parameters = parameterised[kind]
        return "Activation", {"activation": activations.format_activation(name, parameters)}, {}, features
    if kind == "Hardtanh":
        if (module.min_val, module.max_val) != (-1.0, 1.0):
            raise _unsupported(module, where, hint="only Hardtanh(-1, 1), Keras's hard_tanh, has a counterpart; "
                               f"got ({module.min_val}, {module.max_val})")
        return "Activation", {"activation": "hard_tanh"}, {}, features
    if kind in ("Softmax", "LogSoftmax"):
        if module.dim not in (-1, 1):
            raise _unsupported(module, where,
                               hint=f"only a softmax over the features (dim=-1 or 1), got dim={module.dim}")
        if kind == "LogSoftmax":
            return "Activation", {"activation": "log_softmax"}, {}, features
    if kind == "Softmax":
        if module.dim not in (-1, 1):
            raise _unsupported(module, where,
                               hint=f"only a softmax over the features (dim=-1 or 1), got dim={module.dim}")
        return "Softmax", {"axis": -1}, {}, features
    if kind == "GLU":
        # torch's GLU(dim) is a * sigmoid(b) for the halves [a, b] of dim, first half gated by the second:
        # Keras's glu(x, axis) exactly.
        if module.dim not in (-1, 1):
            raise _unsupported(module, where, hint=f"only a GLU over the features (dim=-1 or 1), got dim={module.dim}")
        if features % 2:
            raise ValueError(f"{where}: GLU halves the features, and its input has an odd number ({features})")
        return "Activation", {"activation": "glu"}, {}, features // 2
    if kind == "Identity":
        return "Identity", {}, {}, features
    if kind == "Dropout":
        return "Dropout", {"rate": float(module.p)}, {}, features
    if kind == "BatchNorm1d":
        if not module.track_running_stats or module.running_mean is None:
            raise _unsupported(module, where, hint="without running statistics it normalises with each batch's own")
        weights = {}
        if module.affine:
            weights["gamma"], weights["beta"] = _array(module.weight), _array(module.bias)
        weights["moving_mean"], weights["moving_variance"] = _array(module.running_mean), _array(module.running_var)
        # torch's momentum weighs the new batch, Keras's the running value.
        momentum = 0.99 if module.momentum is None else 1.0 - float(module.momentum)
        config = {"epsilon": float(module.eps), "momentum": momentum, "center": module.affine, "scale": module.affine}
        return "BatchNormalization", config, weights, features
    if kind == "LayerNorm":
        if tuple(module.normalized_shape) != (features,):
            raise _unsupported(module, where, hint=f"only a LayerNorm over the last axis ({features},), got "
                               f"{tuple(module.normalized_shape)}")
        weights = {}
        scale = module.weight is not None
        center = getattr(module, "bias", None) is not None
        if scale:
            weights["gamma"] = _array(module.weight)
        if center:
            weights["beta"] = _array(module.bias)
        return "LayerNormalization", {"epsilon": float(module.eps), "center": center, "scale": scale}, weights, features
    if kind == "PReLU":
        alpha = _array(module.weight)
        if alpha.size == 1:  # one slope shared by every feature
            return "PReLU", {"shared_axes": [1]}, {"alpha": alpha.reshape(1)}, features
        if alpha.size != features:
            raise ValueError(f"{where}: PReLU has {alpha.size} slopes for {features} features")
        return "PReLU", {}, {"alpha": alpha}, features
    raise _unsupported(module, where)


def graph_from_torch(module, input_shape=None, name="sequential"):
    """The ModelGraph of a torch ``nn.Sequential`` (or a single supported module).

    Args:
        module: the module; only its parameters and buffers are read.
        input_shape: the shape of one sample, e.g. ``(4, 2)`` when the model starts with Flatten;
            default ``(in_features,)`` of the first Linear.
        name: the model's name.

    Raises:
        UnsupportedLayerError: for a module with no Keras counterpart, naming it.
        ValueError: for inconsistent sizes or an input shape that cannot be inferred.
    """
    modules = _flatten_modules(module)
    if input_shape is None:
        first_linear = next((m for m in modules if type(m).__name__ == "Linear"), None)
        leading = modules[:modules.index(first_linear)] if first_linear is not None else modules
        if first_linear is None or any(type(m).__name__ == "Flatten" for m in leading):
            raise ValueError("give input_shape (one sample's shape): it cannot be read from the modules")
        input_shape = (first_linear.in_features,)
    shape = tuple(int(d) for d in input_shape)
    layers = [("InputLayer", layer_catalog.make_config("InputLayer", "input_layer", batch_shape=[None, *shape]), {})]
    used = {}
    for position, child in enumerate(modules):
        where = f"module {position} ({type(child).__name__})"
        if type(child).__name__ == "Flatten":
            if (child.start_dim, child.end_dim) != (1, -1):
                raise _unsupported(child, where, hint="only Flatten(start_dim=1, end_dim=-1) keeps the batch axis")
            if len(shape) > 1:
                layers.append(("Flatten", layer_catalog.make_config("Flatten", _name("Flatten", used)), {}))
                shape = (int(np.prod(shape)),)
            continue
        if len(shape) != 1:
            raise ValueError(f"{where}: the input still has shape {shape}; flatten it first")
        class_name, values, weights, features = _translate(child, shape[0], where)
        layers.append((class_name, layer_catalog.make_config(class_name, _name(class_name, used), **values), weights))
        shape = (features,)
    dtype = _module_dtype(modules)
    for _, config, _ in layers:
        config["dtype"] = dtype
    return sequential(layers, name=name)


def _name(class_name, used):
    """Keras's automatic layer names: ``dense``, ``dense_1``, ..."""
    base = snake_case(class_name)
    count = used.get(base, -1) + 1
    used[base] = count
    return base if count == 0 else f"{base}_{count}"
