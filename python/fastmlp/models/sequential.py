"""Sequential: a linear stack of layers, the chain case of Model. The C++ Sequential owns the layers,
their weights, the input shape and the compile state; training, evaluation, prediction, saving and
summaries are Model's."""

from fastmlp import _dtypes, _random, layers as layers_module
from fastmlp._naming import unique_name
from fastmlp.layers.input_layer import input_layer_of
from fastmlp.layers.layer import input_shape_of
from fastmlp.models.model import Model, one_dtype, with_dtypes


def _untraced(layer):
    """A user's layer whose call has not been traced yet (it needs the shape of its input first)."""
    return isinstance(layer, layers_module.Layer) and layer.__dict__.get("_core", True) is None and \
        layer.__dict__.get("_functional") is None


class Sequential(Model):
    """A linear stack of layers: ``Sequential([Input((64,)), Dense(50, activation="relu"), ...])``. A layer
    may be a model itself (``Sequential([encoder, Softmax()])``)."""

    def __init__(self, layers=None, name=None, trainable=True):
        layers = list(layers or [])
        # The model computes in its first layer's (or Input's) dtype; floatx() until it has one.
        dtype = next((_dtype_of(layer) for layer in layers if _dtype_of(layer) is not None), _dtypes.floatx())
        self._attach(_dtypes.core(dtype).Sequential(_random.draw_seed()), layers=[], input_layers={})
        self._core.name = name if name is not None else unique_name("sequential")
        rest = list(layers)
        # The Input and the first layer set the input shape (and the dtype): add() handles them.
        while rest and (not self._layers or input_layer_of(rest[0]) is not None):
            self.add(rest.pop(0))
        if rest and all(isinstance(layer, layers_module.Layer) and layer._input_shape is None and
                        _dtype_of(layer) in (None, self.dtype) for layer in rest):
            self._add_all(rest)
        else:
            for layer in rest:
                self.add(layer)
        if not trainable:
            self.trainable = False

    @property
    def _tensors(self):
        """Its graph as KerasTensors (model.inputs, layer.output), made once per structure, so that
        tensors taken from it at different times belong to one graph."""
        if not self.built:
            return [], []
        key = (tuple(id(layer) for layer in self._layers), tuple(self._core.input_shape))
        cached = self.__dict__.get("_cached_tensors")
        if cached is None or cached[0] != key:
            cached = (key, self._rebuilt_tensors(claim_layers=True))
            self._cached_tensors = cached
        return cached[1]

    # ---- structure -------------------------------------------------------------------------------
    def add(self, layer):
        """Appends a layer (or a model); an ``Input`` (or ``input_dim``/``input_shape`` on the first layer)
        fixes the input size."""
        input_layer = input_layer_of(layer)
        if _dtype_of(layer) is not None and _dtype_of(layer) != self.dtype:
            self._take_dtype(layer)
        if input_layer is not None:
            if self._layers:
                raise ValueError("an Input must come before the first layer of a Sequential model")
            self._core.input_shape = list(input_layer.shape_without_batch)
            self._input_layers = {0: input_layer}
            return
        if not isinstance(layer, (layers_module.Layer, Model)):
            raise TypeError(f"Sequential.add expects a fastmlp layer such as fastmlp.layers.Dense, or a model; "
                            f"got {layer!r}")
        if any(existing is layer for existing in self.layers):
            raise ValueError(f"layer {layer.name!r} is already in this model")
        if self._pending or (_untraced(layer) and not self._trace_for_output(layer)):
            # A user's layer is traced for the shape it will receive: until the model knows it, this layer
            # and those after it wait here (build() adds them).
            self._pending.append(layer)
            return
        declared = layer._input_shape if isinstance(layer, layers_module.Layer) else \
            (layer.input_shape[1:] if layer.built and not isinstance(layer.input_shape, list) else None)
        if declared is not None and not self._layers:
            self._core.input_shape = list(declared)
        elif declared is not None and isinstance(layer, layers_module.Layer):
            raise ValueError(f"layer {layer.name!r} declares an input shape but is not the first layer")
        shape = self._core.input_shape
        if len(shape) > 1 and not self._layers and not _reads_shaped_samples(layer):
            raise ValueError(f"inputs of shape {tuple(shape)} need a Flatten() layer first")
        was_built = layer.built
        # The core checks widths and refuses while training; only a layer it took joins the list.
        self._core.add(layer._layer_core())
        self._layers.append(layer)
        try:
            if self._core.built:
                if not was_built:
                    layer._build()
            elif shape:
                self.build()
        except BaseException:
            # A layer that cannot be built (too large for memory, say) is not kept: the model is as before.
            self._layers.pop()
            self._core.pop()
            raise

    def _add_all(self, new_layers):
        """add() for many plain layers (no Input, no declared shape, no model, the model's dtype) at once:
        one change of the core's chain, where n add() calls remake it n times (issue 26: 8000 layers
        read from a Keras file took 8.9 s, 2000 took 0.9 s)."""
        seen = {id(layer) for layer in self._layers}
        for layer in new_layers:
            if id(layer) in seen:
                raise ValueError(f"layer {layer.name!r} is already in this model")
            seen.add(id(layer))
        was_built = [layer.built for layer in new_layers]
        count = len(self._layers)
        self._core.add_all([layer._layer_core() for layer in new_layers])
        self._layers.extend(new_layers)
        try:
            if self._core.built:
                for layer, built in zip(new_layers, was_built):
                    if not built:
                        layer._build()
            elif self._core.input_shape:
                self.build()
        except BaseException:
            del self._layers[count:]
            for _ in new_layers:
                self._core.pop()
            raise

    def _take_dtype(self, layer):
        """Makes the model compute in ``layer``'s dtype while it has no layers (its core is replaced by
        one of that dtype, keeping the name, the input shape and the compile state); a ValueError naming
        the dtypes once it has layers, or an Input of another dtype."""
        item = input_layer_of(layer) or layer
        existing = [*self._input_layers.values(), *self._layers]
        if existing:
            one_dtype([*existing, item])  # raises, naming them
        if self._as_layer is not None:
            raise ValueError(f"model {self.name!r} computes in {self.dtype} and is a layer of another model already; "
                             f"it cannot take {item.name!r}, which computes in {item.dtype}")
        old = self._core
        core = _dtypes.core(item.dtype).Sequential(_random.draw_seed())
        core.name = old.name
        if old.input_shape:
            core.input_shape = old.input_shape
        if old.compiled:
            core.compile(list(old.losses), old.optimizer, [list(metrics) for metrics in old.output_metrics],
                         list(old.loss_weights))
        self._core = core

    def pop(self):
        """Removes the last layer and returns it, as Keras's ``Sequential.pop``. Compile again before
        training if the output changed (the loss and metrics were chosen for the old output)."""
        if not self._layers:
            raise TypeError("There are no layers in the model.")  # Keras's error
        self._core.pop()
        return self._layers.pop()

    def build(self, input_shape=None):
        """Creates the weights for inputs of shape ``(batch, *sample_shape)`` (default: the declared shape)."""
        if input_shape is not None:
            self._core.input_shape = list(input_shape_of(tuple(input_shape)[1:], "build"))
        if not self._core.input_shape:
            raise ValueError("build() needs an input shape, such as build((None, 64))")
        if not self.layers:
            raise ValueError("the model has no layers; add one with model.add(...)")
        if self._layers:
            first = self._layers[0]
            if len(self._core.input_shape) > 1 and not _reads_shaped_samples(first):
                raise ValueError(f"inputs of shape {tuple(self._core.input_shape)} need a Flatten() layer first")
            unbuilt = [layer for layer in self._layers if not layer.built]
            self._core.build()
            for layer in unbuilt:
                layer._build()
        pending, self.__dict__["_pending_layers"] = self._pending, []
        for layer in pending:
            self.add(layer)
        self._finish_compile()

    @property
    def _pending(self):
        return self.__dict__.setdefault("_pending_layers", [])

    @property
    def layers(self):
        return super().layers + list(self._pending)

    def _current_output_shape(self):
        """The shape of one sample of the model's output so far, or None while it is not known."""
        if not self._core.input_shape:
            return None
        if not self._layers:
            return tuple(self._core.input_shape)
        last = self._layers[-1]
        traced = getattr(last, "_output_sample_shape", None)
        return tuple(traced) if traced is not None else (int(self._core.output_dims[0]),)

    def _trace_for_output(self, layer):
        """Traces a user's layer for the current output's shape; False when that shape is not known yet."""
        shape = self._current_output_shape()
        if shape is None and layer._input_shape is not None and not self._layers:
            self._core.input_shape = list(layer._input_shape)
            shape = tuple(layer._input_shape)
        if shape is None:
            return False
        layer._trace([shape])
        return True

    def _ensure_built(self, xs):
        if not self.built:
            if not self.layers:
                raise ValueError("the model has no layers; add one, such as model.add(Dense(1))")
            self.build((None, xs[0].shape[1]))

    def _ensure_symbolic_build(self, inputs):
        if not self.built and hasattr(inputs, "shape"):
            self.build(inputs.shape)

    # ---- configuration ---------------------------------------------------------------------------
    def get_config(self):
        """Keras's description of the architecture: {"name", "layers": [{"class_name", "config"}, ...]},
        the first entry an InputLayer when the input shape is known; every layer's config is the core's."""
        return with_dtypes(keras_sequential_config(self._core.config), self.dtype)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """A new, untrained model with the architecture ``config`` describes (``custom_objects``: the
        user's layers it names, {name: class})."""
        from fastmlp import saving
        with saving.custom_object_scope(custom_objects):
            return cls._from_config(config)

    @classmethod
    def _from_config(cls, config):
        from fastmlp.models.loading import layer_dtypes, one_dtype as config_dtype
        # The layers' dtype (an InputLayer's where no layer names one): Keras lets a float32 Input feed
        # float64 layers, which a fastmlp model, of one dtype, reads as a float64 model.
        dtype = config_dtype(layer_dtypes({"config": config})[0], "the Sequential config")
        model = cls(name=config.get("name"))
        if config.get("input_shape"):  # the core's own form, as nested models are written
            model.add(layers_module.Input(tuple(config["input_shape"]), dtype=dtype))
        for entry in config["layers"]:
            if entry["class_name"] == "InputLayer":
                model.add(layers_module.InputLayer.from_config({**entry["config"], "dtype": dtype}))
            else:
                model.add(layers_module.deserialize(_with_default_dtype(entry, dtype)))
        return model


def _reads_shaped_samples(layer):
    """Whether a first layer takes samples of several dimensions: a Flatten, a user's traced layer, or a
    model used as a layer that was built for such samples (its own first layer flattens them), as Keras
    nests ``Sequential([model, Softmax()])``."""
    if isinstance(layer, layers_module.Flatten) or getattr(layer, "_traced_for", None) is not None:
        return True  # (a user's layer traced for the samples' shape reads them as they are)
    return isinstance(layer, Model) and layer.built and isinstance(layer.input_shape, tuple) and \
        len(layer.input_shape) > 2


def _dtype_of(item):
    """The dtype of a layer, model or Input given to a Sequential; None for anything else."""
    item = input_layer_of(item) or item
    return item.dtype if isinstance(item, (layers_module.Layer, layers_module.InputLayer, Model)) else None


def _with_default_dtype(entry, dtype):
    """A serialized layer whose config names ``dtype`` where it names none (a nested model's is its own)."""
    if entry.get("class_name") in layers_module._MODEL_CLASSES or (entry.get("config") or {}).get("dtype"):
        return entry
    return {**entry, "config": {**(entry.get("config") or {}), "dtype": dtype}}


def keras_sequential_config(config):
    """The core's Sequential config ({"name", "input_shape", "layers"}) in Keras's form: an InputLayer
    entry first instead of input_shape."""
    layer_configs = [{"class_name": layer["class_name"], "config": layer["config"]} for layer in config["layers"]]
    if config.get("input_shape"):
        layer_configs.insert(0, {"class_name": "InputLayer",
                                 "config": {"batch_shape": [None, *config["input_shape"]], "name": "input_layer"}})
    return {"name": config["name"], "layers": layer_configs}
