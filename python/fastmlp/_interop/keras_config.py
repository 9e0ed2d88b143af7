"""Keras's model config (config.json of a .keras file, ``model_config`` of a legacy .h5) to and from a graph.

Reading accepts what Keras 3 writes and the older forms Keras 2 wrote (``batch_input_shape``,
``inbound_nodes`` as nested lists, ``Model`` for a functional model); writing produces what Keras 3
writes, in the layer order Keras will rebuild (see ``ModelGraph.keras_order``).
"""

import copy
import warnings

from fastmlp._interop import activations, custom_layers, layer_catalog, shapes
from fastmlp._interop.errors import MALFORMED_CONFIG_ERRORS, ModelFileError, UnsupportedLayerError
from fastmlp._interop.graph import CompileState, LayerNode, ModelGraph, OptimizerState, TensorRef, walk_back


def _strip_object_ids(value):
    """Drops Keras's ``shared_object_id``s: process-local ids that only de-duplicate objects in one file."""
    if isinstance(value, dict):
        return {key: _strip_object_ids(item) for key, item in value.items() if key != "shared_object_id"}
    if isinstance(value, list):
        return [_strip_object_ids(item) for item in value]
    return value


def _layer_config(entry, where):
    class_name = entry.get("class_name") if isinstance(entry, dict) else None
    config = entry.get("config") if isinstance(entry, dict) else None
    if not isinstance(class_name, str) or not isinstance(config, dict):
        raise ModelFileError(f"{where}: a layer entry lacks its class_name or config")
    custom = custom_layers.registered_class(entry) is not None  # a user's layer, registered by name
    if not custom:
        layer_catalog.check_supported(class_name, where=f"layer {config.get('name', entry.get('name'))!r} in {where}")
    config = _strip_object_ids(copy.deepcopy(config))
    if "name" not in config and isinstance(entry.get("name"), str):
        config["name"] = entry["name"]
    if not isinstance(config.get("name"), str):
        raise ModelFileError(f"{where}: a {class_name} layer has no name")
    if not custom:
        _upgrade_keras2(class_name, config)
    return class_name, config


def _upgrade_keras2(class_name, config):
    """Renames the keys Keras 2 used to Keras 3's, in place."""
    if "batch_input_shape" in config:
        batch_shape = config.pop("batch_input_shape")
        if class_name == "InputLayer":
            config["batch_shape"] = batch_shape
        else:
            config["_batch_input_shape"] = batch_shape  # the Sequential reader turns it into an InputLayer
    if class_name == "LeakyReLU" and "alpha" in config:
        config["negative_slope"] = config.pop("alpha")
    if class_name == "BatchNormalization" and isinstance(config.get("axis"), list) and len(config["axis"]) == 1:
        config["axis"] = config["axis"][0]  # Keras 2 wrote a one-element list
    if class_name == "InputLayer":
        for key in ("sparse", "ragged"):
            config[key] = bool(config.get(key, False))


def _keras_history(tensor, where):
    """``(layer, node index, tensor index)`` of a serialised inbound tensor, Keras 3's or Keras 2's form."""
    if isinstance(tensor, dict) and tensor.get("class_name") == "__keras_tensor__":
        history = tensor.get("config", {}).get("keras_history")
    else:
        history = tensor
    if not isinstance(history, (list, tuple)) or len(history) < 3 or not isinstance(history[0], str):
        raise ModelFileError(f"{where}: an inbound tensor is not in Keras's [layer, node, tensor] form")
    return history[0], int(history[1]), int(history[2])


def _inbound(entry, name, where):
    nodes = entry.get("inbound_nodes", [])
    if not nodes:
        return []
    if len(nodes) > 1:
        raise UnsupportedLayerError("shared layer", name, where, hint="a layer called more than once; give each "
                                    "call its own layer")
    node = nodes[0]
    if isinstance(node, dict):  # Keras 3: {"args": [tensor or [tensors]], "kwargs": {...}}
        args = node.get("args", [])
        tensors = args[0] if len(args) == 1 and isinstance(args[0], list) and args[0] and \
            isinstance(args[0][0], (dict, list)) else args
    else:  # Keras 2: [[layer, node, tensor, kwargs], ...]
        tensors = node
    refs = []
    for tensor in tensors:
        layer, node_index, tensor_index = _keras_history(tensor, f"{where}, layer {name!r}")
        if node_index != 0:
            raise UnsupportedLayerError("shared layer", layer, where)
        refs.append(TensorRef(layer, tensor_index))
    return refs


def _refs(value, where, what):
    """Keras's input_layers/output_layers (one [name, 0, 0], a list of them, or a dict) as refs and keys."""
    if isinstance(value, dict):
        keys = list(value)
        return [TensorRef(*_keras_history(value[key], where)[::2]) for key in keys], keys
    if isinstance(value, list) and value and isinstance(value[0], str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise ModelFileError(f"{where}: the model's {what} are missing")
    return [TensorRef(*_keras_history(item, where)[::2]) for item in value], None


def graph_from_config(model_config, where="model config"):
    """A graph (without weights) from Keras's ``{"class_name": ..., "config": {...}}`` model config.

    Raises:
        ModelFileError: for a config that is not a Keras model's.
        UnsupportedLayerError: for a layer the catalogue lacks, naming it.
    """
    try:
        return _graph_from_config(model_config, where)
    except MALFORMED_CONFIG_ERRORS as error:  # wrong types, absurd nesting, units of Infinity
        raise ModelFileError(f"{where}: the model config is malformed ({type(error).__name__}: {error})") from None


def _graph_from_config(model_config, where):
    if not isinstance(model_config, dict) or not isinstance(model_config.get("config"), dict):
        raise ModelFileError(f"{where}: not a Keras model config")
    kind = model_config.get("class_name")
    config = model_config["config"]
    entries = config.get("layers")
    if not isinstance(entries, list) or not entries:
        raise ModelFileError(f"{where}: the model lists no layers")
    name = config.get("name", "model")
    if kind == "Sequential":
        graph = _sequential(entries, config, name, where)
    elif kind in ("Functional", "Model"):
        graph = _functional(entries, config, name, where)
    else:
        raise UnsupportedLayerError("Keras model class", kind, where, hint="only Sequential and functional "
                                    "models can be read (a subclassed model has no config to read)")
    try:
        graph.validate()
        shapes.infer_shapes(graph)
    except ValueError as error:
        raise ModelFileError(f"{where}: {error}") from None
    return graph


def _sequential(entries, config, name, where):
    nodes = []
    for entry in entries:
        class_name, layer_config = _layer_config(entry, where)
        batch_shape = layer_config.pop("_batch_input_shape", None)
        if not nodes and class_name != "InputLayer":
            batch_shape = batch_shape or config.get("build_input_shape")
            if batch_shape is None:
                raise ModelFileError(f"{where}: the Sequential model was never built, so its input shape is unknown")
            nodes.append(LayerNode("InputLayer", layer_catalog.make_config(
                "InputLayer", _unique(f"{layer_config['name']}_input", entries), batch_shape=list(batch_shape))))
        inbound = [TensorRef(nodes[-1].name)] if nodes else []
        nodes.append(LayerNode(class_name, layer_config, inbound, custom=_custom(entry)))
    return ModelGraph(nodes, [TensorRef(nodes[0].name)], [TensorRef(nodes[-1].name)], name=name, kind="Sequential")


def _custom(entry):
    """What a node of a user's registered layer starts with (custom_layers.py completes it), or None."""
    cls = custom_layers.registered_class(entry)
    return None if cls is None else {"class": cls, "module": entry.get("module"),
                                     "registered_name": entry.get("registered_name")}


def _unique(name, entries):
    taken = {entry.get("config", {}).get("name") for entry in entries if isinstance(entry, dict)}
    candidate, number = name, 0
    while candidate in taken:
        number += 1
        candidate = f"{name}_{number}"
    return candidate


def _functional(entries, config, name, where):
    by_name = {}
    for entry in entries:
        class_name, layer_config = _layer_config(entry, where)
        layer_config.pop("_batch_input_shape", None)
        if layer_config["name"] in by_name:
            raise ModelFileError(f"{where}: two layers are named {layer_config['name']!r}")
        inbound = _inbound(entry, layer_config["name"], where)
        by_name[layer_config["name"]] = LayerNode(class_name, layer_config, inbound, custom=_custom(entry))
    inputs, input_keys = _refs(config.get("input_layers"), where, "inputs")
    outputs, output_keys = _refs(config.get("output_layers"), where, "outputs")
    return ModelGraph(_topological(by_name, where), inputs, outputs, name=name, kind="Functional",
                      input_keys=input_keys, output_keys=output_keys)


def _topological(by_name, where):
    """The layers in an order where each comes after every layer it takes (Keras lists them in an order
    of its own)."""
    def inputs_of(name):
        sources = [ref.layer for ref in by_name[name].inbound]
        missing = [source for source in sources if source not in by_name]
        if missing:
            raise ModelFileError(f"{where}: layer {name!r} takes the output of {missing[0]!r}, which the model "
                                 "does not have")
        return sources

    try:
        return [by_name[name] for event, name in walk_back(list(by_name), inputs_of) if event == "leave"]
    except ModelFileError:
        raise
    except ValueError as error:  # a cycle
        raise ModelFileError(f"{where}: {error}") from None


# ---- writing ---------------------------------------------------------------------------------------
def _tensor(ref, shape, dtype):
    return {"class_name": "__keras_tensor__",
            "config": {"shape": list(shape), "dtype": dtype, "keras_history": [ref.layer, 0, ref.index]}}


def _layer_entry(node, shape_of, functional, dtype="float32"):
    entry = {"module": "keras.layers", "class_name": node.class_name, "config": copy.deepcopy(node.config),
             "registered_name": None}
    if node.custom is not None:  # a user's layer: Keras finds its class by the registered name
        custom_layers.require_registered(node)
        entry.update(module=node.custom["module"], registered_name=node.custom["registered_name"])
    if node.inbound:
        input_shapes = [list(shape_of[ref.layer]) for ref in node.inbound]
        merge = node.class_name in layer_catalog.MERGE_LAYERS
        entry["build_config"] = {"input_shape": input_shapes if merge else input_shapes[0]}
    if functional:
        entry["name"] = node.name
        if node.inbound:
            tensors = [_tensor(ref, shape_of[ref.layer], dtype) for ref in node.inbound]
            merge = node.class_name in layer_catalog.MERGE_LAYERS
            entry["inbound_nodes"] = [{"args": [tensors] if merge else tensors, "kwargs": {}}]
        else:
            entry["inbound_nodes"] = []
    return entry


def _ref_list(refs, keys):
    items = [[ref.layer, 0, ref.index] for ref in refs]
    if keys is not None:
        return dict(zip(keys, items))
    return items[0] if len(items) == 1 else items


def config_from_graph(graph):
    """Keras 3's model config (the ``{"module", "class_name", "config", ...}`` dict of config.json) for
    ``graph``; compile state is left to ``compile_config``."""
    graph.validate()
    shape_of = shapes.infer_shapes(graph)
    ordered = graph.keras_order()
    if graph.kind == "Sequential":
        input_shape = list(shape_of[graph.inputs[0].layer])
        config = {"name": graph.name, "trainable": True, "dtype": graph.dtype,
                  "layers": [_layer_entry(node, shape_of, False) for node in ordered],
                  "build_input_shape": input_shape}
        return {"module": "keras", "class_name": "Sequential", "config": config, "registered_name": None,
                "build_config": {"input_shape": input_shape}}
    config = {"name": graph.name, "trainable": True,
              "layers": [_layer_entry(node, shape_of, True, graph.dtype) for node in ordered],
              "input_layers": _ref_list(graph.inputs, graph.input_keys),
              "output_layers": _ref_list(graph.outputs, graph.output_keys)}
    return {"module": "keras.src.models.functional", "class_name": "Functional", "config": config,
            "registered_name": "Functional", "build_config": {"input_shape": None}}


# Layers that Keras builds and runs whatever width their input has: a wrongly reported width passes
# through them (wrong again in their output) without stopping Keras.
_WIDTH_FREE = frozenset({"Activation", "Dropout", "AlphaDropout", "GaussianNoise", "GaussianDropout", "Identity",
                         "ActivityRegularization", "UnitNormalization", "Rescaling", "Softmax", "ReLU",
                         "LeakyReLU", "ELU", "Concatenate"})


def warn_where_keras_cannot_run(graph):
    """Warns about a glu whose width a later layer depends on: Keras 3.15's Dense and Activation layers
    report glu's input width onwards (keras-team/keras#21695), so Keras builds such a layer (a Dense's
    kernel, a normalisation's statistics, an Add) for the wrong width and cannot load the file."""
    missized = {}  # layer name -> the glu layer whose width Keras would report wrongly there
    for node in graph.layers:
        source = next((missized[ref.layer] for ref in node.inbound if ref.layer in missized), None)
        if source is not None and node.class_name not in _WIDTH_FREE:
            warnings.warn(f"layer {source!r} gates with glu and layer {node.name!r} depends on its width: Keras "
                          "3.15 cannot load this file, because its layers report glu's input width onwards "
                          "(keras-team/keras#21695); fastmlp loads it, and Keras does where nothing after a glu "
                          "depends on its width", UserWarning, stacklevel=4)
            return
        if source is not None:
            missized[node.name] = source
        elif node.class_name in ("Dense", "Activation") and \
                activations.parse_activation(node.config.get("activation"), f"layer {node.name!r}")[0] == "glu":
            missized[node.name] = node.name


def check_keras_expressible(node):
    """Raises ValueError for a layer whose config Keras cannot read back: an activation given with
    parameters (Keras's configs name activations only by name)."""
    value = node.config.get("activation")
    if node.class_name in ("Dense", "Activation") and not isinstance(value, str) and value is not None:
        name, parameters = activations.parse_activation(value, f"layer {node.name!r}")
        if activations.format_activation(name, parameters) != name:
            hint = {"relu": "ReLU", "leaky_relu": "LeakyReLU", "elu": "ELU"}.get(name)
            raise ValueError(f"layer {node.name!r} uses activation {name} with parameters {parameters}, which a "
                             "Keras file cannot hold (Keras names activations without parameters)"
                             + (f"; use a Keras {hint} layer instead" if hint else ""))


# ---- compile state ---------------------------------------------------------------------------------
def compile_state_from_config(compile_config, where):
    """A CompileState (optimizer variables still empty) from Keras 3's compile_config, or from the
    ``training_config`` of a legacy .h5 file (which names the optimizer ``optimizer_config``)."""
    if not compile_config:
        return None
    if not isinstance(compile_config, dict):
        raise ModelFileError(f"{where}: the compile configuration is not a dict")
    optimizer = compile_config.get("optimizer", compile_config.get("optimizer_config"))
    state = None
    if isinstance(optimizer, str):
        optimizer = {"class_name": optimizer, "config": {}}
    if isinstance(optimizer, dict):
        class_name = optimizer.get("class_name")
        if not isinstance(class_name, str):
            raise ModelFileError(f"{where}: the optimizer has no class_name")
        state = OptimizerState(class_name, _strip_object_ids(copy.deepcopy(optimizer.get("config") or {})))
    return CompileState(optimizer=state, loss=copy.deepcopy(compile_config.get("loss")),
                        metrics=copy.deepcopy(compile_config.get("metrics")),
                        loss_weights=copy.deepcopy(compile_config.get("loss_weights")),
                        weighted_metrics=copy.deepcopy(compile_config.get("weighted_metrics")))


def compile_config(state):
    """Keras 3's compile_config dict for a CompileState ({} when there is none)."""
    if state is None:
        return {}
    optimizer = None
    if state.optimizer is not None:
        optimizer = {"module": "keras.optimizers", "class_name": state.optimizer.class_name,
                     "config": copy.deepcopy(state.optimizer.config), "registered_name": None}
    saved = {key: copy.deepcopy(getattr(state, key)) for key in ("loss", "loss_weights", "metrics", "weighted_metrics")}
    return {"optimizer": optimizer, **saved, "run_eagerly": False, "steps_per_execution": 1, "jit_compile": False}
