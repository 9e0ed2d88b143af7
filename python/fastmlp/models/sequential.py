"""Sequential: Keras's model API over the C++ model, which owns the layers, their weights, the input
shape, the loss, the optimizer and the metrics. This class checks arguments, runs callbacks and shapes
results; it keeps no model state of its own."""

import os
import tempfile

import numpy as np

from fastmlp import _core, _random, distribution as distribution_module, layers as layers_module, losses
from fastmlp import metrics as metrics_module, optimizers
from fastmlp._convert import as_float_array, as_targets
from fastmlp._naming import unique_name
from fastmlp.callbacks import CallbackList
from fastmlp.models import arguments
from fastmlp.layers.layer import input_shape_of
from fastmlp.models.summary import summary_lines


class _NotCompiledError(ValueError, RuntimeError):
    """Using a model before compile(): Keras 3 raises ValueError, Keras 2 RuntimeError; either catches it."""


# compile()'s Keras arguments that only tell a Keras backend how to run: accepted, no effect.
_EXECUTION_HINTS = ("run_eagerly", "jit_compile", "steps_per_execution", "auto_scale_loss")


class Sequential:
    """A linear stack of layers: ``Sequential([Input((64,)), Dense(50, activation="relu"), ...])``."""

    def __init__(self, layers=None, name=None, trainable=True):
        self._attach(_core.Sequential(_random.draw_seed()))
        self._core.name = name if name is not None else unique_name("sequential")
        for layer in layers or []:
            self.add(layer)
        if not trainable:
            self.trainable = False

    def _attach(self, core):
        """Starts as an uncompiled view of the C++ model ``core``."""
        self._core = core
        self._layers = [layers_module._wrap(layer) for layer in core.layers]
        self.history = None
        self.stop_training = False
        self.optimizer = None
        self.loss = None
        self.compiled_metrics = []

    @classmethod
    def _from_core(cls, core, compile=True):
        """A view of a C++ model that already has its layers, weights and compile state (from a file)."""
        model = cls.__new__(cls)
        model._attach(core)
        if not compile:
            core.clear_compile()
        elif core.compiled:
            model.optimizer = getattr(optimizers, core.optimizer.class_name)._wrap(core.optimizer)
            model.loss = losses.identifier_of(core.loss)
            model.compiled_metrics = [metrics_module.identifier_of(metric) for metric in core.metrics]
        return model

    @property
    def name(self):
        return self._core.name

    @name.setter
    def name(self, value):
        self._core.name = str(value)

    # ---- structure -------------------------------------------------------------------------------
    def add(self, layer):
        """Appends a layer; an ``Input`` (or ``input_dim``/``input_shape`` on the first layer) fixes the input size."""
        if isinstance(layer, layers_module.InputLayer):
            if self._layers:
                raise ValueError("an Input must come before the first layer of a Sequential model")
            self._core.input_shape = list(layer.shape_without_batch)
            return
        if not isinstance(layer, layers_module.Layer):
            raise TypeError(f"Sequential.add expects a fastmlp layer such as fastmlp.layers.Dense, got {layer!r}")
        if any(existing is layer for existing in self._layers):
            raise ValueError(f"layer {layer.name!r} is already in this model")
        declared = layer._input_shape
        if declared is not None:
            if self._layers:
                raise ValueError(f"layer {layer.name!r} declares an input shape but is not the first layer")
            self._core.input_shape = list(declared)
        shape = self._core.input_shape
        if len(shape) > 1 and not self._layers and not isinstance(layer, layers_module.Flatten):
            raise ValueError(f"inputs of shape {tuple(shape)} need a Flatten() layer first")
        was_built = layer.built
        # The core checks widths and refuses while training; only a layer it took joins the list.
        self._core.add(layer._core)
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

    def pop(self):
        """Removes the last layer and returns it, as Keras's ``Sequential.pop``. Compile again before
        training if the output changed (the loss and metrics were chosen for the old output)."""
        if not self._layers:
            raise TypeError("There are no layers in the model.")  # Keras's error
        self._core.pop()
        return self._layers.pop()

    @property
    def layers(self):
        return list(self._layers)

    @property
    def built(self):
        return self._core.built

    def build(self, input_shape=None):
        """Creates the weights for inputs of shape ``(batch, *sample_shape)`` (default: the declared shape)."""
        if input_shape is not None:
            self._core.input_shape = list(input_shape_of(tuple(input_shape)[1:], "build"))
        if not self._core.input_shape:
            raise ValueError("build() needs an input shape, such as build((None, 64))")
        if not self._layers:
            raise ValueError("the model has no layers; add one with model.add(...)")
        if len(self._core.input_shape) > 1 and not isinstance(self._layers[0], layers_module.Flatten):
            raise ValueError(f"inputs of shape {tuple(self._core.input_shape)} need a Flatten() layer first")
        unbuilt = [layer for layer in self._layers if not layer.built]
        self._core.build()
        for layer in unbuilt:
            layer._build()

    @property
    def input_shape(self):
        shape = self._core.input_shape
        return (None, *shape) if shape else None

    @property
    def output_shape(self):
        return (None, self._core.output_dim) if self.built else None

    @property
    def trainable(self):
        """Keras's model.trainable: False freezes every layer (set it, then compile and fit)."""
        return all(layer.trainable for layer in self._layers)

    @trainable.setter
    def trainable(self, value):
        for layer in self._layers:
            layer.trainable = value

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
            if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
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

    # ---- compiling -------------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, **kwargs):
        """Sets the optimizer (name or object), the loss (name, object or fastmlp.losses function) and the
        metrics (names or fastmlp.metrics objects).

        Keras's execution hints (``run_eagerly``, ``jit_compile``, ``steps_per_execution``) are accepted
        and have no effect: fastmlp always runs compiled C++.
        """
        for key in kwargs:
            if key not in _EXECUTION_HINTS:
                raise TypeError(f"compile() got an unexpected argument {key!r}")
        if metrics is None:
            metrics = []
        if isinstance(metrics, (str, metrics_module.Metric)):
            raise TypeError(f"metrics must be a list, such as ['accuracy']; got {metrics!r}")
        metric_objects = [metrics_module.get(metric) for metric in metrics]
        optimizer = optimizers.get(optimizer)
        loss_object = losses.get(loss)
        self._core.compile(loss_object._core, optimizer._core, [metric._core for metric in metric_objects])
        self.optimizer, self.loss, self.compiled_metrics = optimizer, loss, metric_objects

    def _require_compiled(self, caller):
        if not self._core.compiled:
            raise _NotCompiledError(f"call compile(optimizer, loss) before {caller}()")

    @property
    def metrics_names(self):
        """The names of the values evaluate() returns: "loss", then each metric."""
        return list(self._core.log_names)

    def _metric_direction(self, name):
        """"up" or "down" for a compiled metric's name (callbacks' "auto" mode), None if unknown."""
        for metric in self._core.metrics:
            if metric.name == name:
                return "up" if metric.higher_is_better else "down"
        return None

    # ---- data --------------------------------------------------------------------------------------
    def _inputs(self, x, name="x"):
        """x as a 2-D float32 array (samples flattened when the model starts with Flatten)."""
        array = as_float_array(x, name)
        if self._layers and isinstance(self._layers[0], layers_module.Flatten) and array.ndim >= 2:
            array = array.reshape(len(array), -1)
        if array.ndim != 2:
            hint = " (reshape a single feature with x.reshape(-1, 1))" if array.ndim == 1 else \
                " (start the model with a Flatten() layer)" if array.ndim > 2 else ""
            raise ValueError(f"{name} must be 2-D (samples, features), got shape {array.shape}{hint}")
        shape = self._core.input_shape
        expected = int(np.prod(shape)) if shape else None
        if expected is not None and array.shape[1] != expected:
            raise ValueError(f"the model expects {expected} input features per sample, {name} has shape "
                             f"{np.shape(x)}")
        return array

    def _check_data(self, x, y, x_name="x", y_name="y"):
        if not self._layers:
            raise ValueError("the model has no layers; add one, such as model.add(Dense(1))")
        x, y = self._inputs(x, x_name), as_targets(y, y_name)
        if len(x) != len(y):
            raise ValueError(f"{x_name} and {y_name} must have the same number of samples; "
                             f"got {len(x)} and {len(y)}")
        if len(x) == 0:
            raise ValueError(f"{x_name} is empty; fit and evaluate need at least one sample")
        units = self._layers[-1]._core.output_dim if self._layers[-1].built else None
        if units is not None:
            expected = self._core.loss.target_columns(units)
            if y.shape[1] != expected:
                hint = ""
                if y.shape[1] == 1 and units > 1:
                    hint = (" (integer labels: use loss='sparse_categorical_crossentropy' or "
                            "fastmlp.utils.to_categorical(y))")
                raise ValueError(f"{y_name} has shape {y.shape} but the model has {units} output(s) "
                                 f"and loss {self._core.loss.class_name!r} expects {expected} column(s){hint}")
        return x, y

    def _ensure_built(self, x):
        if not self.built:
            self.build((None, x.shape[1]))

    # ---- training ----------------------------------------------------------------------------------
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
        verbose = arguments.verbosity(verbose, distribution_module.is_chief())
        arguments.no_steps("fit", steps_per_epoch=steps_per_epoch, validation_steps=validation_steps)
        arguments.fit_extras(validation_freq, validation_batch_size)
        x, y = self._check_data(x, y)
        batch = arguments.batch_size(batch_size)
        epochs = arguments.positive_int(epochs, "epochs", minimum=0, maximum=arguments.MAX_EPOCHS)
        initial_epoch = arguments.positive_int(initial_epoch, "initial_epoch", minimum=0, maximum=arguments.MAX_EPOCHS)
        fraction = arguments.validation_split_fraction(validation_split)
        if class_weight is not None and sample_weight is not None:
            raise ValueError("You cannot pass `class_weight` and `sample_weight` at the same time "
                             "(as in Keras): multiply the class weights into sample_weight instead")
        weights = None if sample_weight is None else arguments.sample_weights(sample_weight, len(x), "sample_weight")

        x_val = y_val = w_val = None
        if validation_data is not None:
            x_val, y_val, w_val = arguments.validation_tuple(validation_data)
            x_val, y_val = self._check_data(x_val, y_val, x_name="x_val", y_name="y_val")
            if w_val is not None:
                w_val = arguments.sample_weights(w_val, len(x_val), "validation sample_weight")
        elif fraction > 0:
            # Row slices are views, not copies.
            split = arguments.split_rows(len(x), fraction)
            x, x_val, y, y_val = x[:split], x[split:], y[:split], y[split:]
            if weights is not None:
                weights, w_val = weights[:split], weights[split:]
        if class_weight is not None:
            weights = arguments.class_weights(class_weight, y)
        self._ensure_built(x)

        options = _core.FitOptions(batch_size=batch, epochs=epochs, initial_epoch=initial_epoch,
                                   shuffle=bool(shuffle))
        cbs = CallbackList(callbacks, add_history=True, add_progbar=verbose != 0, model=self,
                           verbose=verbose, epochs=epochs, steps=options.batches(len(x)))
        last_logs = {}

        def on_batch_begin(epoch, batch_index):
            cbs.on_train_batch_begin(batch_index, {})

        def on_batch_end(epoch, batch_index, logs):
            cbs.on_train_batch_end(batch_index, logs)
            return self.stop_training

        def on_epoch_end(epoch, logs):
            nonlocal last_logs
            last_logs = logs
            if x_val is not None:  # Keras runs validation as an evaluate() with the fit's callbacks
                cbs.on_test_begin({})
                cbs.on_test_end({key[4:]: value for key, value in logs.items() if key.startswith("val_")})
            cbs.on_epoch_end(epoch, logs)
            return self.stop_training

        self.stop_training = False
        communicator, sharded = distribution_module._core_arguments()
        cbs.on_train_begin({})
        self._core.fit(x, y, options, x_val, y_val,
                       on_batch_begin=on_batch_begin if cbs.wants_batch_begin() else None,
                       on_batch_end=on_batch_end if cbs.wants_batches() else None,
                       on_epoch_begin=lambda epoch: cbs.on_epoch_begin(epoch, {}), on_epoch_end=on_epoch_end,
                       progress_interval=0.0 if cbs.wants_every_batch() else 0.1,
                       sample_weight=weights, val_sample_weight=w_val, communicator=communicator, sharded=sharded)
        cbs.on_train_end(last_logs)
        return cbs.history

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False):
        """Loss (and metrics) on ``(x, y)``: a float without metrics, else ``[loss, *metrics]``
        (a dict with ``return_dict=True``), as Keras returns them. ``callbacks`` get on_test_begin and
        on_test_end (the evaluation is one C++ call, so batch hooks are not called)."""
        self._require_compiled("evaluate")
        verbose = arguments.verbosity(verbose, distribution_module.is_chief())
        arguments.no_steps("evaluate", steps=steps)
        x, y = self._check_data(x, y)
        self._ensure_built(x)
        batch = arguments.batch_size(batch_size)
        weights = None if sample_weight is None else arguments.sample_weights(sample_weight, len(x), "sample_weight")
        cbs = CallbackList(callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1,
                           steps=_core.FitOptions(batch_size=batch).batches(len(x)))
        cbs.on_test_begin({})
        communicator, sharded = distribution_module._core_arguments()
        logs = self._core.evaluate(x, y, batch, weights, communicator=communicator, sharded=sharded)
        cbs.on_test_end(logs)
        return _results(logs, return_dict)

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Outputs of the model for inputs ``x``, as a (samples, units) float32 array. ``callbacks`` get
        on_predict_begin and on_predict_end."""
        verbose = arguments.verbosity(verbose, distribution_module.is_chief())
        arguments.no_steps("predict", steps=steps)
        if not self._layers:
            raise ValueError("the model has no layers; add one, such as model.add(Dense(1))")
        if not self.built:
            raise ValueError("the model has no input shape yet: give it Input((features,)) or input_dim, "
                             "or fit it first")
        x = self._inputs(x)
        if len(x) == 0:
            raise ValueError("x is empty; predict needs at least one sample")
        batch = arguments.batch_size(batch_size)
        cbs = CallbackList(callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1,
                           steps=_core.FitOptions(batch_size=batch).batches(len(x)))
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
        return _results(self._core.train_on_batch(x, y), return_dict)

    def test_on_batch(self, x, y, return_dict=False):
        return self.evaluate(x, y, batch_size=len(x) if len(x) else None, verbose=0, return_dict=return_dict)

    # ---- saving ----------------------------------------------------------------------------------
    def save(self, filepath, overwrite=True, include_optimizer=True):
        """Saves the model to one file that ``fastmlp.models.load_model`` (or C++'s
        ``fastmlp::load_model``) reads back: every layer's config and name, the weights, the compile
        configuration and, with ``include_optimizer``, the training state, so that the loaded model
        predicts the same and ``fit`` continues exactly where this one stopped. The file is written
        under a temporary name and renamed into place, so it is never seen half-written. The format
        is described in docs/model-format.md.

        Args:
            filepath: str or os.PathLike; any extension (``.fmlp`` by convention).
            overwrite: when False, an existing file is left alone and FileExistsError is raised.
            include_optimizer: also save the optimizer's step count and slots (Adam's moments, ...)
                and the random generators of the model and its layers.
        """
        path = os.fsdecode(filepath)
        if not overwrite and os.path.exists(path):
            raise FileExistsError(f"{path!r} already exists; pass overwrite=True to replace it")
        if not self.built:
            raise ValueError("the model has no weights to save yet: give it Input((features,)) or "
                             "input_dim, or fit it first")
        _core.save_model(self._core, path, bool(include_optimizer))

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

    # ---- configuration, copies and pickling ----------------------------------------------------------
    def get_config(self):
        """Keras's description of the architecture: {"name", "layers": [{"class_name", "config"}, ...]},
        the first entry an InputLayer when the input shape is known; every layer's config is the core's."""
        config = self._core.config
        layer_configs = [{"class_name": layer["class_name"], "config": layer["config"]} for layer in config["layers"]]
        if config.get("input_shape"):
            layer_configs.insert(0, {"class_name": "InputLayer",
                                     "config": {"batch_shape": [None, *config["input_shape"]], "name": "input_layer"}})
        return {"name": config["name"], "layers": layer_configs}

    @classmethod
    def from_config(cls, config):
        """A new, untrained model with the architecture ``config`` describes."""
        model = cls(name=config.get("name"))
        for entry in config["layers"]:
            if entry["class_name"] == "InputLayer":
                model.add(layers_module.InputLayer.from_config(entry["config"]))
            else:
                model.add(layers_module.deserialize(entry))
        return model

    def __reduce__(self):
        # A built model travels as the bytes of its model file (weights, compile and training state),
        # as Keras 3 pickles a model through its saved form; an unbuilt one as its architecture.
        if self.built:
            return (_from_bytes, (_core.save_model_to_bytes(self._core, True),))
        return (type(self).from_config, (self.get_config(),))

    # ---- display ---------------------------------------------------------------------------------
    def summary(self, line_length=None, print_fn=None):
        """Prints Keras's table of layers, output shapes and parameter counts."""
        for line in summary_lines(self, line_length):
            (print_fn or print)(line)

    def __repr__(self):
        return f"<Sequential name={self.name!r}, layers={len(self._layers)}, built={self.built}>"


def _results(logs, return_dict):
    """Keras's return value: the dict, or [loss, *metrics], or the loss alone."""
    if return_dict:
        return logs
    values = list(logs.values())
    return values[0] if len(values) == 1 else values


def _from_bytes(data):
    return Sequential._from_core(_core.load_model_from_bytes(data))
