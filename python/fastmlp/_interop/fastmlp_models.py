"""A model graph made into a real fastmlp model (C++-backed, trainable), and a fastmlp model made into a graph.

Every import (Keras files, scikit-learn, PyTorch) ends in ``model_from_graph``; every export (Keras
files, ONNX, scikit-learn) starts from ``graph_from_model``. The two translate between Keras's layer
configs, which the graph holds, and fastmlp's, which the core's registry describes: the same names and
defaults wherever fastmlp has the option, and an error naming the option where a file sets one that
fastmlp lacks (rather than a model that silently computes something else).
"""

import copy
import inspect
import warnings

import numpy as np

from fastmlp import _dtypes, _registered
from fastmlp._interop import activations, layer_catalog, optimizer_variables, shapes
from fastmlp._interop.errors import ModelFileError, UnsupportedLayerError
from fastmlp._interop.graph import CompileState, LayerNode, ModelGraph, OptimizerState, TensorRef, sequential

# Keras layers fastmlp computes with its Activation layer: (activation name, the config keys it takes).
_ACTIVATION_LAYERS = {"ReLU": ("relu", ("negative_slope", "max_value", "threshold")),
                      "LeakyReLU": ("leaky_relu", ("negative_slope",)),
                      "ELU": ("elu", ("alpha",)),
                      "Identity": ("linear", ())}
# Keras operations (keras.ops called on a functional model's tensors) fastmlp reads as its Activation layer.
_ACTIVATION_OPS = {"Glu": ("glu", ("axis",))}
# Keras options that mean something only when another one is set (renorm's momentum without renorm).
_USED_ONLY_WITH = {"renorm_momentum": "renorm", "renorm_clipping": "renorm"}
# Slots fastmlp's core names otherwise than Keras's variables (its model files keep the core's names).
_KERAS_SLOT_NAMES = {("Adamax", "m"): "momentum", ("Adamax", "u"): "norm"}
# Keys of Keras's serialised objects that say where Keras finds the class; fastmlp's registry needs neither.
_KERAS_LOCATORS = ("module", "registered_name")


def _strip_locators(value):
    if isinstance(value, dict):
        return {key: _strip_locators(item) for key, item in value.items() if key not in _KERAS_LOCATORS}
    if isinstance(value, list):
        return [_strip_locators(item) for item in value]
    return value


def _fastmlp_defaults(kind, class_name):
    """fastmlp's defaults for the type of ``kind`` Keras calls ``class_name``, or None if fastmlp has none."""
    entry = _registered.entries(kind).get(class_name)
    return None if entry is None else entry["defaults"]


# ---- Keras's config -> fastmlp's ------------------------------------------------------------------------
def _activation(value, where):
    """A Keras activation (any form parse_activation reads) as fastmlp's config value."""
    name, parameters = activations.parse_activation(value, where)
    if _fastmlp_defaults("activation", name) is None:
        have = sorted(_registered.entries("activation"))
        raise UnsupportedLayerError("activation", name, where, hint=f"fastmlp's activations are {', '.join(have)}")
    return activations.format_activation(name, parameters)


def _initializer(value, where):
    """A Keras initializer as fastmlp's: the parameters fastmlp's has; newer Keras parameters only when unset."""
    defaults = _fastmlp_defaults("initializer", value.get("class_name"))
    if defaults is None:
        raise UnsupportedLayerError("initializer", value.get("class_name"), where)
    config = value.get("config") or {}
    extra = {key: item for key, item in config.items() if key not in defaults and item is not None}
    if extra:
        raise UnsupportedLayerError(f"{value['class_name']} option", repr(extra), where)
    return {"class_name": value["class_name"], "config": {k: v for k, v in config.items() if k in defaults}}


def _layer_config(node):
    """``(fastmlp class name, fastmlp config)`` for a Keras layer node.

    Raises:
        UnsupportedLayerError: for a Keras option set to a value fastmlp cannot compute, naming it.
    """
    where = f"layer {node.name!r}"
    class_name = node.class_name
    config = layer_catalog.with_defaults(class_name, node.config)
    if class_name in _ACTIVATION_LAYERS or class_name in _ACTIVATION_OPS:
        function, keys = {**_ACTIVATION_LAYERS, **_ACTIVATION_OPS}[class_name]
        parameters = {key: config[key] for key in keys}
        return "Activation", {"name": node.name, "trainable": node.trainable,
                              "activation": _activation({"class_name": function, "config": parameters}, where)}
    defaults = _fastmlp_defaults("layer", class_name)
    if defaults is None:
        raise UnsupportedLayerError("Keras layer", class_name, where)
    catalog = layer_catalog.DEFAULTS.get(class_name, {})
    translated = {}
    for key, value in _strip_locators(config).items():
        if key == "activation":
            value = _activation(value, where)
        elif key == "axis" and isinstance(value, list) and len(value) == 1:
            value = value[0]  # Keras's normalisation layers write one axis as a list
        elif key == "data_format" and value == "channels_last":
            value = None  # Keras's default; fastmlp names it None
        elif key.endswith("_initializer") and isinstance(value, dict):
            value = _initializer(value, f"{where}, {key}")
        if key in defaults:
            translated[key] = value
        elif key == "dtype" or not config.get(_USED_ONLY_WITH.get(key), True):
            continue
        elif (_strip_locators(catalog[key]) == value) if key in catalog else value in (None, False):
            continue  # an option fastmlp lacks, at Keras's default (off, for options newer than the catalogue)
        else:
            raise UnsupportedLayerError(f"{class_name} option", f"{key}={value!r}", where,
                                        hint="fastmlp computes this layer only with that option at Keras's default")
    return class_name, translated


def _unshared_prelu(node, input_shape):
    """A PReLU whose slopes are shared across feature axes (torch's default ``nn.PReLU()``) as fastmlp's
    PReLU of one slope per feature, the shared slopes repeated: the same function, but training moves
    the copies apart, so the caller is warned."""
    features = tuple(int(d) for d in input_shape[1:])
    alpha = np.asarray(node.weights["alpha"])
    repeated = np.broadcast_to(alpha.reshape(alpha.shape + (1,) * (len(features) - alpha.ndim)), features)
    warnings.warn(f"layer {node.name!r}: PReLU shares its slope across axes {node.config['shared_axes']}, which "
                  "fastmlp's PReLU does not; each feature gets a copy of the slope (the same predictions, but "
                  "training adjusts the copies separately)", UserWarning, stacklevel=4)
    config = {key: value for key, value in node.config.items() if key != "shared_axes"}
    return LayerNode(node.class_name, config, node.inbound, {"alpha": np.ascontiguousarray(repeated)})


def _fastmlp_layer(node, dtype):
    from fastmlp import layers
    class_name, config = _layer_config(node)
    try:
        return getattr(layers, class_name).from_config({**config, "dtype": dtype})
    except (TypeError, ValueError) as error:
        raise ModelFileError(f"layer {node.name!r} ({node.class_name}): {error}") from None


def model_from_graph(graph, compile=True):
    """A fastmlp Sequential or functional Model computing what ``graph`` describes, with its weights and,
    when ``compile`` and the graph has one, its compile state and optimizer variables. It computes in
    the dtype the layers' configs name (``graph.dtype``: float64 for Keras's float64 layers, else float32).

    Raises:
        UnsupportedLayerError: for a layer, activation or option fastmlp lacks, naming it.
        ModelFileError: for weights or optimizer state that do not fit the model.
    """
    from fastmlp.layers import Input
    from fastmlp.models import Model, Sequential
    graph.validate()
    shared = [node for node in graph.layers if node.class_name == "PReLU" and node.config.get("shared_axes")]
    if shared:
        shape_of = shapes.infer_shapes(graph)
        replaced = {node.name: _unshared_prelu(node, shape_of[node.inbound[0].layer]) for node in shared}
        graph = copy.copy(graph)
        graph.layers = [replaced.get(node.name, node) for node in graph.layers]
    try:
        dtype = graph.dtype
    except ValueError as error:
        raise ModelFileError(str(error)) from None
    made = {}  # layer name -> the fastmlp layer
    tensors = {}
    for node in graph.layers:
        if node.class_name == "InputLayer":
            shape = tuple(node.config["batch_shape"][1:])
            tensors[node.name] = Input(shape, name=node.name, dtype=dtype)
            continue
        layer = made[node.name] = _fastmlp_layer(node, dtype)
        if graph.kind == "Functional":
            arguments = [tensors[ref.layer] for ref in node.inbound]
            tensors[node.name] = layer(arguments if node.class_name in layer_catalog.MERGE_LAYERS else arguments[0])
    if graph.kind == "Sequential":
        model = Sequential([tensors[graph.inputs[0].layer], *made.values()], name=graph.name)
    else:
        inputs = [tensors[ref.layer] for ref in graph.inputs]
        outputs = [tensors[ref.layer] for ref in graph.outputs]
        model = Model(_as_given(inputs, graph.input_keys), _as_given(outputs, graph.output_keys), name=graph.name)
    for node in graph.layers:
        if node.weights:
            try:
                made[node.name].set_weights([np.asarray(w, _dtypes.numpy_dtype(dtype)) for w in node.weights.values()])
            except ValueError as error:
                raise ModelFileError(f"layer {node.name!r}: its weights do not fit it ({error})") from None
    if compile and graph.compile is not None:
        _compile(model, graph.compile)
    return model


def _as_given(tensors, keys):
    """Tensors as Keras's model was given them: a dict by key, a list, or one tensor alone."""
    if keys is not None:
        return dict(zip(keys, tensors))
    return tensors if len(tensors) > 1 else tensors[0]


def _optimizer(state):
    from fastmlp import optimizers
    if not hasattr(optimizers, state.class_name) or _fastmlp_defaults("optimizer", state.class_name) is None:
        raise UnsupportedLayerError("optimizer", state.class_name, hint="compile the loaded model again with one "
                                    "fastmlp has, or load it with compile=False")
    if not isinstance(state.config, dict):
        raise ModelFileError(f"the {state.class_name} optimizer's config is {type(state.config).__name__}, not a dict")
    cls = getattr(optimizers, state.class_name)
    accepted = inspect.signature(cls).parameters
    config = {}
    for key, value in _strip_locators(state.config).items():
        if key in accepted:
            config[key] = value
        elif key != "is_legacy_optimizer" and value not in (None, False):
            raise UnsupportedLayerError(f"{state.class_name} option", f"{key}={value!r}",
                                        hint=f"fastmlp's {state.class_name} takes {', '.join(accepted)}")
    try:
        return cls.from_config(config)
    except (TypeError, ValueError) as error:
        raise ModelFileError(f"the {state.class_name} optimizer's config cannot be restored ({error})") from None


def _compile(model, state):
    from fastmlp import losses, metrics
    optimizer = _optimizer(state.optimizer) if state.optimizer is not None else "rmsprop"
    try:
        model.compile(optimizer=optimizer, loss=_deserialized(_strip_locators(state.loss), losses),
                      loss_weights=state.loss_weights,
                      metrics=_deserialized(_strip_locators(state.metrics), metrics),
                      weighted_metrics=_deserialized(_strip_locators(state.weighted_metrics), metrics))
    except (TypeError, ValueError) as error:
        raise ModelFileError(f"the model's compile configuration cannot be restored ({error}); load it with "
                             "compile=False and compile it again") from None
    if state.optimizer is not None and state.optimizer.variables:
        _restore_optimizer_variables(model, state.optimizer)


def _deserialized(value, module):
    """Keras's serialised losses and metrics ({"class_name", "config"}, possibly inside lists and dicts)
    as fastmlp objects; names stay names. Keras options fastmlp's class lacks are dropped when unset
    (None, False, the dtype) and refused otherwise."""
    if isinstance(value, dict) and "class_name" in value:
        cls = getattr(module, str(value["class_name"]), None)
        if not isinstance(cls, type):  # absent, or a function of the module ("get", "serialize")
            return module.get(value)  # raises, naming what fastmlp has
        accepted = inspect.signature(cls).parameters
        config = {}
        options = value.get("config") or {}
        if not isinstance(options, dict):
            raise ModelFileError(f"the config of {value['class_name']} is {type(options).__name__}, not a dict")
        for key, item in options.items():
            if key in accepted:
                config[key] = item
            elif key != "dtype" and item not in (None, False):
                raise UnsupportedLayerError(f"{value['class_name']} option", f"{key}={item!r}")
        return cls.from_config(config)
    if isinstance(value, dict):
        return {key: _deserialized(item, module) for key, item in value.items()}
    if isinstance(value, list):
        return [_deserialized(item, module) for item in value]
    return value


def _restore_optimizer_variables(model, state):
    """Puts Keras's optimizer variables (``iteration``, ``learning_rate``, ``<layer>_<weight>_<slot>``)
    into the fastmlp optimizer, so that ``fit`` continues as Keras would have."""
    core = model._core
    variables = state.variables
    optimizer = core.optimizer
    iteration = _scalar(variables, "iteration", state.class_name, integer=True)
    if "learning_rate" in variables and not optimizer.has_schedule:
        # A callback may have changed it since the config was written.
        optimizer.learning_rate = _scalar(variables, "learning_rate", state.class_name)
    parameters = core.optimizer_parameters
    slot_names = [_KERAS_SLOT_NAMES.get((optimizer.class_name, slot), slot) for slot in optimizer.slot_names]
    wanted = [f"{core.layers[index].name}_{weight}_{slot}" for index, weight in parameters for slot in slot_names]
    present = [name in variables for name in wanted]
    built = set(variables) - {"iteration", "learning_rate"}  # a Keras optimizer that never stepped has no slots
    if (any(present) or built) and not all(present):
        missing = [name for name, there in zip(wanted, present) if not there]
        raise ModelFileError(f"the {state.class_name} optimizer's state lacks {missing[:3]}: it does not fit the "
                             "model's trainable weights")
    slots = []
    if any(present):
        per = len(slot_names)
        float_type = _dtypes.numpy_dtype(model.dtype)
        slots = [[np.ascontiguousarray(variables[name], float_type) for name in wanted[i * per:(i + 1) * per]]
                 for i in range(len(parameters))]
    extra = {key: _scalar(variables, key, state.class_name) for key in ("u_product",) if key in variables}
    try:
        core.restore_optimizer_state(iteration, slots, extra or None)
    except ValueError as error:
        raise ModelFileError(f"the {state.class_name} optimizer's state does not fit the model ({error})") from None


def _scalar(variables, key, class_name, integer=False):
    """An optimizer's scalar variable as a float (an int when ``integer``: a step count, 0 when absent);
    ModelFileError for an array, a non-finite value, a fraction or a negative count."""
    value = np.asarray(variables.get(key, 0))
    if value.size != 1 or value.dtype.kind not in "biuf":
        raise ModelFileError(f"the {class_name} optimizer's {key} should be one number, the file holds an array "
                             f"of shape {value.shape} and dtype {value.dtype}")
    number = float(value.reshape(()))
    if not np.isfinite(number) or (integer and (number < 0 or number != int(number) or number >= 2.0**63)):
        wanted = "a step count (a whole number from 0 to 2**63 - 1)" if integer else "finite"
        raise ModelFileError(f"the {class_name} optimizer's {key} is {number!r}; it must be {wanted}")
    return int(number) if integer else number


# ---- fastmlp's config -> Keras's ------------------------------------------------------------------------
def _with_locators(value, module):
    """fastmlp's {"class_name", "config"} form of an initializer or regularizer with the locators Keras writes."""
    if isinstance(value, dict) and "class_name" in value and "config" in value:
        return {"module": module, "class_name": value["class_name"], "config": value["config"], "registered_name": None}
    return value


def _keras_activation_layer(name, config):
    """Keras's ReLU, LeakyReLU or ELU layer for fastmlp's Activation layer of a parameterised relu,
    leaky_relu or elu (which Keras's Activation layer cannot name), else None."""
    value = config.get("activation")
    if not isinstance(value, dict):
        return None
    function, parameters = activations.parse_activation(value, f"layer {name!r}")
    for class_name, (keras_function, keys) in _ACTIVATION_LAYERS.items():
        if keras_function == function and keys and activations.format_activation(function, parameters) != function:
            keras_config = layer_catalog.make_config(class_name, name, **{key: parameters[key] for key in keys})
            keras_config["trainable"] = bool(config.get("trainable", True))
            return class_name, keras_config
    return None


def _keras_layer(layer):
    """``(Keras class name, Keras config)`` of a fastmlp layer, with its dtype as Keras's config holds it."""
    class_name, config = _keras_layer_config(layer)
    config["dtype"] = layer.dtype
    return class_name, config


def _keras_layer_config(layer):
    config = layer.get_config()
    if type(layer).__name__ == "Activation":
        as_layer = _keras_activation_layer(config["name"], config)
        if as_layer is not None:
            return as_layer
    class_name = layer._layer_core().class_name
    layer_catalog.check_supported(class_name, where=f"layer {config['name']!r}")
    catalog = layer_catalog.DEFAULTS[class_name]
    values = {}
    for key, value in config.items():
        if key in ("name", "trainable", "dtype"):
            continue
        if key == "axis" and isinstance(catalog.get("axis"), list):
            value = [value]
        elif key == "data_format" and value is None:
            value = "channels_last"
        elif key.endswith("_initializer"):
            value = _with_locators(value, "keras.initializers")
        elif key.endswith("_regularizer"):
            value = _with_locators(value, "keras.regularizers")
        if key in catalog:
            values[key] = value
        elif value is not None:
            raise ValueError(f"layer {config['name']!r} ({class_name}) sets {key}={value!r}, which a Keras file "
                             "cannot hold")
    keras_config = layer_catalog.make_config(class_name, config["name"], **values)
    keras_config["trainable"] = bool(config.get("trainable", True))
    return class_name, keras_config


def _keras_node(layer, inbound):
    from fastmlp.layers.layer import CoreLayer
    from fastmlp.layers.user_layer import Layer
    if isinstance(layer, Layer) and not isinstance(layer, CoreLayer):
        raise ValueError(f"layer {layer.name!r} is a {type(layer).__name__}, a layer written in Python (traced by "
                         "fastmlp); Keras and ONNX files cannot hold those yet: save the model as .fmlp, which keeps "
                         "the traced graph and loads in Python and C++")
    class_name, config = _keras_layer(layer)
    arrays = layer.get_weights()
    names = layer_catalog.weight_names(class_name, config)
    if len(names) != len(arrays):
        raise ValueError(f"layer {layer.name!r} holds {len(arrays)} weight arrays where Keras's {class_name} holds "
                         f"{len(names)} ({names})")
    return LayerNode(class_name, config, inbound, dict(zip(names, arrays)))


def graph_from_model(model, include_optimizer=True):
    """The graph of a built fastmlp model, with its weights and (when compiled) its compile state.

    Raises:
        ValueError: for a model a graph cannot describe (unbuilt, a layer called twice, a model used as a
            layer), saying what to change.
    """
    from fastmlp.models import Model, Sequential
    if not model.built:
        raise ValueError("the model has no weights yet: give it Input((features,)) or fit it first")
    core = model._core
    layers = model._layers
    for layer in layers:
        if isinstance(layer, Model):
            raise ValueError(f"layer {layer.name!r} is a model used as a layer; another tool's file cannot hold "
                             "that: rebuild it as one flat model")
    if isinstance(model, Sequential):
        shape = [None, *model.input_shape[1:]]
        first = ("InputLayer", layer_catalog.make_config("InputLayer", core.input_names[0], batch_shape=shape,
                                                         dtype=model.dtype), {})
        graph = sequential([first, *[_sequential_triple(layer) for layer in layers]], name=model.name)
    else:
        nodes = [LayerNode("InputLayer", layer_catalog.make_config("InputLayer", name, batch_shape=[None, *shape],
                                                                   dtype=model.dtype))
                 for name, shape in zip(core.input_names, core.input_shapes)]
        tensor_names = [node.name for node in nodes]
        called = set()
        for layer_index, sources in core.calls:
            if layer_index in called:
                raise ValueError(f"layer {layers[layer_index].name!r} is called more than once (a shared layer); "
                                 "another tool's file cannot hold that")
            called.add(layer_index)
            node = _keras_node(layers[layer_index], [TensorRef(tensor_names[s]) for s in sources])
            nodes.append(node)
            tensor_names.append(node.name)
        graph = ModelGraph(nodes, [TensorRef(name) for name in tensor_names[:len(core.input_names)]],
                           [TensorRef(tensor_names[t]) for t in core.outputs], name=model.name, kind="Functional",
                           input_keys=model._input_keys, output_keys=model._output_keys)
    graph.validate()
    if core.compiled:
        graph.compile = _compile_state(model, graph, include_optimizer)
    return graph


def _sequential_triple(layer):
    node = _keras_node(layer, [])
    return node.class_name, node.config, node.weights


def _keras_identifier(identifier, kind):
    """A loss or metric as Keras's compile_config holds it: its name, or its serialised object."""
    if identifier is None or isinstance(identifier, str):
        return identifier
    return {"module": f"keras.{kind}", "class_name": type(identifier).__name__,
            "config": copy.deepcopy(identifier.get_config()), "registered_name": None}


def _compile_state(model, graph, include_optimizer):
    core = model._core
    optimizer = core.optimizer
    config = {**optimizer.config, "use_ema": False, "ema_momentum": 0.99, "ema_overwrite_frequency": None,
              "loss_scale_factor": None, "gradient_accumulation_steps": None}
    if isinstance(config.get("learning_rate"), dict):
        schedule = config["learning_rate"]
        config["learning_rate"] = {"module": "keras.optimizers.schedules", "class_name": schedule["class_name"],
                                   "config": schedule["config"], "registered_name": None}
    variables = {}
    if include_optimizer:
        variables = _keras_optimizer_variables(model, optimizer, config, graph)
    from fastmlp import losses, metrics
    # Asked of the core, whatever compile() was given: a loss or metric made from a name is written as
    # the name, which Keras resolves as fastmlp did ("accuracy" by the loss).
    loss = [_keras_identifier(losses.identifier_of(item), "losses") for item in core.losses]
    per_output = [[_keras_identifier(metrics.identifier_of(item), "metrics") for item in items]
                  for items in core.output_metrics]
    single = len(loss) == 1
    return CompileState(optimizer=OptimizerState(optimizer.class_name, config, variables),
                        loss=loss[0] if single else loss,
                        metrics=(per_output[0] if single else per_output) if any(per_output) else None,
                        loss_weights=None if single else list(core.loss_weights))


def _keras_optimizer_variables(model, optimizer, config, graph):
    """Keras's variables for fastmlp's optimizer state, named by Keras's rules (empty before any step,
    as a Keras optimizer that was never built has no slots either)."""
    core = model._core
    if optimizer.iterations == 0:
        return {}
    variables = {"iteration": np.asarray(optimizer.iterations, np.int64)}
    if not optimizer.has_schedule:
        variables["learning_rate"] = np.asarray(optimizer.learning_rate, np.float32)
    shapes = {(node.name, name): array.shape for node in graph.layers for name, array in node.weights.items()}
    float_type = _dtypes.numpy_dtype(model.dtype)  # Keras keeps a slot in its variable's dtype
    for index, (layer_index, weight) in enumerate(core.optimizer_parameters):
        layer = core.layers[layer_index].name
        for slot, array in zip(optimizer.slot_names, optimizer.slots(index, model.dtype)):
            slot = _KERAS_SLOT_NAMES.get((optimizer.class_name, slot), slot)
            variables[f"{layer}_{weight}_{slot}"] = np.array(array, float_type).reshape(shapes[(layer, weight)])
    for key, value in optimizer.extra_state.items():
        variables[key] = np.asarray(value, np.float32)
    # Keras's order, which the writer relies on; a name fastmlp has that Keras's layout lacks is an error there.
    names = optimizer_variables.variable_names(optimizer.class_name, config, graph.trainable_weights())
    if names is not None and set(names) != set(variables):
        raise ValueError(f"fastmlp's {optimizer.class_name} state ({sorted(variables)[:4]} ...) does not map onto "
                         f"Keras's ({names[:4]} ...); save with include_optimizer=False")
    return variables
