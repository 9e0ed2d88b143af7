"""Sequential: Keras's model API over the C++ training loop."""

import math
import numbers
import os
import tempfile

import numpy as np

from fastmlp import _core, _random, losses, metrics as metrics_module, optimizers
from fastmlp import layers as layers_module
from fastmlp._convert import as_float_array, as_targets
from fastmlp._naming import unique_name
from fastmlp.callbacks import CallbackList
from fastmlp.layers import Flatten, InputLayer, Layer
from fastmlp.layers import _from_core as _wrap_core_layer

# fit(), evaluate() and predict() default to Keras's batch size of 32.
_DEFAULT_BATCH_SIZE = 32


# The largest epoch count the core's int holds.
_MAX_EPOCHS = 2**31 - 1


def _positive_int(value, name, minimum=1, maximum=None):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be at most {maximum}, got {value!r}")
    return int(value)


def _batch_size(value):
    if value is None:
        return _DEFAULT_BATCH_SIZE
    # Any size beyond the number of samples means "all of them"; capping keeps it within C++'s int64.
    return min(_positive_int(value, "batch_size"), 2**62)


class _NotCompiledError(ValueError, RuntimeError):
    """Using a model before compile(): Keras 3 raises ValueError, Keras 2 RuntimeError; either catches it."""


def _verbosity(verbose):
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2):
        raise ValueError(f"verbose must be 0, 1, 2 or 'auto', got {verbose!r}")
    return verbose


def _weights_vector(weights, count, name):
    weights = as_float_array(weights, name).reshape(-1)
    if len(weights) != count:
        raise ValueError(f"{name} must have one weight per sample ({count}), got {len(weights)}")
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise ValueError(f"{name} must hold finite numbers >= 0")
    return weights


class Sequential:
    """A linear stack of layers: ``Sequential([Input((64,)), Dense(50, activation="relu"), ...])``."""

    def __init__(self, layers=None, name=None):
        self._attach(_core.Sequential(_random.draw_seed()), name)
        for layer in layers or []:
            self.add(layer)

    def _attach(self, core, name):
        """Starts as an empty, uncompiled wrapper around the C++ model ``core``."""
        self.name = name if name is not None else unique_name("sequential")
        self._core = core
        self._layers = []
        self._input_shape = None  # one sample's shape, before any Flatten
        self.history = None
        self.optimizer = None
        self.loss = None
        self.compiled_metrics = []
        self._metric_names = []
        self._metric_directions = {}
        self.stop_training = False

    @classmethod
    def _from_core(cls, core, compile=True):
        """Wraps a C++ model that already has its layers, weights and compile state (from a file)."""
        model = cls.__new__(cls)
        model._attach(core, core.name or None)
        model._layers = [_wrap_core_layer(layer) for layer in core.layers]
        model._input_shape = (core.input_dim,) if core.built else None
        if len(core.sample_shape) > 1:  # saved from a model that started with Flatten
            model._input_shape = tuple(core.sample_shape)
            flatten = Flatten()
            flatten._width = core.input_dim
            model._layers.insert(0, flatten)
        if compile and core.compiled:
            model.optimizer = optimizers._from_core(core.optimizer)
            model.loss = core.loss.name
            model.compiled_metrics = list(core.metric_names)
            # History keys: "top_k_categorical_accuracy(k=3)" is the core's name for the metric
            # that Keras logs as "top_k_categorical_accuracy".
            model._metric_names = [name.split("(")[0] for name in core.metric_names]
            model._metric_directions = {name.split("(")[0]: metrics_module.direction(name)
                                        for name in core.metric_names}
        return model

    # ---- structure -------------------------------------------------------------------------------
    def add(self, layer):
        """Appends a layer; an ``Input`` (or ``input_dim``/``input_shape`` on the first layer) fixes the input size."""
        if isinstance(layer, InputLayer):
            if self._layers:
                raise ValueError("an Input must come before the first layer of a Sequential model")
            self._input_shape = layer.shape_without_batch
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add expects a fastmlp layer such as fastmlp.layers.Dense, got {layer!r}")
        if any(existing is layer for existing in self._layers):
            raise ValueError(f"layer {layer.name!r} is already in this model")
        if isinstance(layer, Flatten) and self._layers:
            raise ValueError("Flatten must be the first layer of a fastmlp model (dense inputs are already flat)")
        if layer._input_shape is not None:
            if self._layers:
                raise ValueError(f"layer {layer.name!r} declares an input shape but is not the first layer")
            self._input_shape = layer._input_shape
        if self._input_shape is not None and len(self._input_shape) > 1 and not isinstance(layer, Flatten) \
                and not self._layers:
            raise ValueError(f"inputs of shape {self._input_shape} need a Flatten() layer first")
        if isinstance(layer, Flatten):
            self._layers.append(layer)
            if self._input_shape is not None:
                layer._width = int(np.prod(self._input_shape))
            return
        # The core checks widths and refuses while training; only a layer it took joins the list.
        layer._core.name = layer.name  # model files keep the names
        self._core.add(layer._core)
        self._layers.append(layer)
        if self._core.built:
            layer._build(layer._core.input_dim)
        elif self._input_shape is not None:
            self.build((None, *self._input_shape))

    def pop(self):
        """Removes the last layer and returns it, as Keras's ``Sequential.pop``. Compile again before
        training if the output changed (the loss and metrics were chosen for the old output)."""
        if not self._layers:
            raise TypeError("There are no layers in the model.")  # Keras's error
        layer = self._layers[-1]
        if not isinstance(layer, Flatten):
            self._core.pop()
        return self._layers.pop()

    @property
    def layers(self):
        return list(self._layers)

    def _core_layers(self):
        return [layer for layer in self._layers if not isinstance(layer, Flatten)]

    @property
    def built(self):
        return self._core.built

    def build(self, input_shape=None):
        """Creates the weights for inputs of shape ``(batch, *sample_shape)``."""
        if input_shape is None:
            if self._input_shape is None:
                raise ValueError("build() needs an input shape, such as build((None, 64))")
            input_shape = (None, *self._input_shape)
        sample_shape = tuple(int(d) for d in input_shape[1:])
        if not self._core_layers():
            raise ValueError("the model has no layers with weights; add one with model.add(...)")
        if len(sample_shape) > 1 and not (self._layers and isinstance(self._layers[0], Flatten)):
            raise ValueError(f"inputs of shape {sample_shape} need a Flatten() layer first")
        if self._layers and isinstance(self._layers[0], Flatten):
            self._layers[0]._width = int(np.prod(sample_shape))
        was_built = self._core.built
        self._core.build(int(np.prod(sample_shape)))
        self._core.sample_shape = list(sample_shape) if len(sample_shape) > 1 else []  # for model files
        self._input_shape = sample_shape
        if not was_built:
            for layer in self._core_layers():
                layer._build(layer._core.input_dim)

    @property
    def input_shape(self):
        return None if self._input_shape is None else (None, *self._input_shape)

    @property
    def output_shape(self):
        core_layers = self._core_layers()
        return (None, core_layers[-1]._core.output_dim) if core_layers and self.built else None

    @property
    def weights(self):
        return [w for layer in self._layers for w in layer.weights]

    @property
    def trainable_weights(self):
        return [w for layer in self._layers for w in layer.trainable_weights]

    @property
    def non_trainable_weights(self):
        return [w for layer in self._layers for w in layer.non_trainable_weights]

    def get_weights(self):
        """Copies of every layer's weights, in order."""
        return [w for layer in self._layers for w in layer.get_weights()]

    def set_weights(self, weights):
        """Copies ``weights`` (as returned by get_weights) into the model; shapes and count are checked first."""
        if weights is None or isinstance(weights, (str, bytes)) or not hasattr(weights, "__iter__"):
            raise TypeError(f"set_weights expects a list of arrays, as get_weights() returns; got {weights!r}")
        weights = list(weights)
        expected = [w.shape for w in self.weights]
        if len(weights) != len(expected):
            raise ValueError(f"the model has {len(expected)} weight arrays, got {len(weights)}")
        for index, (value, shape) in enumerate(zip(weights, expected)):
            if np.shape(value) != shape:
                raise ValueError(f"weight {index} must have shape {shape}, got {np.shape(value)}")
        position = 0
        for layer in self._layers:
            count = len(layer.weights)
            layer.set_weights(weights[position:position + count])
            position += count

    def get_layer(self, name=None, index=None):
        """The layer called ``name``, or at position ``index`` of ``layers``, as Keras's get_layer."""
        if (name is None) == (index is None):
            raise ValueError(f"get_layer takes a name or an index (exactly one), got name={name!r}, index={index!r}")
        if index is not None:
            if isinstance(index, bool) or not isinstance(index, numbers.Integral):
                raise TypeError(f"get_layer index must be an integer, got {index!r}")
            if not -len(self._layers) <= index < len(self._layers):
                raise ValueError(f"get_layer index {index} is out of range: the model has {len(self._layers)} layers")
            return self._layers[index]
        for layer in self._layers:
            if layer.name == name:
                return layer
        raise ValueError(f"no layer named {name!r}; the layers are {[layer.name for layer in self._layers]}")

    def count_params(self):
        if not self.built:
            raise ValueError("the model is not built yet; give it an input shape or call fit first")
        return int(self._core.count_params())

    # ---- training --------------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, **kwargs):
        """Sets the optimizer (name or object), the loss (name, object or fastmlp.losses function) and the
        metrics (names or fastmlp.metrics objects).

        Keras's execution hints (``run_eagerly``, ``jit_compile``, ``steps_per_execution``) are accepted
        and have no effect: fastmlp always runs compiled C++.
        """
        for key in kwargs:
            if key not in ("run_eagerly", "jit_compile", "steps_per_execution", "auto_scale_loss"):
                raise TypeError(f"compile() got an unexpected argument {key!r}")
        if metrics is None:
            metrics = []
        if isinstance(metrics, (str, metrics_module.Metric)):
            raise TypeError(f"metrics must be a list, such as ['accuracy']; got {metrics!r}")
        resolved = [metrics_module.resolve(m) for m in metrics]
        optimizer = optimizers.get(optimizer)
        loss_object = losses.get(loss)
        self._core.compile(loss_object._core, optimizer._core, [kind for kind, _ in resolved])
        self.optimizer, self.loss, self.compiled_metrics = optimizer, loss, list(metrics)
        self._loss_object = loss_object
        self._metric_names = [name for _, name in resolved]
        # Which way each metric improves, for the "auto" mode of EarlyStopping and ModelCheckpoint.
        self._metric_directions = {name: metrics_module.direction(kind) for kind, name in resolved}

    def _require_compiled(self, caller):
        if self.optimizer is None:
            raise _NotCompiledError(f"call compile(optimizer, loss) before {caller}()")

    def _inputs(self, x, name="x"):
        """x as a 2-D float32 array (flattening samples when the model starts with Flatten)."""
        array = as_float_array(x, name)
        flatten = bool(self._layers) and isinstance(self._layers[0], Flatten)
        if flatten and array.ndim >= 2:
            array = array.reshape(len(array), -1)
        if array.ndim != 2:
            hint = " (reshape a single feature with x.reshape(-1, 1))" if array.ndim == 1 else \
                " (start the model with a Flatten() layer)" if array.ndim > 2 else ""
            raise ValueError(f"{name} must be 2-D (samples, features), got shape {array.shape}{hint}")
        expected = None if self._input_shape is None else int(np.prod(self._input_shape))
        if expected is not None and array.shape[1] != expected:
            raise ValueError(f"the model expects {expected} input features per sample, {name} has shape "
                             f"{np.shape(x)}")
        return array

    def _check_data(self, x, y, x_name="x", y_name="y"):
        if not self._core_layers():
            raise ValueError("the model has no layers with weights; add one, such as model.add(Dense(1))")
        x, y = self._inputs(x, x_name), as_targets(y, y_name)
        if len(x) != len(y):
            raise ValueError(f"{x_name} and {y_name} must have the same number of samples; "
                             f"got {len(x)} and {len(y)}")
        if len(x) == 0:
            raise ValueError(f"{x_name} is empty; fit and evaluate need at least one sample")
        units = self._core_layers()[-1]._core.output_dim
        expected = self._core.loss.target_columns(units)
        if y.shape[1] != expected:
            hint = ""
            if y.shape[1] == 1 and units > 1:
                hint = (" (integer labels: use loss='sparse_categorical_crossentropy' or "
                        "fastmlp.utils.to_categorical(y))")
            raise ValueError(f"{y_name} has shape {y.shape} but the model has {units} output(s) "
                             f"and loss {self._core.loss.name!r} expects {expected} column(s){hint}")
        return x, y

    def _ensure_built(self, x):
        if not self.built:
            self.build((None, x.shape[1]))

    def _keys(self, validation):
        keys = ["loss", *self._metric_names]
        return keys + [f"val_{k}" for k in keys] if validation else keys

    @property
    def metrics_names(self):
        """The names of the values evaluate() returns: "loss", then each metric."""
        return self._keys(False)

    @staticmethod
    def _class_weights(class_weight, y):
        """Per-sample weights from a {class: weight} dict, the class read from y as Keras reads it:
        argmax of one-hot rows, else the rounded label; classes missing from the dict weigh 1."""
        classes = np.argmax(y, axis=1) if y.shape[1] > 1 else np.rint(y[:, 0]).astype(np.int64)
        weights = np.ones(len(y), dtype=np.float32)
        for label, weight in class_weight.items():
            try:
                index, valid = int(label), int(label) == float(label)
                weight = float(weight)
            except (TypeError, ValueError, OverflowError):
                valid = False
            if not valid:
                raise ValueError(f"class_weight must map integer class indices to numbers, got {label!r}: {weight!r}")
            weights[classes == index] = weight
        return weights

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None, sample_weight=None,
            initial_epoch=0, steps_per_epoch=None, validation_steps=None, validation_batch_size=None,
            validation_freq=1):
        """Trains for ``epochs`` epochs of minibatch updates and returns a ``History``.

        Args:
            x, y: inputs (samples, features) and targets; lists or arrays of any numeric dtype.
            batch_size: samples per gradient update (default 32).
            epochs: index of the last epoch to train (training starts at ``initial_epoch``).
            verbose: 0 silent, 1 progress bar, 2 one line per epoch ("auto" is 1).
            callbacks: list of ``fastmlp.callbacks.Callback``.
            validation_split: fraction of the data, taken from the end before shuffling, held out
                for validation, as in Keras (the first ``floor(n * (1 - validation_split))`` samples train).
            validation_data: ``(x_val, y_val)`` or ``(x_val, y_val, sample_weight_val)``, evaluated after
                each epoch; overrides validation_split.
            shuffle: reshuffle the training samples before each epoch.
            class_weight: ``{class: weight}`` scaling the loss of each training sample by its class's
                weight (not the validation samples', as in Keras).
            sample_weight: one weight per sample scaling its loss: a batch's loss is
                ``sum(w_i * loss_i) / batch_size``, Keras's "sum_over_batch_size".
            initial_epoch: epoch at which to start (to resume a previous run).
            steps_per_epoch, validation_steps: for datasets and generators in Keras; fastmlp trains on
                arrays, so only None is accepted.
            validation_batch_size: accepted for compatibility; validation runs in batches of
                ``batch_size`` (results differ only with an activity regularizer).
            validation_freq: only 1 (validate after every epoch) is supported.
        """
        self._require_compiled("fit")
        verbose = _verbosity(verbose)
        for name, value in (("steps_per_epoch", steps_per_epoch), ("validation_steps", validation_steps)):
            if value is not None:
                raise ValueError(f"{name} is for datasets and generators; fastmlp fit() takes arrays and "
                                 f"always trains on all of them, so leave {name}=None")
        if validation_freq != 1:
            raise ValueError(f"validation_freq={validation_freq!r} is not supported: fastmlp validates after "
                             "every epoch (validation_freq=1)")
        if validation_batch_size is not None:
            _positive_int(validation_batch_size, "validation_batch_size")
        x, y = self._check_data(x, y)
        batch_size = _batch_size(batch_size)
        epochs = _positive_int(epochs, "epochs", minimum=0, maximum=_MAX_EPOCHS)
        initial_epoch = _positive_int(initial_epoch, "initial_epoch", minimum=0, maximum=_MAX_EPOCHS)
        if isinstance(validation_split, bool) or not isinstance(validation_split, numbers.Real) \
                or not 0 <= validation_split < 1:
            raise ValueError(f"validation_split must be a number in [0, 1), got {validation_split!r}")
        if class_weight is not None:
            if sample_weight is not None:
                raise ValueError("You cannot pass `class_weight` and `sample_weight` at the same time "
                                 "(as in Keras): multiply the class weights into sample_weight instead")
            if not isinstance(class_weight, dict):
                raise TypeError(f"class_weight must be a dict {{class: weight}}, got {class_weight!r}")
        weights = None if sample_weight is None else _weights_vector(sample_weight, len(x), "sample_weight")

        x_val = y_val = w_val = None
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
                raise ValueError("validation_data must be a tuple (x_val, y_val) or (x_val, y_val, sample_weight)")
            x_val, y_val = self._check_data(*validation_data[:2], x_name="x_val", y_name="y_val")
            if len(validation_data) == 3 and validation_data[2] is not None:
                w_val = _weights_vector(validation_data[2], len(x_val), "validation sample_weight")
        elif validation_split > 0:
            # Keras holds out the last samples, before any shuffling; row slices are views, not copies.
            split = int(math.floor(len(x) * (1.0 - validation_split)))
            if split == len(x) or split == 0:
                raise ValueError(f"validation_split={validation_split} leaves no samples for "
                                 f"{'validation' if split == len(x) else 'training'} out of {len(x)}")
            x, x_val, y, y_val = x[:split], x[split:], y[:split], y[split:]
            if weights is not None:
                weights, w_val = weights[:split], weights[split:]
        if class_weight is not None:
            weights = self._class_weights(class_weight, y)
        self._ensure_built(x)

        steps = math.ceil(len(x) / min(batch_size, len(x)))
        cbs = CallbackList(callbacks, add_history=True, add_progbar=verbose != 0, model=self,
                           verbose=verbose, epochs=epochs, steps=steps)
        train_keys, all_keys = self._keys(False), self._keys(x_val is not None)
        last_logs = {}

        def on_batch_begin(epoch, batch):
            cbs.on_train_batch_begin(batch, {})

        def on_batch_end(epoch, done, batches, running):
            cbs.on_train_batch_end(done - 1, dict(zip(train_keys, (v for _, v in running))))
            return self.stop_training

        def on_epoch_begin(epoch):
            cbs.on_epoch_begin(epoch, {})

        def on_epoch_end(epoch, logs):
            nonlocal last_logs
            last_logs = dict(zip(all_keys, (v for _, v in logs)))
            if x_val is not None:  # Keras runs validation as an evaluate() with the fit's callbacks
                cbs.on_test_begin({})
                cbs.on_test_end({key[4:]: value for key, value in last_logs.items() if key.startswith("val_")})
            cbs.on_epoch_end(epoch, last_logs)
            return self.stop_training

        self.stop_training = False
        cbs.on_train_begin({})
        self._core.fit(x, y, batch_size, epochs, initial_epoch, bool(shuffle), x_val, y_val,
                       on_batch_end=on_batch_end if cbs.wants_batches() else None,
                       on_batch_begin=on_batch_begin if cbs.wants_batch_begin() else None,
                       on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                       progress_interval=0.0 if cbs.wants_every_batch() else 0.1,
                       sample_weight=weights, val_sample_weight=w_val)
        cbs.on_train_end(last_logs)
        return cbs.history

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False):
        """Loss (and metrics) on ``(x, y)``: a float without metrics, else ``[loss, *metrics]``
        (a dict with ``return_dict=True``), as Keras returns them. ``callbacks`` get on_test_begin and
        on_test_end (the evaluation is one C++ call, so batch hooks are not called)."""
        self._require_compiled("evaluate")
        verbose = _verbosity(verbose)
        if steps is not None:
            raise ValueError("steps is for datasets and generators; fastmlp evaluate() takes arrays, so leave "
                             "steps=None")
        x, y = self._check_data(x, y)
        self._ensure_built(x)
        batch_size = _batch_size(batch_size)
        weights = None if sample_weight is None else _weights_vector(sample_weight, len(x), "sample_weight")
        cbs = CallbackList(callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1,
                           steps=math.ceil(len(x) / batch_size))
        cbs.on_test_begin({})
        logs = dict(zip(self._keys(False), (v for _, v in self._core.evaluate(x, y, batch_size, weights))))
        cbs.on_test_end(logs)
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Outputs of the model for inputs ``x``, as a (samples, units) float32 array. ``callbacks`` get
        on_predict_begin and on_predict_end."""
        verbose = _verbosity(verbose)
        if steps is not None:
            raise ValueError("steps is for datasets and generators; fastmlp predict() takes arrays, so leave "
                             "steps=None")
        if not self._core_layers():
            raise ValueError("the model has no layers with weights; add one, such as model.add(Dense(1))")
        if not self.built:
            raise ValueError("the model has no input shape yet: give it Input((features,)) or input_dim, "
                             "or fit it first")
        x = self._inputs(x)
        if len(x) == 0:
            raise ValueError("x is empty; predict needs at least one sample")
        batch_size = _batch_size(batch_size)
        cbs = CallbackList(callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1,
                           steps=max(1, math.ceil(len(x) / batch_size)))
        cbs.on_predict_begin({})
        # The core picks chunks large enough for fast matrix products; results do not depend on them.
        out = self._core.predict(x, 0)
        cbs.on_predict_end({})
        return out

    def __call__(self, x, training=False):
        """The model's outputs for ``x``, as ``model(x)`` in Keras. With ``training=True`` the layers run
        as in training: Dropout and GaussianNoise are active and BatchNormalization uses (and updates
        its moving averages with) the batch's statistics; no weight changes."""
        if not training:
            return self.predict(x, verbose=0)
        x = self._inputs(x)
        self._ensure_built(x)
        return self._core.call_training(x)

    def predict_on_batch(self, x):
        return self.predict(x, verbose=0)

    def train_on_batch(self, x, y, return_dict=False):
        """One gradient step on one batch; returns its loss (and metrics) before the step."""
        self._require_compiled("train_on_batch")
        x, y = self._check_data(x, y)
        self._ensure_built(x)
        logs = dict(zip(self._keys(False), (v for _, v in self._core.train_on_batch(x, y))))
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def test_on_batch(self, x, y, return_dict=False):
        return self.evaluate(x, y, batch_size=len(x) if len(x) else None, verbose=0, return_dict=return_dict)

    # ---- saving ----------------------------------------------------------------------------------
    def save(self, filepath, overwrite=True, include_optimizer=True):
        """Saves the model to one file that ``fastmlp.models.load_model`` (or C++'s
        ``fastmlp::load_model``) reads back: layers and their names, weights, the compile
        configuration and, with ``include_optimizer``, the training state, so that the loaded model
        predicts the same and ``fit`` continues exactly where this one stopped. The file is written
        under a temporary name and renamed into place, so it is never seen half-written. The format
        is described in docs/model-format.md.

        Args:
            filepath: str or os.PathLike; any extension (``.fmlp`` by convention).
            overwrite: when False, an existing file is left alone and FileExistsError is raised.
            include_optimizer: also save the optimizer's step count and slots (Adam's moments, ...)
                and the model's shuffling generator.
        """
        path = os.fsdecode(filepath)
        if not overwrite and os.path.exists(path):
            raise FileExistsError(f"{path!r} already exists; pass overwrite=True to replace it")
        if not self.built:
            raise ValueError("the model has no weights to save yet: give it Input((features,)) or "
                             "input_dim, or fit it first")
        # The names live in Python (users may rename layers); the file is written from the C++ objects.
        self._core.name = self.name
        for layer in self._core_layers():
            layer._core.name = layer.name
        _core.save_model(self._core, path, bool(include_optimizer))

    # ---- configuration and weights files -----------------------------------------------------------
    def get_config(self):
        """Keras-style architecture description: {"name", "layers": [{"class_name", "config"}, ...]}."""
        layer_configs = []
        if self._input_shape is not None:
            layer_configs.append({"class_name": "InputLayer", "config": {"shape": list(self._input_shape)}})
        for layer in self._layers:
            layer_configs.append({"class_name": type(layer).__name__, "config": layer.get_config()})
        return {"name": self.name, "layers": layer_configs}

    @classmethod
    def from_config(cls, config):
        """A new, untrained model with the architecture ``config`` describes."""
        model = cls(name=config.get("name"))
        for entry in config["layers"]:
            layer_class = getattr(layers_module, entry["class_name"], None)
            if entry["class_name"] == "InputLayer":
                model.add(layers_module.Input(tuple(entry["config"]["shape"])))
                continue
            if layer_class is None or not isinstance(layer_class, type) or not issubclass(layer_class, Layer):
                raise ValueError(f"unknown layer class {entry['class_name']!r} in the config")
            model.add(layer_class.from_config(entry["config"]))
        return model

    def save_weights(self, filepath, overwrite=True):
        """Writes every weight array to ``filepath`` (NumPy .npz content, whatever the suffix),
        atomically: a crash mid-write never leaves a truncated file under the name. With
        ``overwrite=False`` an existing file is an error (Keras asks on the terminal instead)."""
        if not self.built:
            raise ValueError("the model has no weights yet: build or fit it first")
        filepath = os.fspath(filepath)
        if not overwrite and os.path.exists(filepath):
            raise FileExistsError(f"{filepath!r} exists; pass overwrite=True to replace it")
        directory = os.path.dirname(os.path.abspath(filepath))
        handle, temporary = tempfile.mkstemp(dir=directory, suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as stream:
                np.savez(stream, *self.get_weights())
            os.replace(temporary, filepath)
        except BaseException:
            os.unlink(temporary)
            raise

    def load_weights(self, filepath):
        """Reads weights written by save_weights; the count and shapes must match this model."""
        try:
            with np.load(os.fspath(filepath), allow_pickle=False) as archive:
                weights = [archive[f"arr_{i}"] for i in range(len(archive.files))]
        except (OSError, ValueError, KeyError) as error:
            raise ValueError(f"could not read weights from {filepath!r}: {error}") from None
        self.set_weights(weights)

    # ---- display ---------------------------------------------------------------------------------
    def summary(self, line_length=None, print_fn=None):
        """Prints Keras's table of layers, output shapes and parameter counts."""
        print_fn = print_fn or print
        cells = [(f"{layer.name} ({type(layer).__name__})", str(layer.output_shape),
                  f"{layer.count_params():,}" if self.built else "0 (unbuilt)") for layer in self._layers]
        # Keras's widths, widened where a cell would not fit, so that no cell runs into the next.
        widths = [33, 24, 15]
        for column in range(3):
            widths[column] = max([widths[column]] + [len(cell[column]) + 2 for cell in cells])
        if line_length:
            widths[0] = max(10, line_length - widths[1] - widths[2] - 4,
                            max((len(cell[0]) + 2 for cell in cells), default=0))

        def row(cells, left="│", sep="│", right="│"):
            parts = [f" {cells[0]:<{widths[0] - 1}}", f" {cells[1]:<{widths[1] - 1}}", f"{cells[2]:>{widths[2] - 1}} "]
            return left + sep.join(parts) + right

        def rule(left, mid, right, fill):
            return left + mid.join(fill * w for w in widths) + right

        lines = [f'Model: "{self.name}"', rule("┏", "┳", "┓", "━"),
                 row(("Layer (type)", "Output Shape", "Param #"), "┃", "┃", "┃"), rule("┡", "╇", "┩", "━")]
        for index, cell in enumerate(cells):
            lines.append(row(cell))
            if index + 1 < len(cells):
                lines.append(rule("├", "┼", "┤", "─"))
        lines.append(rule("└", "┴", "┘", "─"))
        trainable = sum(w.size for w in self.trainable_weights)
        frozen = sum(w.size for w in self.non_trainable_weights)
        lines += [f" Total params: {trainable + frozen:,} ({_format_bytes(4 * (trainable + frozen))})",
                  f" Trainable params: {trainable:,} ({_format_bytes(4 * trainable)})",
                  f" Non-trainable params: {frozen:,} ({_format_bytes(4 * frozen)})"]
        for line in lines:
            print_fn(line)

    def __repr__(self):
        return f"<Sequential name={self.name!r}, layers={len(self._layers)}, built={self.built}>"


def _format_bytes(count):
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1024 or unit == "GB":
            return f"{count:.2f} {unit}"
        count /= 1024


def clone_model(model, input_tensors=None, clone_function=None):
    """A new Sequential with ``model``'s architecture and fresh weights, as Keras's clone_model.

    Args:
        model: the Sequential to copy.
        input_tensors: an ``Input`` to use instead of the model's own input shape.
        clone_function: called on each layer to make its copy (default: a new layer from its config,
            so with newly initialised weights); return the layer itself to share it.
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"clone_model expects a fastmlp Sequential, got {model!r}")
    if input_tensors is not None and not isinstance(input_tensors, InputLayer):
        raise TypeError(f"input_tensors must be a fastmlp Input, such as Input((64,)); got {input_tensors!r}")
    clone_function = clone_function or (lambda layer: type(layer).from_config(layer.get_config()))
    clone = Sequential(name=model.name)
    if input_tensors is not None:
        clone.add(input_tensors)
    elif model._input_shape is not None:
        clone.add(layers_module.Input(model._input_shape))
    for layer in model.layers:
        clone.add(clone_function(layer))
    return clone


def load_model(filepath, compile=True):
    """Loads a model written by ``model.save`` (or by C++'s ``fastmlp::save_model``).

    Args:
        filepath: str or os.PathLike.
        compile: restore the loss, the metrics and the optimizer, in the state they were saved in
            (default); when False, the model comes back uncompiled, ready for ``compile``.

    Returns:
        a ``Sequential`` with the saved layers, names and weights.

    Raises:
        FileNotFoundError: nothing exists at ``filepath``.
        ValueError: the file is not a fastmlp model file, is truncated or damaged (its checksum
            does not match), or was written by a newer fastmlp. The exception is a
            ``fastmlp.saving.ModelFileError``, a subclass of ValueError, and its message says which.
    """
    path = os.fsdecode(filepath)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no model file at {path!r}")
    return Sequential._from_core(_core.load_model(path), compile=compile)
