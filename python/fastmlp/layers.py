"""Layers with Keras's names and arguments. Each wraps a C++ layer (``self._core``) that owns the weights."""

import numbers

import numpy as np

from fastmlp import _core
from fastmlp._naming import snake_case, unique_name


def _input_width(shape, who):
    """The feature count of a Keras-style input shape (a tuple without the batch dimension)."""
    if isinstance(shape, numbers.Integral):
        shape = (shape,)
    try:
        shape = tuple(shape)
    except TypeError:
        raise TypeError(f"{who}: shape must be a tuple such as (64,), got {shape!r}") from None
    if len(shape) != 1 or not isinstance(shape[0], numbers.Integral) or shape[0] <= 0:
        raise ValueError(f"{who}: shape must be (features,) with a positive integer, got {shape!r}")
    return int(shape[0])


class Layer:
    """What every fastmlp layer has: a name, weights and Keras's weight accessors."""

    def __init__(self, name=None, input_shape=None, input_dim=None):
        self.name = name if name is not None else unique_name(snake_case(type(self).__name__))
        if input_dim is not None:
            input_shape = (input_dim,)
        self._input_width = None if input_shape is None else _input_width(input_shape, type(self).__name__)
        self._core = None

    @property
    def built(self):
        return self._core is not None and self._core.built

    @property
    def weights(self):
        """NumPy views on the layer's weights in C++ memory: writing into one changes the model."""
        return []

    @property
    def trainable_weights(self):
        return self.weights

    @property
    def non_trainable_weights(self):
        return []

    def get_weights(self):
        """Copies of the weights, as Keras returns them."""
        return [np.array(w, copy=True) for w in self.weights]

    def set_weights(self, weights):
        """Copies ``weights`` into the layer, after checking their number and shapes."""
        current = self.weights
        weights = list(weights)
        if len(weights) != len(current):
            raise ValueError(f"layer {self.name!r} expects {len(current)} weight arrays, got {len(weights)}")
        converted = []
        for index, (target, value) in enumerate(zip(current, weights)):
            value = np.asarray(value, dtype=np.float32)
            if value.shape != target.shape:
                raise ValueError(f"layer {self.name!r} weight {index} has shape {target.shape}, "
                                 f"got an array of shape {value.shape}")
            converted.append(value)
        # Checked all before writing any, so that a bad list leaves the layer unchanged.
        for target, value in zip(current, converted):
            target[...] = value

    def count_params(self):
        return int(sum(w.size for w in self.weights))

    def _build(self, input_width):
        """Called by the model once the C++ layer is built for inputs of ``input_width`` features."""


class InputLayer:
    """Declares the input shape of a model: ``Input((64,))`` for 64 features per sample."""

    def __init__(self, shape=None, batch_size=None, name=None, **kwargs):
        if shape is None:
            shape = kwargs.pop("input_shape", None)
        if kwargs:
            raise TypeError(f"Input got unexpected arguments: {', '.join(kwargs)}")
        if shape is None:
            raise ValueError("Input requires a shape, such as Input((64,))")
        self.width = _input_width(shape, "Input")
        self.shape = (None, self.width)
        self.batch_size = batch_size
        self.name = name if name is not None else unique_name("input_layer")


def Input(shape=None, batch_size=None, name=None, **kwargs):
    """Keras's ``Input``: the shape of one sample, without the batch dimension."""
    return InputLayer(shape=shape, batch_size=batch_size, name=name, **kwargs)


def _initializer(value, what):
    """A C++ initializer for a name, or None for a Python callable applied after the build."""
    if isinstance(value, str):
        return _core.Initializer.from_name(value)
    if callable(value):
        return None
    raise TypeError(f"{what} must be an initializer name such as 'glorot_uniform' or a callable "
                    f"f(shape, dtype=None) returning an array; got {value!r}")


class Dense(Layer):
    """Densely connected layer: ``output = activation(inputs @ kernel + bias)``.

    Args:
        units: positive integer, the number of outputs.
        activation: name of the activation ("relu", "sigmoid", "softmax", ...); None means linear.
        use_bias: whether the layer adds a bias vector.
        kernel_initializer: name, or a callable ``f(shape, dtype=None)`` returning an array of ``shape``.
        bias_initializer: same, for the bias.
        input_dim / input_shape: on a first layer, the number of input features.
        name: the layer's name; unique by default ("dense", "dense_1", ...).
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", input_dim=None, input_shape=None, name=None, **kwargs):
        if kwargs:
            raise TypeError(f"Dense got unexpected arguments: {', '.join(sorted(kwargs))}")
        super().__init__(name=name, input_shape=input_shape, input_dim=input_dim)
        if isinstance(units, bool) or not isinstance(units, numbers.Integral) or units <= 0:
            raise ValueError(f"Dense units must be a positive integer, got units={units!r}")
        if activation is not None and not isinstance(activation, str):
            raise TypeError(f"Dense activation must be a name such as 'relu' or None, got {activation!r}")
        self.units = int(units)
        self.activation = activation or "linear"
        self.use_bias = bool(use_bias)
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer
        core_kernel = _initializer(kernel_initializer, "kernel_initializer")
        core_bias = _initializer(bias_initializer, "bias_initializer")
        defaults = {}
        if core_kernel is not None:
            defaults["kernel_initializer"] = core_kernel
        if core_bias is not None:
            defaults["bias_initializer"] = core_bias
        self._core = _core.Dense(self.units, self.activation, self.use_bias, **defaults)
        self._core.name = self.name

    @classmethod
    def _from_core(cls, core):
        """Wraps a C++ Dense layer that already holds its weights, as ``load_model`` returns them."""
        layer = cls.__new__(cls)
        Layer.__init__(layer, name=core.name or None)
        layer.units = core.units
        layer.activation = core.activation
        layer.use_bias = core.use_bias
        # Only a description of how a fresh layer would start: the weights came from the file.
        layer.kernel_initializer, layer.bias_initializer = "glorot_uniform", "zeros"
        layer._core = core
        return layer

    @property
    def kernel(self):
        """The (inputs, units) weight matrix: a view on the C++ memory."""
        self._require_built("kernel")
        return self._core.kernel

    @property
    def bias(self):
        """The (units,) bias vector: a view on the C++ memory (None without use_bias)."""
        self._require_built("bias")
        bias = self._core.bias
        return None if bias is None else bias.reshape(-1)

    @property
    def weights(self):
        if not self.built:
            return []
        return [self.kernel] + ([self.bias] if self.use_bias else [])

    @property
    def input_shape(self):
        return (None, self._core.input_dim) if self.built else None

    @property
    def output_shape(self):
        return (None, self.units)

    def _require_built(self, what):
        if not self.built:
            raise ValueError(f"layer {self.name!r} has no {what} yet: it is created when the model "
                             "knows its input shape (give Input((features,)) or input_dim, or call fit)")

    def _build(self, input_width):
        for value, target, shape in ((self.kernel_initializer, "kernel", (input_width, self.units)),
                                     (self.bias_initializer, "bias", (self.units,))):
            if isinstance(value, str) or (target == "bias" and not self.use_bias):
                continue
            initial = np.asarray(value(shape, dtype="float32"), dtype=np.float32)
            if initial.shape != shape:
                raise ValueError(f"the {target}_initializer of layer {self.name!r} returned shape "
                                 f"{initial.shape}, expected {shape}")
            getattr(self, target)[...] = initial

    def get_config(self):
        return {"name": self.name, "units": self.units, "activation": self.activation,
                "use_bias": self.use_bias}


def _from_core(core):
    """The Python layer around a C++ layer of any type (for models read from a file)."""
    wrappers = {"Dense": Dense}
    if core.type_name not in wrappers:
        raise ValueError(f"fastmlp has no Python layer for the C++ layer type {core.type_name!r}")
    return wrappers[core.type_name]._from_core(core)
