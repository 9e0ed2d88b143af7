"""The base class of every layer: a core layer, which owns the layer's name, trainable flag, options and
weights; the weights reach Python as fastmlp.Variable views of the C++ memory."""

import inspect
import math

import numpy as np

from fastmlp import _dtypes, _random, _registered
from fastmlp._convert import as_float_array
from fastmlp._naming import snake_case, unique_name
from fastmlp.layers.user_layer import Layer
from fastmlp.variables import Variable

_KEYWORD = inspect.Parameter.POSITIONAL_OR_KEYWORD
# Keras arguments for features fastmlp does not have, accepted at their defaults (None or False); a
# layer whose core takes one of them (Dense's kernel_constraint) has it in its signature instead.
_UNSUPPORTED = ("kernel_constraint", "bias_constraint", "beta_constraint", "gamma_constraint", "alpha_constraint",
                "moving_mean_constraint", "moving_variance_constraint", "lora_rank", "lora_alpha", "noise_shape",
                "shared_axes", "synchronized", "quantization_config")
# Weights that a layer's options may leave out; Keras shows them as None then.
_OPTIONAL_WEIGHTS = ("bias", "gamma", "beta")
# What a layer's constructor takes beyond its options: Keras's base-layer arguments.
PYTHON_PARAMETERS = [inspect.Parameter("input_shape", _KEYWORD, default=None),
                     inspect.Parameter("input_dim", _KEYWORD, default=None),
                     inspect.Parameter("name", _KEYWORD, default=None),
                     inspect.Parameter("trainable", _KEYWORD, default=True),
                     inspect.Parameter("dtype", _KEYWORD, default=None)]


# The most features a sample may have: the core counts them in a signed 64-bit integer.
MAX_FEATURES = 2**63 - 1


def input_shape_of(shape, who):
    """A Keras-style input shape (a tuple without the batch dimension) of positive integers."""
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        shape = tuple(shape)
    except TypeError:
        raise TypeError(f"{who}: shape must be a tuple such as (64,), got {shape!r}") from None
    if not shape or not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d > 0 for d in shape):
        raise ValueError(f"{who}: shape must be a tuple of positive integers such as (64,), got {shape!r}")
    shape = tuple(int(d) for d in shape)
    # Exact (Python integers): NumPy's product wrapped around, so (2**32, 2**32) became 0 features.
    if math.prod(shape) > MAX_FEATURES:
        raise ValueError(f"{who}: a sample of shape {shape} has {math.prod(shape)} values, more than the "
                         f"{MAX_FEATURES} (2**63 - 1) a model can take")
    return shape


class CoreLayer(_registered.CoreView, Layer):
    """A built-in layer: a view of the C++ layer it holds (``self._core``), which owns its name, trainable
    flag, options and weights. Every class of fastmlp.layers made from the core's registry is one."""

    _kind = "layer"

    def __init__(self, *args, **kwargs):
        for key in _UNSUPPORTED:
            if key in getattr(type(self), "__signature__", inspect.Signature()).parameters:
                continue
            value = kwargs.pop(key, None)
            if value is not None and value is not False:
                raise ValueError(f"{type(self).__name__} {key} is not supported by fastmlp; leave it None")
        super().__init__(*args, **kwargs)

    def _create(self, arguments):
        # Keras's dtype: None takes floatx() now, as Keras's layers take it when they are made.
        self._new_dtype = _dtypes.standardize(arguments.pop("dtype"), type(self).__name__)
        input_shape, input_dim = arguments.pop("input_shape"), arguments.pop("input_dim")
        if input_dim is not None:
            input_shape = (input_dim,)
        # A shape declared on a first layer waits here until the layer joins a model.
        self._input_shape = None if input_shape is None else input_shape_of(input_shape, type(self).__name__)
        name, trainable = arguments.pop("name"), arguments.pop("trainable")
        # Python functions as initializers cannot run in C++: the core draws its default, and the
        # function's values replace it once the layer is built (_build).
        self._python_initializers = {}
        defaults = _registered.entries("layer")[self._class_name]["defaults"]
        for key, value in list(arguments.items()):
            if key.endswith("_initializer") and callable(value) and not isinstance(value, _registered.CoreView):
                self._python_initializers[key[:-len("_initializer")]] = value
                arguments[key] = defaults[key]
        super()._create(arguments)
        del self._new_dtype
        self._core.name = name if name is not None else unique_name(snake_case(type(self).__name__))
        self._core.trainable = bool(trainable)

    def _registry(self):
        return _registered.registry("layer", self._new_dtype)

    @classmethod
    def _wrap(cls, core):
        layer = super()._wrap(core)
        layer._input_shape = None
        layer._python_initializers = {}
        return layer

    # ---- what Keras scripts set -----------------------------------------------------------------
    @property
    def name(self):
        return self._core.name

    @name.setter
    def name(self, value):
        self._core.name = str(value)

    @property
    def dtype(self):
        """The dtype the layer computes in and keeps its weights in: "float32" or "float64" (Keras's
        layer.dtype; fastmlp's compute and variable dtypes are the same)."""
        return self._core.dtype

    compute_dtype = variable_dtype = dtype

    @property
    def trainable(self):
        """A frozen layer (False) keeps its weights out of training, as in Keras."""
        return self._core.trainable

    @trainable.setter
    def trainable(self, value):
        self._core.trainable = bool(value)

    def __setattr__(self, name, value):
        if name.startswith("_"):
            object.__setattr__(self, name, value)
            return
        # A constraint belongs to its weight from the layer's creation, as in Keras 3 (whose variables keep
        # the constraint they were made with); assigning one later would silently do nothing.
        if name.endswith("_constraint") and not name.startswith("_"):
            raise AttributeError(f"{type(self).__name__}.{name} is fixed when the layer is created; make a new layer "
                                 f"with {name}=...")
        # Keras lets a script assign a layer's weight penalties; the core takes them from the next step.
        if name.endswith("_regularizer") and not name.startswith("_"):
            setter = getattr(self._core, f"set_{name}", None)
            if setter is None:
                raise AttributeError(f"{type(self).__name__}.{name} is fixed when the layer is created")
            setter(_registered.to_config_value(name, value))
            return
        object.__setattr__(self, name, value)

    # ---- weights ---------------------------------------------------------------------------------
    @property
    def built(self):
        return self._core.built

    def _views(self):
        """(name, view) of each weight, vectors as 1-D as Keras shows them."""
        if not self.built:
            return []
        return [(name, view.reshape(() if name == "count" else -1) if view.shape[0] == 1 and name != "kernel"
                 else view) for name, view in self._core.weights]

    def _weight_view(self, name):
        """The NumPy view of the weight called ``name`` now (after a rebuild: the new memory's)."""
        for weight, view in self._views():
            if weight == name:
                return view
        raise ValueError(f"layer {self.name!r} has no weight {name!r} now; it is not built")

    def _variable(self, name, index):
        """The Variable viewing weight ``name`` (position ``index``): one object per weight and layer
        name, which fetches the view at every access."""
        cache = self.__dict__.setdefault("_weight_variables", {})
        key = (name, self.name)
        if key not in cache:
            cache[key] = Variable._view(lambda: self._weight_view(name), name, f"{self.name}/{name}",
                                        trainable=lambda: self.trainable and index < self._core.parameter_count)
        return cache[key]

    @property
    def weights(self):
        """The layer's weights as fastmlp.Variable views of the C++ memory (trainable first, as Keras
        orders them): ``assign`` or writing into one changes the model."""
        return [self._variable(name, index) for index, (name, _) in enumerate(self._views())]

    @property
    def trainable_weights(self):
        return self.weights[:self._core.parameter_count] if self.trainable else []

    @property
    def non_trainable_weights(self):
        return self.weights[self._core.parameter_count:] if self.trainable else self.weights

    @property
    def losses(self):
        """Keras's layer.losses: the penalty of each regularized trainable weight (kernel, bias, gamma,
        ...) for its current values, as floats, in the order of trainable_weights. (Keras also lists the
        activity penalty of the layer's last call; fastmlp adds that penalty inside the training loop
        only, so it is not listed here.)"""
        from fastmlp import regularizers
        if not self.built or not self.trainable:
            return []
        config = self._core.config
        names = [name for name, _ in self._views()][:self._core.parameter_count]
        penalties = []
        for name, weight in zip(names, self.trainable_weights):
            regularizer = config.get(f"{name}_regularizer")
            if regularizer is not None:
                penalties.append(regularizers.deserialize(regularizer)(weight))
        return penalties

    def __getattr__(self, name):
        # A weight by name (kernel, bias, gamma, moving_mean, ...), then a config parameter.
        core = self.__dict__.get("_core")
        if core is not None and not name.startswith("_"):
            for index, (weight, _) in enumerate(self._views()):
                if weight == name:
                    return self._variable(name, index)
            if name in _OPTIONAL_WEIGHTS and core.built:
                return None  # Keras's value for a weight the options left out (use_bias=False, scale=False)
            if name in ("kernel", *_OPTIONAL_WEIGHTS):
                raise ValueError(f"layer {core.name!r} has no {name} yet: it is created when the model knows its "
                                 "input shape (give Input((features,)) or input_dim, or call fit)")
        return super().__getattr__(name)

    def get_weights(self):
        """Copies of the weights, as Keras returns them."""
        return [np.array(w, copy=True) for w in self.weights]

    def set_weights(self, weights):
        """Copies ``weights`` into the layer, after checking their number and shapes."""
        current = self.weights
        weights = weight_list(weights)
        if len(weights) != len(current):
            raise ValueError(f"layer {self.name!r} expects {len(current)} weight arrays, got {len(weights)}")
        converted = []
        for index, (target, value) in enumerate(zip(current, weights)):
            value = as_float_array(value, f"layer {self.name!r} weight {index}", self.dtype)  # TypeError for text
            if value.shape != target.shape:
                raise ValueError(f"layer {self.name!r} weight {index} has shape {target.shape}, "
                                 f"got an array of shape {value.shape}")
            converted.append(value)
        # Checked all before writing any, so that a bad list leaves the layer unchanged.
        for target, value in zip(current, converted):
            target[...] = value

    def count_params(self):
        return int(sum(view.size for _, view in self._views()))

    @property
    def input_shape(self):
        return (None, self._core.input_dim) if self.built else self._declared_shape()

    @property
    def output_shape(self):
        return (None, self._core.output_dim) if self.built else None

    def _declared_shape(self):
        return None if self._input_shape is None else (None, *self._input_shape)

    def __call__(self, inputs, training=None, **kwargs):
        """Keras's layer call. On KerasTensors (from ``Input`` or another call) it records the call for
        the functional API, building the layer for their widths, and returns a KerasTensor; on arrays it
        returns the layer's output as a NumPy array (``training=True``: as in training, so Dropout
        drops), building the layer on first use. Merge layers take a list: ``Add()([a, b])``."""
        from fastmlp.layers import calling
        return calling.call_layer(self, inputs, training, **kwargs)

    def build(self, input_shape):
        """Creates the weights for inputs of ``input_shape`` (``(None, 64)``; a list of shapes for a merge
        layer), as Keras's ``layer.build``. A built layer only checks the shape."""
        from fastmlp.layers import calling
        calling.build_layer(self, input_shape)

    def _layer_core(self):
        """The core layer a model calls: this layer's own."""
        return self._core

    @property
    def output(self):
        """The tensor the layer's first call on KerasTensors returned (Keras's layer.output)."""
        return first_call(self)[1]

    @property
    def input(self):
        """The tensor(s) the layer's first call on KerasTensors took (Keras's layer.input)."""
        inputs = first_call(self)[0]
        return inputs[0] if len(inputs) == 1 else list(inputs)

    def _build(self):
        """Called by the model once the core layer is built: runs the Python initializer functions."""
        views = dict(self._views())
        for weight, function in self._python_initializers.items():
            target = views.get(weight)
            if target is None:
                continue
            initial = np.asarray(function(target.shape, dtype=self.dtype), dtype=target.dtype)
            if initial.shape != target.shape:
                raise ValueError(f"the {weight}_initializer of layer {self.name!r} returned shape {initial.shape}, "
                                 f"expected {target.shape}")
            target[...] = initial

    def get_config(self):
        """The layer's options, name and trainable flag as the core holds them, and its dtype, as
        Keras's get_config gives them (``from_config`` makes the same layer)."""
        config = super().get_config()
        config["dtype"] = self.dtype
        for weight, function in self._python_initializers.items():
            config[f"{weight}_initializer"] = getattr(function, "__name__", repr(function))
        return config

    def __reduce__(self):
        # A copy of a built layer has the same weights, as Keras's copies do.
        return (_rebuilt, (type(self), self.get_config(), self._core.input_dim if self.built else None,
                           self.get_weights()))


def weight_list(weights):
    """set_weights' argument as a list, or a TypeError for anything that is not a list of arrays."""
    if weights is None or isinstance(weights, (str, bytes)) or not hasattr(weights, "__iter__"):
        raise TypeError(f"set_weights expects a list of arrays, as get_weights() returns; got {weights!r}")
    return list(weights)


def first_call(layer):
    """(inputs, output) of a layer's or model's first call on KerasTensors."""
    output = layer.__dict__.get("_first_output")
    if output is None:
        raise ValueError(f"layer {layer.name!r} has never been called on a tensor, so it has no input or output "
                         "tensor yet (call it on fastmlp.Input(...), or use it in a model with an input shape)")
    return output._inputs, output


def _rebuilt(cls, config, input_dim, weights):
    layer = cls.from_config(config)
    if input_dim is not None:
        layer._core.build(input_dim, _random.draw_seed())
        layer.set_weights(weights)
    return layer
