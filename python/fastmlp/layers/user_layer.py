"""``fastmlp.Layer``: Keras's base class for your own layers.

Subclass it as in Keras: create weights with ``add_weight`` (in ``__init__`` or in ``build(input_shape)``),
compute in ``call(inputs)`` with ``fastmlp.ops`` (and your own sublayers). The first time the layer meets
data or a KerasTensor, ``call`` is traced once for that input shape into a graph the C++ core runs
forward and backward (a ``TracedLayer``): its weights then live in C++ memory like any layer's, every
optimizer trains them, model files keep them, and the Variables you hold view them. A call that uses
fastmlp's built-in layers is traced as a small functional model instead, each op a layer of it."""

import numpy as np

from fastmlp import _dtypes
from fastmlp._naming import snake_case, unique_name


class NeedsFunctionalTrace(Exception):
    """Raised inside a graph trace when the call uses a built-in layer: the trace restarts on KerasTensors."""


def _input_shape_of(value):
    """Keras's input_shape argument: a sample shape (without the batch)."""
    if value is None:
        return None
    return (int(value),) if isinstance(value, (int, np.integer)) else tuple(int(d) for d in value)


class Layer:
    """The base class of your own layers, with Keras's API: ``build(input_shape)``, ``add_weight``,
    ``call(inputs, training=None)``, ``compute_output_shape``, ``get_config``/``from_config``,
    ``add_loss``/``losses``, ``weights``/``trainable_weights``, ``trainable`` and ``dtype``."""

    def __init__(self, activity_regularizer=None, trainable=True, dtype=None, autocast=True, name=None,
                 input_shape=None, input_dim=None, **kwargs):
        kwargs.pop("batch_input_shape", None)
        for key in ("input_length",):
            kwargs.pop(key, None)
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unexpected arguments {', '.join(kwargs)}")
        state = self.__dict__
        state.setdefault("_tracked", [])
        state["_core"] = None
        state["_user_name"] = name if name is not None else unique_name(snake_case(type(self).__name__))
        state["_user_trainable"] = bool(trainable)
        state["_user_dtype"] = _dtypes.standardize(dtype, type(self).__name__)
        state["_input_shape"] = _input_shape_of((input_dim,) if input_dim is not None else input_shape)
        state["_user_built"] = False
        state["_traced_for"] = None         # the sample shapes call() was traced for
        state["_output_sample_shape"] = None
        state["_functional"] = None         # the functional model of a call that uses built-in layers
        state["_added_losses"] = []
        if activity_regularizer is not None:
            raise ValueError("activity_regularizer on a custom layer is not supported; call self.add_loss(...) "
                             "in call() instead")

    # ---- attributes Keras tracks ------------------------------------------------------------------
    def __setattr__(self, name, value):
        from fastmlp.variables import Variable
        if not name.startswith("_") and isinstance(value, (Layer, Variable)):
            tracked = self.__dict__.setdefault("_tracked", [])
            if not any(item is value for item in tracked):
                tracked.append(value)
        object.__setattr__(self, name, value)

    @property
    def name(self):
        return self.__dict__.get("_user_name") or type(self).__name__

    @name.setter
    def name(self, value):
        self.__dict__["_user_name"] = str(value)
        if self._core is not None:
            self._core.name = str(value)

    @property
    def dtype(self):
        return self.__dict__.get("_user_dtype", _dtypes.floatx())

    compute_dtype = variable_dtype = dtype

    @property
    def trainable(self):
        return self._user_trainable

    @trainable.setter
    def trainable(self, value):
        self.__dict__["_user_trainable"] = bool(value)
        if self._core is not None:
            self._core.trainable = bool(value)
        for item in self._tracked:
            if isinstance(item, Layer):
                item.trainable = value

    @property
    def built(self):
        return self._user_built

    @built.setter
    def built(self, value):
        self.__dict__["_user_built"] = bool(value)

    # ---- weights ---------------------------------------------------------------------------------------
    def add_weight(self, shape=None, initializer=None, dtype=None, trainable=True, autocast=True, regularizer=None,
                   constraint=None, aggregation="none", overwrite_with_gradient=False, name=None):
        """A new weight (a ``fastmlp.Variable``) of ``shape``, as Keras's add_weight: the initializer
        defaults to "glorot_uniform"; ``trainable=False`` keeps it out of training; a ``constraint``
        (fastmlp.constraints) projects it after each optimizer step, in C++."""
        from fastmlp.variables import Variable
        variable = Variable(initializer if initializer is not None else "glorot_uniform",
                            shape=tuple(shape) if shape is not None else (), dtype=dtype or self.dtype,
                            trainable=trainable, name=name if name is not None else "variable", regularizer=regularizer,
                            constraint=constraint)
        variable._path = f"{self.name}/{variable.name}"
        self.__dict__.setdefault("_tracked", []).append(variable)
        return variable

    add_variable = add_weight

    def _own_variables(self):
        from fastmlp.variables import Variable
        return [item for item in self._tracked if isinstance(item, Variable)]

    @property
    def weights(self):
        """This layer's Variables then its sublayers', trainable first as Keras orders them."""
        return self.trainable_weights + self.non_trainable_weights

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        own = [v for v in self._own_variables() if v.trainable]
        return own + [w for layer in self._sublayers() for w in layer.trainable_weights]

    @property
    def non_trainable_weights(self):
        own = [v for v in self._own_variables() if not v.trainable or not self.trainable]
        inner = [w for layer in self._sublayers()
                 for w in (layer.weights if not self.trainable else layer.non_trainable_weights)]
        return own + inner

    def _sublayers(self):
        return [item for item in self._tracked if isinstance(item, Layer)]

    def get_weights(self):
        return [np.array(w, copy=True) for w in self.weights]

    def set_weights(self, weights):
        from fastmlp.layers.layer import weight_list
        current, weights = self.weights, weight_list(weights)
        if len(weights) != len(current):
            raise ValueError(f"layer {self.name!r} expects {len(current)} weight arrays, got {len(weights)}")
        for index, (target, value) in enumerate(zip(current, weights)):
            if np.shape(value) != tuple(target.shape):
                raise ValueError(f"layer {self.name!r} weight {index} has shape {target.shape}, got {np.shape(value)}")
        for target, value in zip(current, weights):
            target.assign(value)

    def count_params(self):
        return int(sum(int(np.prod(w.shape)) for w in self.weights))

    # ---- losses ------------------------------------------------------------------------------------------
    def add_loss(self, loss):
        """Keras's add_loss: called in ``call``, adds ``loss`` (a number; a tensor is summed) to the model's
        loss for each batch, its gradient flowing through the graph. On arrays it is kept in ``losses``."""
        from fastmlp import ops
        from fastmlp.tracing import active
        from fastmlp.tracing.symbolic import is_traced
        tracer = active()
        if tracer is not None and is_traced(loss):
            tracer.added_losses.append(ops.sum(loss) if loss.ndim else loss)
        else:
            self.__dict__.setdefault("_added_losses", []).append(float(np.sum(np.asarray(loss))))

    @property
    def losses(self):
        """The weight penalties of this layer's regularized weights, for their current values, and the
        losses its last call on arrays added."""
        from fastmlp import regularizers
        values = list(self.__dict__.get("_added_losses", []))
        for variable in self._own_variables():
            if variable._regularizer is not None:
                values.append(float(regularizers.get(variable._regularizer)(np.asarray(variable))))
        return values + [v for layer in self._sublayers() for v in layer.losses]

    # ---- what a subclass writes ------------------------------------------------------------------------
    def build(self, input_shape):
        """Creates the weights for inputs of ``input_shape``; by default nothing to create."""
        self.built = True

    def call(self, inputs, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define call(self, inputs)")

    def compute_output_shape(self, input_shape):
        """The output's shape for ``input_shape``, found by tracing call (Keras infers it the same way)."""
        shapes = input_shape if input_shape and isinstance(input_shape[0], (list, tuple)) else [input_shape]
        self._trace([tuple(s)[1:] for s in shapes])
        return (None, *self._output_sample_shape)

    def get_config(self):
        """Keras's base config: the name, trainable flag and dtype. A subclass whose ``__init__`` takes
        arguments adds them (``{**super().get_config(), "units": self.units}``)."""
        return {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    # ---- calling -------------------------------------------------------------------------------------------
    def __call__(self, inputs, *args, **kwargs):
        from fastmlp.layers import calling
        from fastmlp.layers.keras_tensor import is_symbolic
        from fastmlp.tracing.symbolic import is_traced
        kwargs.pop("mask", None)
        if is_traced(inputs):  # inside another layer's trace: this call is part of that graph
            self._ensure_built([tuple(x.shape) for x in (inputs if isinstance(inputs, (list, tuple)) else [inputs])])
            return self.call(inputs, *args, **kwargs)
        tensors = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if is_symbolic(inputs):
            self._trace([tuple(t.shape[1:]) for t in tensors])
            if self._functional is not None:
                return self._functional(inputs)
            return calling.call_symbolic(self, inputs)
        arrays = [np.asarray(a) for a in tensors]
        for array in arrays:
            if array.ndim < 1:
                raise ValueError(f"layer {self.name!r} takes a batch of samples, got a scalar")
        self._trace([a.shape[1:] for a in arrays])
        if self._functional is not None:
            return self._functional(inputs, training=bool(kwargs.get("training")))
        flat = [a.reshape(len(a), -1) for a in arrays]
        out = calling.call_eager(self, flat if len(flat) > 1 else flat[0], bool(kwargs.get("training")))
        return out.reshape(len(out), *self._output_sample_shape)  # an EagerArray, as call_eager's

    def _ensure_built(self, shapes):
        """Keras's first call: build(input_shape) with the batch axis as None."""
        if not self.built:
            input_shape = shapes[0] if len(shapes) == 1 else shapes
            self.build(input_shape)
            self.built = True

    def _trace(self, sample_shapes):
        """Traces call() for inputs of these sample shapes into the core (once: a layer keeps the shapes
        of its first call, as a Keras layer keeps the weights it built for them)."""
        from fastmlp.layers import tracing_layers
        sample_shapes = [tuple(int(d) for d in s) for s in sample_shapes]
        if self._traced_for is not None:
            if sample_shapes != self._traced_for:
                raise ValueError(f"layer {self.name!r} was traced for inputs of sample shape(s) {self._traced_for}, "
                                 f"it is called on {sample_shapes} (a layer keeps the shapes of its first call)")
            return
        tracing_layers.trace_layer(self, sample_shapes)

    def _layer_core(self):
        if self._core is None:
            if self._input_shape is None:
                raise ValueError(f"layer {self.name!r} is traced when it first meets data: give the model an "
                                 "input shape (Input(...) or input_shape=) before using it")
            self._trace([self._input_shape])
        if self._functional is not None:
            return self._functional._layer_core()
        return self._core

    def _build(self):
        """The model built this layer's core: nothing left to run (the weights moved in when traced)."""

    @property
    def input_shape(self):
        return None if self._traced_for is None else (None, *self._traced_for[0])

    @property
    def output_shape(self):
        return None if self._output_sample_shape is None else (None, *self._output_sample_shape)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"
