"""Keras 3's native ``.keras`` file: a zip of config.json, metadata.json and model.weights.h5.

Inside model.weights.h5 each layer's variables sit at ``layers/<slot>/vars/<i>``: ``<slot>`` is the
layer's class name in snake case, made unique with ``_1``, ``_2``, ... in ``model.layers`` order (a
Sequential model leaves its InputLayer out of that list), and ``<i>`` counts the variables in
``layer.weights`` order. Keras 3 also tags each ``vars`` group with the layer's name, which this reader
prefers when present. The optimizer's variables sit at ``optimizer/vars/<i>`` (optimizer_variables.py
names them). Needs h5py.
"""

import datetime
import io
import json
import os
import re
import zipfile

import numpy as np

from fastmlp._interop import (atomic, hdf5_checks, hdf5_probe, keras_config, layer_catalog, optimizer_variables,
                              optional, shapes)
from fastmlp._interop.errors import DAMAGED_FILE_ERRORS, ModelFileError

CONFIG = "config.json"
METADATA = "metadata.json"
WEIGHTS = "model.weights.h5"
# The Keras file format this writer follows (metadata only: Keras does not read it back).
FORMAT_KERAS_VERSION = "3.0.0"


def snake_case(class_name):
    """Keras's file-path form of a class name: ``BatchNormalization`` -> ``batch_normalization``,
    ``PReLU`` -> ``p_re_lu``."""
    name = re.sub(r"\W+", "", class_name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)  # a capitalised word starts a part
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()  # so does a capital after a lower-case letter


def weight_slots(graph):
    """``[(layer node, h5 path)]`` for the layers Keras saves, in ``model.layers`` order."""
    used, slots = {}, []
    for node in graph.keras_order():
        if graph.kind == "Sequential" and node.class_name == "InputLayer":
            continue
        base = snake_case(node.class_name)
        count = used.get(base)
        used[base] = 0 if count is None else count + 1
        slots.append((node, f"layers/{base}" if count is None else f"layers/{base}_{count + 1}"))
    return slots


# ---- reading ---------------------------------------------------------------------------------------
# Keras writes its members stored or deflated; other methods (bzip2, LZMA) are refused before inflating:
# a few KB of bzip2 inflate to a GiB in one call of Python's decompressor, which no size check can stop.
_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated"}
# Deflate cannot shrink data by more than about 1032:1, so no member of a real archive is larger than
# this many times the archive; the bound is checked on the declared size, before anything is inflated.
_MAX_RATIO = 1100
_SMALL_BYTES = 1 << 20  # small enough to inflate whatever the archive's size


def _archive_size(path):
    if hasattr(path, "seek"):
        position = path.tell()
        size = path.seek(0, os.SEEK_END)
        path.seek(position)
        return size
    return os.path.getsize(path)


def _read_member(archive, name, path, archive_size):
    """The member's bytes, inflated in bounded steps up to its declared size (zipfile stops there and
    checks the CRC), after its method and declared size are checked."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise ModelFileError(f"{path} is not a .keras file: it has no {name}") from None
    if info.compress_type not in _METHODS:
        raise ModelFileError(f"{path}: {name} is compressed with zip method {info.compress_type}; a .keras file's "
                             "members are stored or deflated")
    limit = max(_MAX_RATIO * archive_size, _SMALL_BYTES)
    if info.file_size > limit:
        raise ModelFileError(f"{path}: {name} declares {info.file_size} bytes, more than a {archive_size}-byte "
                             f"archive can hold ({_MAX_RATIO} times its size)")
    try:
        with archive.open(info) as member:
            data = member.read(info.file_size)
            if member.read(1):
                raise ModelFileError(f"{path}: {name} holds more than the {info.file_size} bytes it declares")
        return data
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, ValueError, *DAMAGED_FILE_ERRORS) as error:  # a damaged member, a bad CRC
        raise ModelFileError(f"{path}: {name} is damaged ({type(error).__name__}: {error})") from None


def _datasets(group, path):
    """The datasets of a ``vars`` group, by their index (unread: the caller checks their shapes first)."""
    if group is None:
        return []
    keys = list(group.keys())
    if not all(key.isdigit() for key in keys) or sorted(map(int, keys)) != list(range(len(keys))):
        raise ModelFileError(f"{group.name} should hold arrays named 0, 1, ..., it holds {keys}")
    datasets = [group[key] for key in sorted(keys, key=int)]
    for dataset in datasets:
        if not isinstance(dataset, _h5py().Dataset):
            raise ModelFileError(f"{path}: {dataset.name} should be an array, it is a group")
    return datasets


def _h5py():
    return optional.require("h5py", "reading and writing Keras files", "keras")


def _vars_group(h5, path):
    if path in h5 and "vars" in h5[path]:
        return h5[path]["vars"]
    return None


def _named_groups(h5):
    """``{layer name: vars group}`` from the name tags Keras 3 puts on each layer's group."""
    named = {}
    if "layers" not in h5:
        return named
    for key in h5["layers"]:
        group = _vars_group(h5, f"layers/{key}")
        if group is not None and "name" in group.attrs:
            name = group.attrs["name"]
            named[name.decode() if isinstance(name, bytes) else str(name)] = group
    return named


def _load_weights(graph, h5, path, limit):
    named = _named_groups(h5)
    for node, slot in weight_slots(graph):
        group = named.get(node.name)
        if group is None:  # a file without Keras 3's name tags: by slot
            group = _vars_group(h5, slot)
        datasets = _datasets(group, path)
        names = layer_catalog.weight_names(node.class_name, node.config)
        if len(datasets) != len(names):
            raise ModelFileError(f"{path}: layer {node.name!r} ({node.class_name}) should hold {len(names)} "
                                 f"arrays {names}, the file has {len(datasets)}")
        node.weights = dict(zip(names, datasets))
    try:
        shapes.check_graph_weights(graph, path)  # on the datasets' declared shapes: nothing is read yet
    except ValueError as error:
        raise ModelFileError(str(error)) from None
    for node in graph.layers:
        node.weights = {name: hdf5_checks.read_dataset(dataset, path, limit) for name, dataset in node.weights.items()}


def _load_optimizer(graph, h5, path, limit):
    optimizer = graph.compile.optimizer if graph.compile else None
    if optimizer is None:
        return
    arrays = [hdf5_checks.read_dataset(dataset, path, limit)
              for dataset in _datasets(_vars_group(h5, "optimizer"), path)]
    if arrays:
        optimizer.variables = optimizer_variables.name_variables(
            optimizer.class_name, optimizer.config, graph.trainable_weights(), arrays, path)


def read_keras(path):
    """The graph of a Keras 3 ``.keras`` file, with its weights and compile state.

    Args:
        path: a file name or a binary file object.

    Raises:
        ModelFileError: for a file that is not a .keras archive or is damaged.
        UnsupportedLayerError: for a layer fastmlp lacks, naming it.
    """
    h5py = _h5py()
    try:
        archive_size = _archive_size(path)
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, ValueError, *DAMAGED_FILE_ERRORS) as error:
        raise ModelFileError(f"{path} is not a .keras file (not a readable zip archive: {error})") from None
    with archive:
        try:
            config = json.loads(_read_member(archive, CONFIG, path, archive_size))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
            raise ModelFileError(f"{path}: {CONFIG} is not valid JSON ({error})") from None
        graph = keras_config.graph_from_config(config, where=str(path))
        graph.compile = keras_config.compile_state_from_config(config.get("compile_config"), str(path))
        weights = _read_member(archive, WEIGHTS, path, archive_size)
    # A zip member's CRC catches accidental damage; the probe guards against a crafted weights file.
    hdf5_probe.probe(io.BytesIO(weights), f"{path}: {WEIGHTS}")
    try:
        with h5py.File(io.BytesIO(weights), "r") as h5:
            hdf5_checks.check_links(h5, f"{path}: {WEIGHTS}")
            limit = hdf5_checks.RATIO * len(weights)
            _load_weights(graph, h5, path, limit)
            _load_optimizer(graph, h5, path, limit)
    except DAMAGED_FILE_ERRORS as error:  # what h5py raises for a damaged or foreign HDF5 file
        raise ModelFileError(f"{path}: {WEIGHTS} is damaged or not a Keras weights file "
                             f"({type(error).__name__}: {error})") from None
    return graph


# ---- writing ---------------------------------------------------------------------------------------
def _write_vars(h5, path, name, arrays):
    group = h5.create_group(f"{path}/vars" if path else "vars")
    group.attrs["name"] = name
    for index, array in enumerate(arrays):
        group.create_dataset(str(index), data=np.asarray(array))


def _weights_file(graph):
    h5py = optional.require("h5py", "reading and writing Keras files", "keras")
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as h5:
        for node, slot in weight_slots(graph):
            _write_vars(h5, slot, node.name, node.weights.values())
        optimizer = graph.compile.optimizer if graph.compile else None
        if optimizer is not None:
            arrays = optimizer_variables.order_variables(optimizer.class_name, optimizer.config,
                                                         graph.trainable_weights(), optimizer.variables, "the model")
            _write_vars(h5, "optimizer", optimizer.config.get("name", optimizer.class_name.lower()), arrays)
        _write_vars(h5, "", graph.name, [])
    return buffer.getvalue()


def write_keras(graph, path):
    """Writes ``graph`` as a Keras 3 ``.keras`` file that ``keras.saving.load_model`` reads.

    Args:
        graph: a ModelGraph whose layers all have weights (readers and importers give them).
        path: the file name (or a writable binary file object).

    Raises:
        ValueError: for a graph Keras cannot express (a parameterised activation its config
            cannot name, say), before anything is written.
    """
    config = keras_config.config_from_graph(graph)
    shapes.check_graph_weights(graph, "the model")
    for node in graph.layers:
        keras_config.check_keras_expressible(node)
    keras_config.warn_where_keras_cannot_run(graph)
    if graph.compile is not None:
        config["compile_config"] = keras_config.compile_config(graph.compile)
    metadata = {"keras_version": FORMAT_KERAS_VERSION,
                "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")}
    # Everything is assembled in memory first, so that an error leaves no half-written file behind.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(METADATA, json.dumps(metadata))
        archive.writestr(CONFIG, json.dumps(config))
        archive.writestr(WEIGHTS, _weights_file(graph))
    if hasattr(path, "write"):
        path.write(buffer.getvalue())
    else:
        atomic.write_atomically(path, buffer.getvalue())
