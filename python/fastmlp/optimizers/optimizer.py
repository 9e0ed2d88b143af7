"""The base class of every optimizer: a core optimizer, whose state lives next to the weights it updates.

Every optimizer takes Keras's common arguments: ``weight_decay`` (decoupled: ``w -= w * wd * lr``),
``clipnorm``, ``clipvalue``, ``global_clipnorm``, and a ``learning_rate`` that may be a schedule from
``fastmlp.optimizers.schedules``.
"""

import inspect
import numbers
import weakref

import numpy as np

from fastmlp import _registered
from fastmlp.optimizers import schedules
from fastmlp.variables import Variable

_KEYWORD = inspect.Parameter.POSITIONAL_OR_KEYWORD
# The arguments every optimizer's config has, which Keras's signatures put after the type's own.
_COMMON = ("weight_decay", "clipnorm", "clipvalue", "global_clipnorm")
# Keras 3 arguments for features fastmlp does not have, accepted at their defaults.
_UNSUPPORTED = {"use_ema": False, "ema_momentum": 0.99, "ema_overwrite_frequency": None,
                "loss_scale_factor": None, "gradient_accumulation_steps": None}


def signature(class_name):
    """Keras's order: learning_rate, the optimizer's own arguments, the common ones, then name."""
    found = _registered.entries("optimizer")[class_name]
    defaults = found["defaults"]
    own = [key for key in defaults if key not in ("name", "learning_rate", *_COMMON)]
    order = ["learning_rate", *own, *_COMMON]
    parameters = [inspect.Parameter(key, _KEYWORD, default=defaults[key]) for key in order]
    parameters += [inspect.Parameter(key, _KEYWORD, default=value) for key, value in _UNSUPPORTED.items()]
    parameters.append(inspect.Parameter("name", _KEYWORD, default=defaults["name"]))
    return inspect.Signature(parameters)


def _learning_rate(value):
    if isinstance(value, schedules.LearningRateSchedule):
        return value.serialize()
    if isinstance(value, dict) and "class_name" in value:
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"learning_rate must be a number or a fastmlp.optimizers.schedules schedule, got {value!r}")
    return float(value)


class Optimizer(_registered.CoreView):
    """Base class of the optimizers: Keras's update rules, run by the C++ core."""

    _kind = "optimizer"

    def _create(self, arguments):
        for key, default in _UNSUPPORTED.items():
            if arguments.pop(key) != default:
                raise ValueError(f"{type(self).__name__} {key} is not supported by fastmlp; leave it at {default!r}")
        arguments["learning_rate"] = _learning_rate(arguments["learning_rate"])
        super()._create(arguments)

    @property
    def name(self):
        return self._core.config["name"]

    @property
    def learning_rate(self):
        """The rate of the next update (the schedule's value at the current step, if one is set)."""
        return self._core.learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        if isinstance(value, schedules.LearningRateSchedule):
            self._core.set_schedule(value._core)
            return
        if self._core.has_schedule:
            # As Keras: a number would silently discard the schedule the optimizer was built with.
            raise TypeError("This optimizer was created with a LearningRateSchedule as its learning_rate, "
                            "hence its learning rate is not settable to a number. Create the optimizer with a "
                            "float learning_rate if you need to set it (LearningRateScheduler, "
                            "ReduceLROnPlateau), or assign another schedule.")
        self._core.learning_rate = _learning_rate(value)

    @property
    def iterations(self):
        """Number of update steps taken (one per batch)."""
        return self._core.iterations

    def get_config(self):
        return {**super().get_config(), **_UNSUPPORTED}

    def _attach(self, model):
        """Remembers the model this optimizer was compiled with, whose weights its slots follow."""
        self._model = weakref.ref(model)

    @property
    def variables(self):
        """Keras's ``optimizer.variables``, as read-only fastmlp.Variables: ``iteration``, the
        ``learning_rate`` (unless it is a schedule), then, once the model has trained, the slots of every
        trainable weight (Adam's ``dense_kernel_momentum``, ...) viewing the C++ state, in Keras's order."""
        def constant(read, dtype):
            def value():
                array = np.asarray(read(), dtype)
                array.flags.writeable = False  # a copy of a C++ number: writing into it would change nothing
                return array
            return value

        variables = [Variable._view(constant(lambda: self._core.iterations, np.int64), "iteration",
                                    f"{self.name}/iteration", trainable=False)]
        if not self._core.has_schedule:
            variables.append(Variable._view(constant(lambda: self._core.learning_rate, np.float32), "learning_rate",
                                            f"{self.name}/learning_rate", trainable=False))
        model = self.__dict__.get("_model")
        model = model() if model is not None else None
        if model is None or self._core.iterations == 0 or not model._core.compiled:
            return variables
        from fastmlp._interop import fastmlp_models, optimizer_variables
        slots, trainable = {}, []
        for index, (layer_index, weight) in enumerate(model._core.optimizer_parameters):
            layer = model._layers[layer_index]
            trainable.append((layer.name, weight))
            shape = layer._weight_view(weight).shape
            for position, slot in enumerate(self._core.slot_names):
                slot = fastmlp_models._KERAS_SLOT_NAMES.get((self._core.class_name, slot), slot)
                name = f"{layer.name}_{weight}_{slot}"
                slots[name] = Variable._view(lambda index=index, position=position:
                                             self._core.slots(index, model.dtype)[position],
                                             name, f"{self.name}/{name}", trainable=False, shape=shape)
        for key in self._core.extra_state:
            slots[key] = Variable._view(constant(lambda key=key: self._core.extra_state[key], np.float32), key,
                                        f"{self.name}/{key}", trainable=False)
        names = optimizer_variables.variable_names(self._core.class_name, self.get_config(), trainable)
        known = [variable.name for variable in variables]
        if names is not None and set(names) == set(known) | set(slots):
            return variables + [slots[name] for name in names if name in slots]
        return variables + list(slots.values())
