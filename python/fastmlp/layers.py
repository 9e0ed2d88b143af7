"""Layers with Keras's names and arguments. Each wraps a C++ layer (``self._core``) that owns the weights."""

import math
import numbers

import numpy as np

from fastmlp import _core, activations, initializers, regularizers
from fastmlp._convert import as_float_array
from fastmlp._naming import snake_case, unique_name


def _input_shape(shape, who):
    """A Keras-style input shape (a tuple without the batch dimension) of positive integers."""
    if isinstance(shape, numbers.Integral):
        shape = (shape,)
    try:
        shape = tuple(shape)
    except TypeError:
        raise TypeError(f"{who}: shape must be a tuple such as (64,), got {shape!r}") from None
    if not shape or not all(isinstance(d, numbers.Integral) and not isinstance(d, bool) and d > 0 for d in shape):
        raise ValueError(f"{who}: shape must be a tuple of positive integers such as (64,), got {shape!r}")
    return tuple(int(d) for d in shape)


def _rate(value, name, who, upper=1.0):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < upper:
        raise ValueError(f"{who} {name} must be a number in [0, {upper:g}), got {value!r}")
    return float(value)


def _seed(seed, who):
    if seed is None:
        return -1
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"{who} seed must be a non-negative integer or None, got {seed!r}")
    return int(seed)


class Layer:
    """What every fastmlp layer has: a name, weights and Keras's weight accessors."""

    def __init__(self, name=None, input_shape=None, input_dim=None, trainable=True):
        self.name = name if name is not None else unique_name(snake_case(type(self).__name__))
        if input_dim is not None:
            input_shape = (input_dim,)
        self._input_shape = None if input_shape is None else _input_shape(input_shape, type(self).__name__)
        self.trainable = trainable
        self._core = None

    @property
    def built(self):
        return self._core is not None and self._core.built

    @property
    def weights(self):
        """NumPy views on the layer's weights in C++ memory (trainable first, as Keras orders them):
        writing into one changes the model."""
        if not self.built:
            return []
        return [view.reshape(-1) if view.shape[0] == 1 and name != "kernel" else view
                for name, view in self._core.weights]

    @property
    def trainable_weights(self):
        return self.weights[:self._core.trainable_count] if self.built else []

    @property
    def non_trainable_weights(self):
        return self.weights[self._core.trainable_count:] if self.built else []

    def get_weights(self):
        """Copies of the weights, as Keras returns them."""
        return [np.array(w, copy=True) for w in self.weights]

    def set_weights(self, weights):
        """Copies ``weights`` into the layer, after checking their number and shapes."""
        current = self.weights
        if weights is None or isinstance(weights, (str, bytes)) or not hasattr(weights, "__iter__"):
            raise TypeError(f"set_weights expects a list of arrays, as get_weights() returns; got {weights!r}")
        weights = list(weights)
        if len(weights) != len(current):
            raise ValueError(f"layer {self.name!r} expects {len(current)} weight arrays, got {len(weights)}")
        converted = []
        for index, (target, value) in enumerate(zip(current, weights)):
            value = as_float_array(value, f"layer {self.name!r} weight {index}")  # TypeError for text, complex
            if value.shape != target.shape:
                raise ValueError(f"layer {self.name!r} weight {index} has shape {target.shape}, "
                                 f"got an array of shape {value.shape}")
            converted.append(value)
        # Checked all before writing any, so that a bad list leaves the layer unchanged.
        for target, value in zip(current, converted):
            target[...] = value

    def count_params(self):
        return int(sum(w.size for w in self.weights))

    @property
    def output_shape(self):
        return (None, self._core.output_dim) if self.built else None

    def _build(self, input_width):
        """Called by the model once the C++ layer is built for inputs of ``input_width`` features."""

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable}

    @classmethod
    def from_config(cls, config):
        """A new layer (fresh weights) with the arguments ``config`` describes, as get_config gives them."""
        return cls(**{key: value for key, value in config.items() if key != "trainable"})


class InputLayer:
    """Declares the input shape of a model: ``Input((64,))`` for 64 features per sample."""

    def __init__(self, shape=None, batch_size=None, name=None, **kwargs):
        if shape is None:
            shape = kwargs.pop("input_shape", None)
        if kwargs:
            raise TypeError(f"Input got unexpected arguments: {', '.join(kwargs)}")
        if shape is None:
            raise ValueError("Input requires a shape, such as Input((64,))")
        # Samples of several dimensions, such as (28, 28) images, need a Flatten() next (Sequential.add checks).
        self.shape_without_batch = _input_shape(shape, "Input")
        self.shape = (None, *self.shape_without_batch)
        self.batch_size = batch_size
        self.name = name if name is not None else unique_name("input_layer")


def Input(shape=None, batch_size=None, name=None, **kwargs):
    """Keras's ``Input``: the shape of one sample, without the batch dimension."""
    return InputLayer(shape=shape, batch_size=batch_size, name=name, **kwargs)


class Dense(Layer):
    """Densely connected layer: ``output = activation(inputs @ kernel + bias)``.

    Args:
        units: positive integer, the number of outputs.
        activation: name ("relu", "softmax", ...), a ``fastmlp.activations`` function, or None (linear).
        use_bias: whether the layer adds a bias vector.
        kernel_initializer, bias_initializer: name, ``fastmlp.initializers`` object, or a callable
            ``f(shape, dtype=None)`` returning an array of ``shape``.
        kernel_regularizer, bias_regularizer, activity_regularizer: ``fastmlp.regularizers`` L1/L2/L1L2
            (or their names), added to the loss as in Keras.
        input_dim / input_shape: on a first layer, the number of input features.
        name: the layer's name; unique by default ("dense", "dense_1", ...).
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, input_dim=None, input_shape=None, name=None, **kwargs):
        if kwargs:
            raise TypeError(f"Dense got unexpected arguments: {', '.join(sorted(kwargs))}")
        super().__init__(name=name, input_shape=input_shape, input_dim=input_dim)
        if isinstance(units, bool) or not isinstance(units, numbers.Integral) or units <= 0:
            raise ValueError(f"Dense units must be a positive integer, got units={units!r}")
        self.units = int(units)
        core_activation = activations.get(activation)
        self.activation = core_activation.name
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self._kernel_regularizer = regularizers.get(kernel_regularizer)
        self._bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        core_kwargs = {}
        for key, value in (("kernel_initializer", self.kernel_initializer),
                           ("bias_initializer", self.bias_initializer)):
            if isinstance(value, str):
                core_kwargs[key] = _core.Initializer.from_name(value)
        self._core = _core.Dense(self.units, core_activation, self.use_bias,
                                 kernel_regularizer=regularizers.core(self._kernel_regularizer),
                                 bias_regularizer=regularizers.core(self._bias_regularizer),
                                 activity_regularizer=regularizers.core(self.activity_regularizer), **core_kwargs)

    # Settable as in Keras, where assigning a layer's regularizer changes the loss from the next step on.
    @property
    def kernel_regularizer(self):
        return self._kernel_regularizer

    @kernel_regularizer.setter
    def kernel_regularizer(self, regularizer):
        self._kernel_regularizer = regularizers.get(regularizer)
        self._core.kernel_regularizer = regularizers.core(self._kernel_regularizer)

    @property
    def bias_regularizer(self):
        return self._bias_regularizer

    @bias_regularizer.setter
    def bias_regularizer(self, regularizer):
        self._bias_regularizer = regularizers.get(regularizer)
        self._core.bias_regularizer = regularizers.core(self._bias_regularizer)

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
        # Names were drawn in C++ from the model's generator; objects and callables draw here.
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
        return {**super().get_config(), "units": self.units, "activation": self.activation,
                "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": _serialize_regularizer(self.kernel_regularizer),
                "bias_regularizer": _serialize_regularizer(self.bias_regularizer),
                "activity_regularizer": _serialize_regularizer(self.activity_regularizer)}


def _serialize_regularizer(regularizer):
    if regularizer is None:
        return None
    return {"class_name": type(regularizer).__name__, "config": regularizer.get_config()}


class Activation(Layer):
    """Applies an activation function: ``Dense(10)`` then ``Activation("softmax")``."""

    def __init__(self, activation, name=None, input_shape=None, input_dim=None):
        super().__init__(name=name, input_shape=input_shape, input_dim=input_dim)
        core_activation = activations.get(activation)
        self.activation = core_activation.name
        self._core = _core.ActivationLayer(core_activation)

    def get_config(self):
        return {**super().get_config(), "activation": self.activation}


class Dropout(Layer):
    """Sets inputs to 0 with probability ``rate`` during training, scaling the rest by ``1 / (1 - rate)``
    (inverted dropout); the identity at inference."""

    def __init__(self, rate, noise_shape=None, seed=None, name=None, input_shape=None, input_dim=None):
        super().__init__(name=name, input_shape=input_shape, input_dim=input_dim)
        if noise_shape is not None:
            raise ValueError("Dropout noise_shape is not supported: dense inputs have one dropout mask per element")
        self.rate = _rate(rate, "rate", "Dropout")
        self.seed = seed
        self._core = _core.Dropout(self.rate, _seed(seed, "Dropout"))

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class GaussianNoise(Layer):
    """Adds zero-mean Gaussian noise of standard deviation ``stddev`` during training (augmentation);
    the identity at inference."""

    def __init__(self, stddev, seed=None, name=None, input_shape=None, input_dim=None):
        super().__init__(name=name, input_shape=input_shape, input_dim=input_dim)
        self.stddev = _rate(stddev, "stddev", "GaussianNoise", upper=math.inf)
        self.seed = seed
        self._core = _core.GaussianNoise(self.stddev, _seed(seed, "GaussianNoise"))

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class BatchNormalization(Layer):
    """Normalises each feature with the batch's mean and variance in training and the moving averages
    (``momentum``) at inference, then scales by ``gamma`` and shifts by ``beta``."""

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, name=None,
                 input_shape=None, input_dim=None):
        super().__init__(name=name, input_shape=input_shape, input_dim=input_dim)
        if axis not in (-1, 1):
            raise ValueError(f"BatchNormalization axis must be -1 (the features of a dense layer), got {axis!r}")
        self.momentum, self.epsilon = float(momentum), float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self._core = _core.BatchNormalization(self.momentum, self.epsilon, self.center, self.scale)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "epsilon": self.epsilon,
                "center": self.center, "scale": self.scale}


class PReLU(Layer):
    """Leaky ReLU with a learned slope per unit: ``max(0, x) + alpha * min(0, x)``, alpha starting at 0."""

    def __init__(self, alpha_initializer="zeros", name=None, input_shape=None, input_dim=None):
        super().__init__(name=name, input_shape=input_shape, input_dim=input_dim)
        self.alpha_initializer = initializers.get(alpha_initializer)
        if isinstance(self.alpha_initializer, str):
            self._core = _core.PReLU(_core.Initializer.from_name(self.alpha_initializer))
        else:
            self._core = _core.PReLU()

    def _build(self, input_width):
        if not isinstance(self.alpha_initializer, str):
            self.weights[0][...] = np.asarray(self.alpha_initializer((input_width,), dtype="float32"))

    def get_config(self):
        return {**super().get_config(), "alpha_initializer": initializers.serialize(self.alpha_initializer)}


class Flatten(Layer):
    """Flattens each sample to one dimension, so that (N, 28, 28) images feed a Dense stack. It must be
    the first layer; the model reshapes its inputs (a view, no copy) before they reach C++."""

    def __init__(self, data_format=None, name=None, input_shape=None):
        super().__init__(name=name, input_shape=input_shape)
        self._width = None if self._input_shape is None else int(np.prod(self._input_shape))

    @property
    def built(self):
        return self._width is not None

    @property
    def weights(self):
        return []

    trainable_weights = non_trainable_weights = weights  # no C++ layer behind it: nothing to train

    @property
    def output_shape(self):
        return (None, self._width) if self._width is not None else None


def _regularizer_from_core(core):
    return regularizers.L1L2(core.l1, core.l2) if core.l1 or core.l2 else None


def _seed_from_core(seed):
    return None if seed < 0 else seed


# How to describe a loaded C++ layer in Python: the attributes its Python class would have set,
# by type name (which is also the Python class's name).
_ATTRIBUTES_FROM_CORE = {
    "Dense": lambda core: {
        "units": core.units, "activation": core.activation, "use_bias": core.use_bias,
        # Only a description of how a fresh layer would start: the weights came from the file.
        "kernel_initializer": "glorot_uniform", "bias_initializer": "zeros",
        "kernel_regularizer": _regularizer_from_core(core.kernel_regularizer),
        "bias_regularizer": _regularizer_from_core(core.bias_regularizer),
        "activity_regularizer": _regularizer_from_core(core.activity_regularizer)},
    "Activation": lambda core: {"activation": core.activation},
    "Dropout": lambda core: {"rate": core.rate, "seed": _seed_from_core(core.seed)},
    "GaussianNoise": lambda core: {"stddev": core.stddev, "seed": _seed_from_core(core.seed)},
    "BatchNormalization": lambda core: {"momentum": core.momentum, "epsilon": core.epsilon, "center": core.center,
                                        "scale": core.scale},
    "PReLU": lambda core: {"alpha_initializer": "zeros"},
}


def _from_core(core):
    """The Python layer around a C++ layer that already holds its weights (for models read from a file)."""
    if core.type_name not in _ATTRIBUTES_FROM_CORE:
        raise ValueError(f"fastmlp has no Python layer for the C++ layer type {core.type_name!r}")
    cls = globals()[core.type_name]  # the C++ type names are the Python class names
    layer = cls.__new__(cls)
    Layer.__init__(layer, name=core.name or None)
    layer._core = core  # first: setting a regularizer writes through to the core
    for key, value in _ATTRIBUTES_FROM_CORE[core.type_name](core).items():
        setattr(layer, key, value)
    return layer
