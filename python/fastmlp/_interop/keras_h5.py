"""Legacy Keras HDF5 model files (``model.save("m.h5")``), as Keras 3 and Keras 2 write them.

The file's root attributes hold ``model_config`` (the model config as JSON) and, for a compiled model,
``training_config`` (loss, metrics and ``optimizer_config``). The group ``model_weights`` has a group
per layer, named after the layer, whose ``weight_names`` attribute lists its arrays' paths in
``layer.weights`` order (``dense/kernel``; Keras 2 adds ``:0``). ``optimizer_weights`` lists the
optimizer's arrays the same way. Needs h5py.

``write_h5`` writes that format for Keras 3's ``load_model`` (``model.save("m.h5")``), with the model
config and compile state the .keras writer makes, and logs the warning Keras logs for it.
"""

import io
import json
import logging
import warnings

import numpy as np

from fastmlp._interop import atomic, hdf5_checks, hdf5_probe, keras_archive, keras_config, layer_catalog, \
    optimizer_variables, optional, shapes
from fastmlp._interop.errors import DAMAGED_FILE_ERRORS, ModelFileError


def _text(value):
    """An HDF5 string attribute as str (h5py returns bytes or str depending on how it was written)."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.ndarray) and value.shape == ():
        return _text(value[()])
    return str(value)


def _json_attribute(h5, key, path):
    if key not in h5.attrs:
        return None
    try:
        return json.loads(_text(h5.attrs[key]))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise ModelFileError(f"{path}: the {key} attribute is not valid JSON ({error})") from None


def _named_datasets(group, path):
    """``[(short name, dataset)]`` for the paths a group's ``weight_names`` attribute lists (unread: the
    caller checks their shapes first)."""
    import h5py
    listed = group.attrs.get("weight_names", [])
    if not isinstance(listed, (np.ndarray, list)) or np.ndim(listed) != 1:
        raise ModelFileError(f"{path}: {group.name}'s weight_names attribute is not a list of names")
    names = [_text(name) for name in listed]
    datasets = []
    for name in names:
        if name not in group:
            raise ModelFileError(f"{path}: {group.name} lists weight {name!r} but does not hold it")
        if not isinstance(group[name], h5py.Dataset):
            raise ModelFileError(f"{path}: {group.name} lists weight {name!r}, which is not an array")
        short = name.split("/")[-1].split(":")[0]  # "dense/kernel:0" -> "kernel"
        datasets.append((short, group[name]))
    return datasets


def _load_weights(graph, h5, path, limit):
    if "model_weights" not in h5:
        raise ModelFileError(f"{path}: the file has a model config but no model_weights group")
    weights = h5["model_weights"]
    for node in graph.layers:
        expected = layer_catalog.weight_names(node.class_name, node.config)
        stored = _named_datasets(weights[node.name], path) if node.name in weights else []
        if len(stored) != len(expected):
            raise ModelFileError(f"{path}: layer {node.name!r} ({node.class_name}) should hold {len(expected)} "
                                 f"arrays {expected}, the file has {len(stored)}")
        # Keras writes them in layer.weights order; the names confirm it when they are Keras's own.
        by_name = dict(stored)
        if set(by_name) == set(expected):
            node.weights = {name: by_name[name] for name in expected}
        else:
            node.weights = {name: array for name, (_, array) in zip(expected, stored)}
    try:
        shapes.check_graph_weights(graph, path)  # on the datasets' declared shapes: nothing is read yet
    except ValueError as error:
        raise ModelFileError(str(error)) from None
    for node in graph.layers:
        node.weights = {name: hdf5_checks.read_dataset(dataset, path, limit) for name, dataset in node.weights.items()}


def _load_optimizer(graph, h5, path, keras_version, limit):
    optimizer = graph.compile.optimizer if graph.compile else None
    if optimizer is None or "optimizer_weights" not in h5:
        return
    arrays = [hdf5_checks.read_dataset(dataset, path, limit)
              for _, dataset in _named_datasets(h5["optimizer_weights"], path)]
    if not arrays:
        return
    if not keras_version.startswith("3"):
        # Keras 2's optimizers kept other variables in another order; restarting them is honest,
        # guessing a mapping is not.
        warnings.warn(f"{path} was written by Keras {keras_version}: the {optimizer.class_name} optimizer's "
                      "configuration is kept, its state (moments, step count) starts afresh", UserWarning,
                      stacklevel=3)
        return
    optimizer.variables = optimizer_variables.name_variables(
        optimizer.class_name, optimizer.config, graph.trainable_weights(), arrays, path)


def read_h5(path):
    """The graph of a legacy Keras ``.h5`` model file, with weights and compile state.

    Args:
        path: a file name or a binary file object.

    Raises:
        ModelFileError: for a file that is not HDF5, holds only weights, or is damaged.
        UnsupportedLayerError: for a layer fastmlp lacks, naming it.
    """
    h5py = optional.require("h5py", "reading and writing Keras files", "keras")
    hdf5_probe.probe(path, path)
    try:
        h5 = h5py.File(path, "r")
    except (OSError, ValueError) as error:
        raise ModelFileError(f"{path} is not a Keras .h5 file (not readable as HDF5: {error})") from None
    try:
        with h5:
            hdf5_checks.check_links(h5, path)  # before anything is read
            limit = hdf5_checks.RATIO * hdf5_checks.file_size(h5)
            model_config = _json_attribute(h5, "model_config", path)
            if model_config is None:
                raise ModelFileError(f"{path} holds no model config (a weights-only file, from save_weights?); "
                                     "it cannot be loaded as a model")
            graph = keras_config.graph_from_config(model_config, where=str(path))
            graph.compile = keras_config.compile_state_from_config(_json_attribute(h5, "training_config", path),
                                                                   str(path))
            _load_weights(graph, h5, path, limit)
            _load_optimizer(graph, h5, path, _text(h5.attrs.get("keras_version", "3")), limit)
    except DAMAGED_FILE_ERRORS as error:  # what h5py raises for damaged groups, attributes and datasets
        raise ModelFileError(f"{path} is damaged ({type(error).__name__}: {error})") from None
    return graph


# ---- writing ---------------------------------------------------------------------------------------
# What Keras 3 logs when a model is saved to .h5, word for word, so that scripts and their readers
# see the same notice.
LEGACY_WARNING = ("You are saving your model as an HDF5 file via `model.save()` or "
                  "`keras.saving.save_model(model)`. This file format is considered legacy. We recommend using "
                  "instead the native Keras format, e.g. `model.save('my_model.keras')` or "
                  "`keras.saving.save_model(model, 'my_model.keras')`. ")
# The backend a file names: Keras reads it only to convert weights of layers fastmlp does not have.
_BACKEND = "tensorflow"


def _write_arrays(group, names, arrays):
    """Datasets at ``names`` (paths inside ``group``) and the ``weight_names`` attribute listing them."""
    group.attrs["weight_names"] = np.array([name.encode("utf8") for name in names], dtype="S")
    for name, array in zip(names, arrays):
        group.create_dataset(name, data=np.asarray(array))


def _training_config(graph):
    """Keras's legacy ``training_config``: the compile arguments, the optimizer apart as
    ``optimizer_config`` ({"class_name", "config"})."""
    compile_config = keras_config.compile_config(graph.compile)
    optimizer = compile_config.pop("optimizer")
    for key in ("run_eagerly", "steps_per_execution", "jit_compile"):
        compile_config.pop(key, None)
    compile_config["optimizer_config"] = {"class_name": optimizer["class_name"], "config": optimizer["config"]}
    return compile_config


def _h5_bytes(graph, include_optimizer):
    h5py = optional.require("h5py", "reading and writing Keras files", "keras")
    config = keras_config.config_from_graph(graph)
    version = keras_archive.FORMAT_KERAS_VERSION
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as h5:
        h5.attrs["keras_version"] = version
        h5.attrs["backend"] = _BACKEND
        h5.attrs["model_config"] = json.dumps(config).encode("utf8")
        optimizer = graph.compile.optimizer if graph.compile else None
        if graph.compile is not None and optimizer is not None and include_optimizer:
            h5.attrs["training_config"] = json.dumps(_training_config(graph)).encode("utf8")
        weights = h5.create_group("model_weights")
        # Keras's model.layers: a Sequential's leaves its InputLayer out, as the .keras writer does.
        nodes = [node for node, _ in keras_archive.weight_slots(graph)]
        weights.attrs["layer_names"] = np.array([node.name.encode("utf8") for node in nodes], dtype="S")
        weights.attrs["backend"] = _BACKEND.encode("utf8")
        weights.attrs["keras_version"] = version.encode("utf8")
        for node in sorted(nodes, key=lambda node: node.name):  # Keras writes the groups by name
            names = layer_catalog.weight_names(node.class_name, node.config)  # trainable first, as Keras's
            _write_arrays(weights.create_group(node.name), [f"{node.name}/{name}" for name in names],
                          [node.weights[name] for name in names])
        _write_arrays(weights.create_group("top_level_model_weights"), [], [])
        if optimizer is not None and include_optimizer and optimizer.variables:
            trainable = graph.trainable_weights()
            arrays = optimizer_variables.order_variables(optimizer.class_name, optimizer.config, trainable,
                                                         optimizer.variables, "the model")
            names = optimizer_variables.variable_names(optimizer.class_name, optimizer.config, trainable)
            if names is None or len(names) != len(arrays):  # an optimizer not yet stepped, or one Keras lacks
                names = [str(index) for index in range(len(arrays))]
            prefix = optimizer.config.get("name", optimizer.class_name.lower())
            _write_arrays(h5.create_group("optimizer_weights"), [f"{prefix}/{name}" for name in names], arrays)
    return buffer.getvalue()


def write_h5(graph, path, include_optimizer=True):
    """Writes ``graph`` as a legacy Keras ``.h5`` model file that Keras 3's ``load_model`` reads (and
    fastmlp's), atomically, after logging Keras's warning about the legacy format.

    Raises:
        ValueError: for a graph Keras cannot express, before anything is written.
    """
    logging.getLogger("fastmlp").warning(LEGACY_WARNING)
    shapes.check_graph_weights(graph, "the model")
    for node in graph.layers:
        keras_config.check_keras_expressible(node)
    keras_config.warn_where_keras_cannot_run(graph)
    atomic.write_atomically(path, _h5_bytes(graph, include_optimizer))
