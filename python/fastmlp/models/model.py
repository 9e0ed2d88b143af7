"""Model: Keras's model API over the C++ model, which owns the graph of layer calls, the weights, the
input shapes, the losses, the optimizer and the metrics. ``Model(inputs, outputs)`` is Keras's
functional model; Sequential (sequential.py) is its chain case. This class checks arguments, runs
callbacks and shapes results; it keeps no model state of its own."""

import os
import tempfile

import numpy as np

from fastmlp import _core, _dtypes, _random, distribution as distribution_module, layers as layers_module, losses
from fastmlp import metrics as metrics_module, optimizers
from fastmlp._naming import snake_case, unique_name
from fastmlp._sparse import take_rows
from fastmlp.callbacks import CallbackList
from fastmlp.eager import eager
from fastmlp.layers import calling
from fastmlp.layers.keras_tensor import KerasTensor, calls_between, flatten, is_symbolic
from fastmlp.layers.layer import weight_list
from fastmlp.layers.user_layer import NeedsFunctionalTrace
from fastmlp.tracing.symbolic import is_traced
from fastmlp.models import arguments, data, streaming
from fastmlp.models.summary import summary_lines


class _NotCompiledError(ValueError, RuntimeError):
    """Using a model before compile(): Keras 3 raises ValueError, Keras 2 RuntimeError; either catches it."""


# compile()'s Keras arguments that only tell a Keras backend how to run: accepted, no effect.
_EXECUTION_HINTS = ("run_eagerly", "jit_compile", "steps_per_execution", "auto_scale_loss")



class Model:
    """Keras's functional model: ``Model(inputs, outputs, name=...)`` where ``inputs`` come from
    ``fastmlp.Input`` and ``outputs`` from layers called on them; either may be one tensor, a list or
    a dict. Layers may be shared (called twice: one set of weights), merged (Concatenate, Add, ...) and
    models may be used as layers."""

    def __init__(self, inputs=None, outputs=None, name=None, trainable=True, **kwargs):
        dtype = kwargs.pop("dtype", None)
        if kwargs:
            raise TypeError(f"Model got unexpected arguments: {', '.join(kwargs)}")
        if inputs is None and outputs is None and callable(getattr(type(self), "call", None)):
            # A subclass with call(): traced into a functional graph when it first meets data.
            self.__dict__.update(_core=None, _subclass=dict(name=name or unique_name(snake_case(type(self).__name__)),
                                                            trainable=trainable, dtype=_dtypes.standardize(dtype, "Model"),
                                                            compile=None))
            return
        if inputs is None or outputs is None:
            raise TypeError("Model needs inputs and outputs: Model(inputs, outputs), with inputs from "
                            "fastmlp.Input and outputs from layers called on them; or subclass Model and define "
                            "call(self, inputs)")
        self._init_functional(inputs, outputs, name, trainable)

    def _init_functional(self, inputs, outputs, name, trainable):
        input_list, self._input_keys = flatten(inputs, "Model inputs")
        output_list, self._output_keys = flatten(outputs, "Model outputs")
        for tensor in input_list:
            if not tensor.is_input:
                raise ValueError(f"Model inputs must be tensors made by fastmlp.Input, got the output of layer "
                                 f"{tensor._layer.name!r}")
        calls = calls_between(input_list, output_list)
        dtype = one_dtype([tensor._layer for tensor in input_list] + [tensor._layer for tensor in calls])
        core = _dtypes.core(dtype).Model(_random.draw_seed())
        core.name = name if name is not None else unique_name("functional")
        ids = {}
        for tensor in input_list:
            ids[id(tensor)] = core.input(list(tensor.shape[1:]), tensor._layer.name)
        python_layers = {}
        for tensor in calls:
            layer_core = tensor._layer._layer_core()
            python_layers[id(layer_core)] = tensor._layer
            ids[id(tensor)] = core.call(layer_core, [ids[id(source)] for source in tensor._inputs])
        for tensor in output_list:
            if tensor.is_input:
                raise ValueError(f"Model output {tensor.name!r} is an Input; outputs must come from layers")
        core.set_outputs([ids[id(tensor)] for tensor in output_list])
        self._attach(core, [python_layers[id(layer)] for layer in core.layers],
                     {index: tensor._layer for index, tensor in enumerate(input_list)})
        self._graph_tensors = (input_list, output_list)
        if not trainable:
            self.trainable = False

    # ---- a subclass with call() ---------------------------------------------------------------------
    def _trace_subclass(self, x):
        """A subclass's call() traced once, on Inputs shaped like its first data ``x``: the layers it calls
        become a functional graph (the ops between them, layers of it), which the core then runs. Keras's
        train_step and its kin cannot run in the C++ step (see _refuse_custom_steps)."""
        pending = self.__dict__.get("_subclass")
        if pending is None or self.__dict__.get("_core") is not None:
            return
        from fastmlp.layers.input_layer import Input
        inputs = [Input(shape=shape, dtype=pending["dtype"]) for shape in _sample_shapes(x)]
        outputs = self.call(inputs[0] if len(inputs) == 1 else inputs)
        self._init_functional(inputs[0] if len(inputs) == 1 else inputs, outputs, pending["name"],
                              pending["trainable"])
        if pending["compile"] is not None:
            args, kwargs = pending["compile"]
            self.compile(*args, **kwargs)

    def build(self, input_shape=None):
        """Keras's model.build((None, features)): a subclass traces its call() for that shape; a built
        functional model only checks that it has one."""
        if self.__dict__.get("_core") is None:
            if input_shape is None:
                raise ValueError("build() needs an input shape, such as build((None, 64))")
            shapes = input_shape if isinstance(input_shape, list) else [input_shape]
            self._trace_subclass([np.zeros((1, *[int(d) for d in tuple(s)[1:]])) for s in shapes]
                                 if len(shapes) > 1 else np.zeros((1, *[int(d) for d in tuple(shapes[0])[1:]])))

    def _attach(self, core, layers=None, input_layers=None):
        """Starts as an uncompiled view of the C++ model ``core``, whose layers are viewed by ``layers``
        (made from the core's when not given) and inputs by ``input_layers`` ({index: InputLayer})."""
        self._core = core
        self._layers = layers if layers is not None else [layers_module._wrap(layer) for layer in core.layers]
        self._input_layers = {} if input_layers is None else input_layers
        self._as_layer = None
        self.history = None
        self.stop_training = False
        self.optimizer = None
        self.loss = None
        self.compiled_metrics = []
        self.__dict__.setdefault("_input_keys", None)
        self.__dict__.setdefault("_output_keys", None)

    @classmethod
    def _from_core(cls, core, compile=True):
        """A view of a C++ model that already has its layers, weights and compile state (from a file)."""
        if cls is Model and core.class_name == "Sequential":
            from fastmlp.models.sequential import Sequential
            cls = Sequential
        model = cls.__new__(cls)
        model._attach(core)
        model._graph_tensors = model._rebuilt_tensors()
        if not compile:
            core.clear_compile()
        elif core.compiled:
            model.optimizer = getattr(optimizers, core.optimizer.class_name)._wrap(core.optimizer)
            model.optimizer._attach(model)
            identifiers = [None if loss is None else losses.identifier_of(loss) for loss in core.losses]
            model.loss = identifiers[0] if len(identifiers) == 1 else identifiers
            model.compiled_metrics = [metrics_module.identifier_of(metric) for metric in core.metrics]
        return model

    def _rebuilt_tensors(self, claim_layers=False):
        """(inputs, outputs) as KerasTensors made from the core's graph (for a model from a file, or a
        Sequential), each layer's first call remembered (taken over with ``claim_layers``)."""
        core = self._core
        for i, (name, shape) in enumerate(zip(core.input_names, core.input_shapes)):
            if i not in self._input_layers and shape:
                self._input_layers[i] = layers_module.InputLayer(shape=tuple(shape), name=name, dtype=core.dtype)
        tensors = [self._input_layers[i].output if i in self._input_layers else None
                   for i in range(len(core.input_names))]
        for layer_index, sources in core.calls:
            layer = self._layers[layer_index]
            inputs = [tensors[s] for s in sources]
            tensors.append(KerasTensor((None, core.tensor_width(len(tensors))), layer, inputs))
            calling.remember_call(layer, tensors[-1], replace=claim_layers)
        inputs = [t for t in tensors[:len(core.input_names)] if t is not None]
        return inputs, [tensors[t] for t in core.outputs] if core.built else []

    @property
    def _tensors(self):
        return self._graph_tensors

    @property
    def inputs(self):
        """The model's input tensors (KerasTensors), as Keras's model.inputs."""
        return list(self._tensors[0])

    @property
    def outputs(self):
        return list(self._tensors[1])

    # ---- names and structure -------------------------------------------------------------------------
    @property
    def name(self):
        return self._core.name

    @name.setter
    def name(self, value):
        self._core.name = str(value)
        if self._as_layer is not None:
            self._as_layer.name = str(value)

    @property
    def dtype(self):
        """The dtype the model computes in, and every layer of it: "float32" or "float64"."""
        return self._core.dtype

    compute_dtype = variable_dtype = dtype

    @property
    def layers(self):
        """Keras's model.layers: for a functional model its InputLayers too, in Keras's order."""
        out = []
        for kind, index in self._core.entries:
            out.append(self._input_layers[index] if kind == "input" else self._layers[index])
        return out

    @property
    def input_names(self):
        return list(self._core.input_names)

    @property
    def output_names(self):
        return list(self._core.output_names)

    @property
    def built(self):
        return self._core.built

    @property
    def input_shape(self):
        shapes = [(None, *shape) if shape else None for shape in self._core.input_shapes]
        if not shapes or shapes[0] is None:
            return None
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self):
        if not self.built:
            return None
        shapes = [(None, units) for units in self._core.output_dims]
        return shapes[0] if len(shapes) == 1 else shapes

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

    @property
    def losses(self):
        """Keras's model.losses: every layer's ``losses`` (the weight penalties for the current
        weights), layer by layer; their sum is what training adds to the loss for them."""
        return [loss for layer in self._layers for loss in layer.losses]

    def get_weights(self):
        """Copies of every layer's weights, in order."""
        return [w for layer in self._layers for w in layer.get_weights()]

    def set_weights(self, weights):
        """Copies ``weights`` (as returned by get_weights) into the model; shapes and count are checked first."""
        weights = weight_list(weights)
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
        layers = self.layers
        if index is not None:
            if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
                raise TypeError(f"get_layer index must be an integer, got {index!r}")
            if not -len(layers) <= index < len(layers):
                raise ValueError(f"get_layer index {index} is out of range: the model has {len(layers)} layers")
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(f"no layer named {name!r}; the layers are {[layer.name for layer in layers]}")

    def count_params(self):
        if not self.built:
            raise ValueError("the model is not built yet; give it an input shape or call fit first")
        return int(self._core.count_params())

    # ---- a model used as a layer ---------------------------------------------------------------------
    def _layer_core(self):
        """The core layer through which other models call this one (one per model: a model used twice
        is one shared layer)."""
        if self._as_layer is None:
            self._as_layer = _dtypes.core_of(self._core).ModelLayer(self._core)
        return self._as_layer

    def _build(self):
        """A layer's hook after building; a model's layers have run theirs."""

    @property
    def input(self):
        """The model's input tensor (a list with several inputs), as Keras's model.input."""
        inputs = self.inputs
        return inputs[0] if len(inputs) == 1 else inputs

    @property
    def output(self):
        """The model's output tensor (a list with several outputs), as Keras's model.output."""
        outputs = self.outputs
        return outputs[0] if len(outputs) == 1 else outputs

    def __call__(self, inputs, training=False, **kwargs):
        """On KerasTensors: the model used as a layer of a new model (Keras's nested models). On arrays:
        the model's outputs, as ``model(x)`` in Keras; with ``training=True`` the layers run as in
        training (Dropout drops, BatchNormalization uses and updates the batch's statistics), and no
        weight changes. An unbuilt Sequential is built for x on the first call."""
        if kwargs.pop("mask", None) is not None:
            raise ValueError("masks are not supported: fastmlp's dense layers take every feature of every sample")
        if kwargs:
            raise TypeError(f"a model call got unexpected arguments: {', '.join(kwargs)}")
        if is_traced(inputs):  # a model inside a user layer's call: trace that call functionally
            raise NeedsFunctionalTrace(self.name)
        if is_symbolic(inputs):
            if self.__dict__.get("_core") is None:
                self._trace_subclass(np.zeros((1, *inputs.shape[1:])) if isinstance(inputs, KerasTensor) else
                                     [np.zeros((1, *t.shape[1:])) for t in inputs])
            self._ensure_symbolic_build(inputs)
            return calling.call_symbolic(self, inputs)
        self._trace_subclass(inputs)
        if not training:
            return eager(self.predict(inputs, verbose=0))
        xs = self._input_arrays(inputs)
        if any(_dtypes.is_csr(x) for x in xs):
            raise TypeError("model(x, training=True) takes dense arrays; densify a sparse x with x.toarray() "
                            "(fit, evaluate and predict read it sparse)")
        self._ensure_built(xs)
        return eager(self._structured(self._core.call_training(xs)))

    def _ensure_symbolic_build(self, inputs):
        """An unbuilt Sequential called on a KerasTensor is built for its width first."""

    # ---- compiling -------------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None, weighted_metrics=None,
                **kwargs):
        """Sets the optimizer (name or object), the loss (name, object or fastmlp.losses function; for
        several outputs one for all, a list, or a dict by output name), ``loss_weights`` (a list or dict
        weighting each output's loss in the total) and the metrics (names or fastmlp.metrics objects; for
        several outputs a list of lists or a dict by output name).

        Keras's execution hints (``run_eagerly``, ``jit_compile``, ``steps_per_execution``) are accepted
        and have no effect: fastmlp always runs compiled C++.
        """
        for key in kwargs:
            if key not in _EXECUTION_HINTS:
                raise TypeError(f"compile() got an unexpected argument {key!r}")
        pending = self.__dict__.get("_subclass")
        if pending is not None and self.__dict__.get("_core") is None:  # compiled when call() is traced
            pending["compile"] = ((), dict(optimizer=optimizer, loss=loss, loss_weights=loss_weights, metrics=metrics,
                                           weighted_metrics=weighted_metrics, **kwargs))
            self.__dict__.update(optimizer=optimizers.get(optimizer), loss=loss)
            return
        if weighted_metrics:
            raise ValueError("weighted_metrics are not supported: metrics are computed without sample weights")
        names = self.output_names or ["output"]
        loss_list = arguments.per_output(loss, names, "loss")
        if all(item is None for item in loss_list):
            raise ValueError("compile() needs a loss, such as loss='categorical_crossentropy'")
        weights = arguments.per_output(loss_weights, names, "loss_weights", default=1.0)
        metric_lists = arguments.metrics_per_output(metrics, names)
        metric_objects = [[metrics_module.get(metric) for metric in metric_list] for metric_list in metric_lists]
        optimizer = optimizers.get(optimizer)
        optimizer._attach(self)
        loss_objects = [None if item is None else losses.get(item) for item in loss_list]
        try:
            weights = [float(w) for w in weights]
        except (TypeError, ValueError):
            raise TypeError(f"loss_weights must be numbers, got {loss_weights!r}") from None
        traced = any(_is_traced_object(item) for item in loss_objects) or \
            any(_is_traced_object(metric) for metric_list in metric_objects for metric in metric_list)
        if traced and not self._core.built:  # users' losses and metrics are traced for the output's width
            self.__dict__["_pending_compile"] = dict(optimizer=optimizer, loss=loss, loss_weights=loss_weights,
                                                     metrics=metrics, **kwargs)
            self.optimizer, self.loss = optimizer, loss
            return
        self.__dict__["_pending_compile"] = None
        widths = list(self._core.output_dims) if self._core.built else []
        self._core.compile([None if item is None else _core_of(item, widths[index] if widths else None, self.dtype)
                            for index, item in enumerate(loss_objects)], optimizer._core,
                           [[_core_of(metric, widths[index] if widths else None, self.dtype,
                                      _target_width(loss_objects[index], widths[index] if widths else None))
                             for metric in metric_list]
                            for index, metric_list in enumerate(metric_objects)], weights)
        self.optimizer, self.loss = optimizer, loss
        self.compiled_metrics = [metric for metric_list in metric_objects for metric in metric_list]

    def _finish_compile(self):
        """A compile() that waited for the model to be built (to trace a user's loss or metric)."""
        pending = self.__dict__.get("_pending_compile")
        if pending is not None and self._core.built:
            self.compile(**pending)

    def _require_compiled(self, caller):
        if not self.compiled:
            raise _NotCompiledError(f"call compile(optimizer, loss) before {caller}()")

    @property
    def compiled(self):
        """Keras's model.compiled: whether compile() has given the model a loss and an optimizer (a
        model loaded from a file of a compiled model is compiled; a subclass or a Sequential waiting
        for its first data to be traced is compiled once compile() was called)."""
        if self.__dict__.get("_pending_compile") is not None:
            return True
        if self.__dict__.get("_core") is None:
            return (self.__dict__.get("_subclass") or {}).get("compile") is not None
        return bool(self._core.compiled)

    def _refuse_custom_steps(self, caller, *steps):
        """A subclass's train_step/test_step/predict_step cannot run: the step is the core's. Refused
        with what to use instead, never ignored."""
        for step in steps:
            if getattr(type(self), step, None) is not getattr(Model, step, None):
                raise TypeError(f"{type(self).__name__} overrides {step}(), which fastmlp cannot run: {caller}() "
                                "runs fastmlp's own compiled C++ step, without calling Python per batch. Instead, "
                                "put the computation in a custom loss (a function (y_true, y_pred) or a "
                                "fastmlp.losses.Loss subclass given to compile()), override compute_loss, pass "
                                "metrics to compile(), or do work between batches and epochs in a callback "
                                "(fastmlp.callbacks.Callback); then remove the override")

    @property
    def metrics_names(self):
        """The names of the values evaluate() returns: "loss", each output's loss (several outputs),
        then each metric."""
        return list(self._core.log_names)

    def _metric_direction(self, name):
        """"up" or "down" for a compiled metric's name (callbacks' "auto" mode), None if unknown."""
        several = len(self._core.output_names) > 1
        for output, metric_list in zip(self._core.output_names, self._core.output_metrics):
            for metric in metric_list:
                if (f"{output}_{metric.name}" if several else metric.name) == name:
                    return "up" if metric.higher_is_better else "down"
        return None

    # ---- data --------------------------------------------------------------------------------------
    def _input_arrays(self, x, name="x"):
        return data.input_arrays(self, x, name)

    def _check_data(self, x, y, x_name="x", y_name="y"):
        if not self.layers:
            raise ValueError("the model has no layers; add one, such as model.add(Dense(1))")
        xs = self._input_arrays(x, x_name)
        ys = data.target_arrays(self, y, y_name)
        rows = len(xs[0])
        for array in xs + ys:
            if len(array) != rows:
                raise ValueError(f"{x_name} and {y_name} must have the same number of samples; "
                                 f"got {rows} and {len(array)}")
        if rows == 0:
            raise ValueError(f"{x_name} is empty; fit and evaluate need at least one sample")
        if self.built:
            data.check_targets(self, ys, y_name)
        return xs, ys

    def _ensure_built(self, xs):
        """Builds a Sequential that has no input shape yet for the width of its data (sequential.py)."""

    def _structured(self, outputs):
        """The core's list of output arrays as the model's outputs were given: one array, a list or a dict."""
        if self._output_keys is not None:
            return dict(zip(self._output_keys, outputs))
        return outputs[0] if len(outputs) == 1 else list(outputs)

    # ---- training ----------------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None, sample_weight=None,
            initial_epoch=0, steps_per_epoch=None, validation_steps=None, validation_batch_size=None,
            validation_freq=1):
        """Trains for ``epochs`` epochs of minibatch updates and returns a ``History``.

        Args:
            x, y: inputs (samples, features) and targets; lists or arrays of any numeric dtype. With
                several inputs or outputs: a list in the model's order, or a dict by input/output name.
                A single feature may be a 1-D array (a pandas Series) when the input has one feature.
                An input may be a scipy.sparse matrix or array (CSR, CSC, COO, ...), read without
                densifying it; a sparse y is densified. ``x`` may instead give the data batch by
                batch (then y is None): a generator or iterable of ``(x, y)`` or ``(x, y,
                sample_weight)`` batches (arrays or torch tensors), a torch DataLoader, or a
                ``fastmlp.utils.PyDataset`` (or any object with its protocol); see streaming.py.
            batch_size: samples per gradient update (default 32).
            epochs: index of the last epoch to train (training starts at ``initial_epoch``).
            verbose: 0 silent, 1 progress bar, 2 one line per epoch ("auto" is 1; 0 on the ranks
                other than 0 of a data-parallel run).
            callbacks: list of ``fastmlp.callbacks.Callback``.
            validation_split: fraction of the data, taken from the end before shuffling, held out
                for validation, as in Keras (the first ``floor(n * (1 - validation_split))`` samples train).
            validation_data: ``(x_val, y_val)`` or ``(x_val, y_val, sample_weight_val)``, or a generator
                or dataset of batches, evaluated after each epoch; overrides validation_split.
            shuffle: reshuffle the training samples before each epoch.
            class_weight: ``{class: weight}`` scaling the loss of each training sample by its class's
                weight (not the validation samples', as in Keras); for models of one output.
            sample_weight: one weight per sample scaling its loss: a batch's loss is
                ``sum(w_i * loss_i) / batch_size``, Keras's "sum_over_batch_size".
            initial_epoch: epoch at which to start (to resume a previous run).
            steps_per_epoch, validation_steps: batches per epoch (per validation) when the data comes
                batch by batch; None: a whole pass. With arrays only None is accepted.
            validation_batch_size: accepted for compatibility; validation runs in batches of
                ``batch_size`` (results differ only with an activity regularizer).
            validation_freq: only 1 (validate after every epoch) is supported.
        """
        self._refuse_custom_steps("fit", "train_step", *(() if validation_data is None and not validation_split
                                                         else ("test_step",)))
        if not streaming.is_stream(x):  # (a stream's first batch traces a subclass)
            self._trace_subclass(x)
        self._require_compiled("fit")
        verbose = arguments.verbosity(verbose, distribution_module.is_chief())
        arguments.fit_extras(validation_freq, validation_batch_size)
        if streaming.is_stream(x):
            return streaming.fit(self, x, y, batch_size, epochs, verbose, callbacks, validation_split,
                                 validation_data, shuffle, class_weight, sample_weight, initial_epoch,
                                 steps_per_epoch, validation_steps)
        stream_validation = streaming.is_stream(validation_data)
        arguments.no_steps("fit", steps_per_epoch=steps_per_epoch,
                           validation_steps=None if stream_validation else validation_steps)
        xs, ys = self._check_data(x, y)
        rows = len(xs[0])
        batch = arguments.batch_size(batch_size)
        epochs = arguments.positive_int(epochs, "epochs", minimum=0, maximum=arguments.MAX_EPOCHS)
        initial_epoch = arguments.positive_int(initial_epoch, "initial_epoch", minimum=0, maximum=arguments.MAX_EPOCHS)
        fraction = arguments.validation_split_fraction(validation_split)
        if class_weight is not None and sample_weight is not None:
            raise ValueError("You cannot pass `class_weight` and `sample_weight` at the same time "
                             "(as in Keras): multiply the class weights into sample_weight instead")
        weights = None if sample_weight is None else arguments.sample_weights(sample_weight, rows, "sample_weight",
                                                                              self.dtype)

        xs_val = ys_val = w_val = None
        if validation_data is not None and not stream_validation:
            x_val, y_val, w_val = arguments.validation_tuple(validation_data)
            xs_val, ys_val = self._check_data(x_val, y_val, x_name="x_val", y_name="y_val")
            if w_val is not None:
                w_val = arguments.sample_weights(w_val, len(xs_val[0]), "validation sample_weight", self.dtype)
        elif fraction > 0:
            # Row slices are views, not copies.
            split = arguments.split_rows(rows, fraction)
            xs, xs_val = [take_rows(a, 0, split) for a in xs], [take_rows(a, split, rows) for a in xs]
            ys, ys_val = [a[:split] for a in ys], [a[split:] for a in ys]
            if weights is not None:
                weights, w_val = weights[:split], weights[split:]
        if class_weight is not None:
            if len(ys) != 1:
                raise ValueError("class_weight is for models of one output (as in Keras); use sample_weight")
            weights = arguments.class_weights(class_weight, ys[0], self.dtype)
        self._ensure_built(xs)
        if self.built:
            data.check_targets(self, ys, "y")

        options = _core.FitOptions(batch_size=batch, epochs=epochs, initial_epoch=initial_epoch,
                                   shuffle=bool(shuffle))
        cbs = CallbackList(callbacks, add_history=True, add_progbar=verbose != 0, model=self,
                           verbose=verbose, epochs=epochs, steps=options.batches(len(xs[0])))
        last_logs = {}

        def on_batch_begin(epoch, batch_index):
            cbs.on_train_batch_begin(batch_index, {})

        def on_batch_end(epoch, batch_index, logs):
            cbs.on_train_batch_end(batch_index, logs)
            return self.stop_training

        validate = close_validation = None
        if stream_validation:  # run from the epoch's end, as the core runs array validation
            validate, close_validation = streaming.validation_runner(self, validation_data, validation_steps, batch)

        def on_epoch_end(epoch, logs):
            nonlocal last_logs
            if validate is not None:
                logs.update(validate(cbs))
            last_logs = logs
            cbs.on_epoch_end(epoch, logs)
            return self.stop_training

        # Keras runs validation as an evaluate() with the fit's callbacks.
        validation_hooks = {"on_begin": lambda: cbs.on_test_begin({}), "on_end": cbs.on_test_end}
        validation_hooks.update(_test_batch_hooks(cbs))
        self.stop_training = False
        communicator, sharded = distribution_module._core_arguments()
        cbs.on_train_begin({})
        try:
            self._core.fit(xs, ys, options, xs_val, ys_val,
                           on_batch_begin=on_batch_begin if cbs.wants_batch_begin() else None,
                           on_batch_end=on_batch_end if cbs.wants_batches() else None,
                           on_epoch_begin=lambda epoch: cbs.on_epoch_begin(epoch, {}), on_epoch_end=on_epoch_end,
                           progress_interval=0.0 if cbs.wants_every_batch() else 0.1,
                           sample_weight=weights, val_sample_weight=w_val,
                           validation_hooks=validation_hooks if xs_val is not None else {},
                           communicator=communicator, sharded=sharded)
        finally:
            if close_validation is not None:
                close_validation()
        cbs.on_train_end(last_logs)
        return cbs.history

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False):
        """Loss (and metrics) on ``(x, y)``: a float without metrics, else ``[loss, *output losses,
        *metrics]`` (a dict with ``return_dict=True``), as Keras returns them. ``callbacks`` get
        on_test_begin, on_test_batch_begin/end (with the running logs) and on_test_end."""
        self._refuse_custom_steps("evaluate", "test_step")
        if not streaming.is_stream(x):  # (a stream's first batch traces a subclass)
            self._trace_subclass(x)
        self._require_compiled("evaluate")
        verbose = arguments.verbosity(verbose, distribution_module.is_chief())
        if streaming.is_stream(x):
            return streaming.evaluate(self, x, y, verbose, sample_weight, steps, callbacks, return_dict, _results)
        arguments.no_steps("evaluate", steps=steps)
        xs, ys = self._check_data(x, y)
        self._ensure_built(xs)
        data.check_targets(self, ys, "y")
        batch = arguments.batch_size(batch_size)
        weights = None if sample_weight is None else arguments.sample_weights(sample_weight, len(xs[0]),
                                                                              "sample_weight", self.dtype)
        # Data parallel: this rank's batch hooks see its share of the rows.
        rows = distribution_module._share_of(len(xs[0]))
        cbs = CallbackList(callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1,
                           steps=_core.FitOptions(batch_size=batch).batches(max(rows, 1)))
        cbs.on_test_begin({})
        hooks = _test_batch_hooks(cbs)
        communicator, sharded = distribution_module._core_arguments()
        logs = self._core.evaluate(xs, ys, batch, weights, hooks.get("on_batch_begin"), hooks.get("on_batch_end"),
                                   communicator=communicator, sharded=sharded)
        cbs.on_test_end(logs)
        return _results(logs, return_dict)

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Outputs of the model for inputs ``x``: a (samples, units) float32 array, or one per output
        (a list, or a dict when the outputs were given as one). ``callbacks`` get on_predict_begin,
        on_predict_batch_begin/end (with ``{"outputs": the batch's outputs}``) and on_predict_end."""
        self._refuse_custom_steps("predict", "predict_step")
        verbose = arguments.verbosity(verbose, distribution_module.is_chief())
        if streaming.is_stream(x):  # a subclass is traced, a Sequential built, for the first batch
            return streaming.predict(self, x, verbose, steps, callbacks, self._structured)
        self._trace_subclass(x)
        arguments.no_steps("predict", steps=steps)
        if not self.layers:
            raise ValueError("the model has no layers; add one, such as model.add(Dense(1))")
        xs = self._input_arrays(x)
        if len(xs[0]) == 0:
            raise ValueError("x is empty; predict needs at least one sample")
        self._ensure_built(xs)
        batch = arguments.batch_size(batch_size)
        cbs = CallbackList(callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1,
                           steps=_core.FitOptions(batch_size=batch).batches(len(xs[0])))
        cbs.on_predict_begin({})
        begin = end = None
        if cbs.wants("on_predict_batch_begin"):
            def begin(batch_index):
                cbs.on_predict_batch_begin(batch_index, {})
        if cbs.wants("on_predict_batch_end"):
            def end(batch_index, outputs):
                cbs.on_predict_batch_end(batch_index, {"outputs": self._structured(outputs)})
        # Without batch hooks the core picks chunks large enough for fast matrix products; results
        # do not depend on them.
        outputs = self._core.predict(xs, batch if begin or end else 0, begin, end)
        cbs.on_predict_end({})
        return self._structured(outputs)

    def predict_on_batch(self, x):
        return self.predict(x, verbose=0)

    def train_on_batch(self, x, y, sample_weight=None, class_weight=None, return_dict=False):
        """One gradient step on one batch; returns its loss (and metrics) before the step."""
        self._refuse_custom_steps("train_on_batch", "train_step")
        self._trace_subclass(x)
        self._require_compiled("train_on_batch")
        xs, ys = self._check_data(x, y)
        self._ensure_built(xs)
        data.check_targets(self, ys, "y")
        weights = None if sample_weight is None else arguments.sample_weights(sample_weight, len(xs[0]),
                                                                              "sample_weight", self.dtype)
        if class_weight is not None:
            if weights is not None or len(ys) != 1:
                raise ValueError("class_weight is for models of one output, without sample_weight")
            weights = arguments.class_weights(class_weight, ys[0], self.dtype)
        return _results(self._core.train_on_batch(xs, ys, weights), return_dict)

    def test_on_batch(self, x, y, sample_weight=None, return_dict=False):
        self._trace_subclass(x)
        rows = len(self._input_arrays(x)[0])
        return self.evaluate(x, y, batch_size=rows or None, verbose=0, sample_weight=sample_weight,
                             return_dict=return_dict)

    # ---- saving ----------------------------------------------------------------------------------
    def save(self, filepath, overwrite=True, include_optimizer=True):
        """Saves the model to one file that ``fastmlp.models.load_model`` (or C++'s
        ``fastmlp::load_model``) reads back: the architecture (every layer's config and name, and for a
        functional model its graph), the weights, the compile configuration and, with
        ``include_optimizer``, the training state, so that the loaded model predicts the same and
        ``fit`` continues exactly where this one stopped. The file is written under a temporary name and
        renamed into place, so it is never seen half-written. The format is described in
        docs/model-format.md.

        A name ending in ``.keras`` writes a Keras 3 file instead (needs h5py), also atomically, which
        Keras's ``load_model`` (and fastmlp's) reads: the architecture, the weights and the compile state
        with the optimizer's variables, under Keras's names. A name ending in ``.h5`` (or ``.hdf5``)
        writes Keras's legacy HDF5 format, which Keras 3 still reads and writes, with the warning Keras
        logs for it.

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
        suffix = os.path.splitext(path)[1].lower()
        if suffix in (".h5", ".hdf5"):
            from fastmlp._interop import fastmlp_models, keras_h5
            keras_h5.write_h5(fastmlp_models.graph_from_model(self, bool(include_optimizer)), path,
                              bool(include_optimizer))
            return
        if suffix == ".keras":
            from fastmlp._interop import fastmlp_models, keras_archive
            keras_archive.write_keras(fastmlp_models.graph_from_model(self, bool(include_optimizer)), path)
            return
        _dtypes.core_of(self._core).save_model(self._core, path, bool(include_optimizer))

    def export(self, filepath, format="onnx", verbose=None, input_signature=None, opset_version=None, **kwargs):
        """Exports the model for inference elsewhere, as Keras 3's ``model.export``. fastmlp writes ONNX
        (needs onnx: ``pip install 'fastmlp[onnx]'``): one graph input per model input, named as the
        model's inputs, with a free batch dimension, and one output per model output, in float32; ONNX
        Runtime predicts what ``predict`` does (to about 1e-6). Dropout and noise layers are identities,
        BatchNormalization uses its moving statistics, as at inference.

        Args:
            filepath: str or os.PathLike, the ``.onnx`` file to write.
            format: ``"onnx"``, the one format fastmlp exports (Keras's TensorFlow formats need TensorFlow).
            verbose, input_signature: Keras's arguments; the inputs are always the model's own.
            opset_version: the ONNX opset (default 17, which ONNX Runtime 1.14 and later run).
        """
        if format != "onnx":
            raise ValueError(f"fastmlp exports format='onnx' only, got format={format!r}")
        if input_signature is not None:
            raise ValueError("input_signature is not supported: the ONNX model takes the model's own inputs")
        if kwargs:
            raise TypeError(f"export got unexpected arguments: {', '.join(kwargs)}")
        from fastmlp._interop import fastmlp_models, onnx_export
        graph = fastmlp_models.graph_from_model(self, include_optimizer=False)
        onnx_export.save_onnx(graph, os.fsdecode(filepath),
                              **({} if opset_version is None else {"opset": int(opset_version)}))

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
        """Keras's functional config: {"name", "trainable", "layers": [{"class_name", "config", "name",
        "inbound_nodes"}, ...], "input_layers", "output_layers"}, as the core writes it."""
        config = self._core.config
        if len(config["input_layers"]) == 1:
            config["input_layers"] = config["input_layers"][0]  # Keras writes a single input bare
        with_dtypes(config, self.dtype)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """A new, untrained model with the architecture ``config`` describes (a Keras functional config)."""
        from fastmlp.models.loading import model_from_config
        return model_from_config({"class_name": "Functional", "config": config}, custom_objects=custom_objects)

    def to_json(self, **kwargs):
        """Keras's ``model.to_json()``: the model's architecture (no weights) as Keras 3 serializes it,
        a JSON string that ``fastmlp.models.model_from_json`` and Keras's ``model_from_json`` read;
        ``kwargs`` go to ``json.dumps`` (``indent=2``)."""
        from fastmlp import saving
        return saving.model_to_json(self, **kwargs)

    def __reduce__(self):
        # A built model travels as the bytes of its model file (weights, compile and training state),
        # as Keras 3 pickles a model through its saved form; an unbuilt one as its architecture.
        if self.built:
            return (_from_bytes, (_dtypes.core_of(self._core).save_model_to_bytes(self._core, True),))
        return (type(self).from_config, (self.get_config(),))

    # ---- display ---------------------------------------------------------------------------------
    def summary(self, line_length=None, print_fn=None, **kwargs):
        """Prints Keras's table of layers, output shapes and parameter counts (and, for a functional
        model, what each layer is connected to)."""
        for line in summary_lines(self, line_length):
            (print_fn or print)(line)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}, layers={len(self._layers)}, built={self.built}>"


def with_dtypes(model_config, dtype):
    """Keras's per-layer "dtype" added to the layer configs of a core model config (and of the models
    used as layers in it), which the core leaves out (a model has one dtype)."""
    for entry in model_config.get("layers") or []:
        if entry.get("class_name") in layers_module._MODEL_CLASSES:
            with_dtypes(entry["config"], dtype)
        else:
            entry["config"]["dtype"] = dtype
    return model_config


def one_dtype(layers):
    """The dtype all of ``layers`` (layers, InputLayers, models used as layers) compute in; a ValueError
    naming each one's dtype when they differ (a model computes in one dtype)."""
    found = {}
    for layer in layers:
        found.setdefault(layer.dtype, []).append(layer.name)
    if len(found) > 1:
        listed = "; ".join(f"{dtype}: {', '.join(repr(name) for name in names)}" for dtype, names in found.items())
        raise ValueError(f"a model computes in one dtype, but its inputs and layers mix {' and '.join(found)} "
                         f"({listed}). Give every layer and Input the same dtype= (or leave dtype=None and call "
                         "fastmlp.config.set_floatx(...) before making them)")
    return next(iter(found), _dtypes.floatx())


def _is_traced_object(item):
    """A user's loss or metric (traced for the model's output), as opposed to a built-in one."""
    if item is None or getattr(item, "_core", None) is not None:
        return False
    return hasattr(item, "_traced_core") or hasattr(item, "update_state")


def _core_of(item, width, dtype, true_width=None):
    """The core loss or metric for compile(): a built-in one's own, a user's traced for ``width`` outputs
    and targets of ``true_width`` columns (default: the same width, as Keras's losses take them)."""
    if not _is_traced_object(item):
        return item._core
    true_width = width if true_width is None else true_width
    if hasattr(item, "_traced_core"):
        return item._traced_core(true_width, width, dtype)
    from fastmlp.tracing.functions import traced_stateful_metric_core
    return traced_stateful_metric_core(item, true_width, width, dtype)


def _target_width(loss, width):
    """The target columns the output's metrics get: what its built-in loss reads (one for sparse labels)."""
    core = getattr(loss, "_core", None)
    return core.target_columns(width) if core is not None and width is not None else width


def _sample_shapes(x):
    """The sample shape of each input in a model's first data: one array, a list of arrays, or a dict."""
    if isinstance(x, dict):
        values = list(x.values())
    elif isinstance(x, (list, tuple)) and len(x) > 1 and all(np.ndim(item) >= 2 for item in x) and \
            len({np.shape(item)[0] for item in x}) == 1 and not all(np.ndim(item) == 1 for item in x):
        values = list(x)
    else:
        values = [x]
    shapes = []
    for value in values:
        shape = np.shape(value)
        shapes.append(tuple(shape[1:]) if len(shape) > 1 else (1,))
    return shapes


def _test_batch_hooks(cbs):
    """The core's evaluation batch hooks for the callbacks that want them (none: no Python per batch)."""
    hooks = {}
    if cbs.wants("on_test_batch_begin"):
        hooks["on_batch_begin"] = lambda batch: cbs.on_test_batch_begin(batch, {})
    if cbs.wants("on_test_batch_end"):
        hooks["on_batch_end"] = lambda batch, logs: cbs.on_test_batch_end(batch, logs)
    return hooks


def _results(logs, return_dict):
    """Keras's return value: the dict, or [loss, *output losses, *metrics], or the loss alone."""
    if return_dict:
        return logs
    values = list(logs.values())
    return values[0] if len(values) == 1 else values


def _from_bytes(data_bytes):
    return Model._from_core(_core.load_model_from_bytes(data_bytes))
