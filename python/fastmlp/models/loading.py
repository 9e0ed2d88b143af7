"""load_model: a model from a file that ``model.save`` (or C++'s ``fastmlp::save_model``) or Keras wrote."""

import copy
import os

from fastmlp import _core, _dtypes

# Keras serializes a model used as a layer under the model's class name.
_MODEL_CLASSES = ("Sequential", "Functional", "Model")


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Loads a model written by ``model.save`` (or by C++'s ``fastmlp::save_model``), by this or an
    earlier fastmlp, or a dense Keras model: a Keras 3 ``.keras`` file or a legacy Keras ``.h5`` file
    (reading those needs h5py: ``pip install 'fastmlp[keras]'``). The kind is told by the file's first
    bytes, not its name. A Keras model becomes a fastmlp Sequential or functional Model that predicts
    what Keras predicted and, with its compile state (optimizer and its variables, loss, metrics),
    trains on with ``fit`` where Keras stopped.

    Args:
        filepath: str or os.PathLike.
        custom_objects: {name: class or function} for the user's objects the file names, as Keras's
            argument (also found when registered with fastmlp.saving.register_keras_serializable or in
            a custom_object_scope); a file is never allowed to import code.
        compile: restore the loss, the metrics and the optimizer, in the state they were saved in
            (default); when False, the model comes back uncompiled, ready for ``compile``.
        safe_mode: Keras's argument, accepted; fastmlp never runs code a file holds, whatever its value.

    Returns:
        a ``Sequential`` or a functional ``Model``, as saved, with its layers, names and weights, in
        the dtype it was saved in (float32 or float64).

    Raises:
        FileNotFoundError: nothing exists at ``filepath``.
        ValueError: the file is not a model file, is truncated or damaged (a checksum does not match),
            or was written by a newer fastmlp. The exception is a ``fastmlp.saving.ModelFileError``, a
            subclass of ValueError, for every kind of file, and its message says which. A Keras layer,
            activation, option or optimizer that fastmlp lacks is a ValueError naming it.
    """
    from fastmlp import saving
    with saving.custom_object_scope(custom_objects):
        return _load_model(filepath, compile)


def _load_model(filepath, compile):
    from fastmlp.models.model import Model
    path = os.fsdecode(filepath)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no model file at {path!r}")
    from fastmlp._interop import keras_files
    if not os.path.isdir(path) and keras_files.kind_of(path) is not None:  # the first bytes tell, not the name
        return keras_files.model_from_keras_file(path, compile=compile)
    return Model._from_core(_core.load_model(path), compile=compile)


def model_from_config(config, custom_objects=None):
    """A new, untrained model from Keras's serialized form: {"class_name": "Sequential" or "Functional",
    "config": {...}}, as ``model.get_config()`` of either gives the config. The model computes in the
    dtype its layers' configs name (Keras's "dtype"; floatx() where none does). ``custom_objects``:
    {name: class} for the user's layers it names, as in Keras."""
    from fastmlp import saving
    with saving.custom_object_scope(custom_objects):
        return _model_from_config(config)


def _model_from_config(config):
    from fastmlp.models.model import Model
    from fastmlp.models.sequential import Sequential
    if not isinstance(config, dict) or "class_name" not in config:
        raise TypeError(f"model_from_config expects {{'class_name': ..., 'config': ...}}, got {config!r}")
    if config["class_name"] == "Sequential":
        return Sequential.from_config(config.get("config") or {})
    found, stripped = layer_dtypes(config)
    return Model._from_core(_dtypes.core(one_dtype(found, "the model config")).model_from_config(stripped),
                            compile=False)


def model_from_json(json_string, custom_objects=None):
    """A new, untrained model from ``model.to_json()``'s JSON (fastmlp's or Keras 3's), as Keras's
    ``keras.models.model_from_json``."""
    from fastmlp import saving
    return saving.model_from_json(json_string, custom_objects=custom_objects)


def layer_dtypes(serialized):
    """The dtypes the layers of a serialized model name (Keras's per-layer "dtype", in any form Keras
    writes it; a nested model's layers included), as {"layers": [...], "inputs": [...]} of names, and a copy
    of the config without the layers' dtypes, which the core's layer configs do not hold."""
    found = {"layers": [], "inputs": []}
    serialized = copy.deepcopy(serialized)

    def visit(model_config):
        for entry in (model_config or {}).get("layers") or []:
            if not isinstance(entry, dict) or not isinstance(entry.get("config"), dict):
                continue
            if entry.get("class_name") in _MODEL_CLASSES:
                visit(entry["config"])
                continue
            if entry.get("class_name") == "InputLayer":
                if entry["config"].get("dtype") is not None:
                    found["inputs"].append((entry["config"].get("name"), entry["config"]["dtype"]))
                continue
            dtype = entry["config"].pop("dtype", None)
            if dtype is not None:
                found["layers"].append((entry["config"].get("name"), dtype))

    if isinstance(serialized, dict):
        visit(serialized.get("config"))
    return found, serialized


def one_dtype(found, where):
    """The one dtype of ``found`` (from layer_dtypes): the layers', else the inputs', else floatx(); a
    ValueError naming the layers when they disagree."""
    named = [(name, _dtypes.standardize(dtype, f"{where}, layer {name!r}")) for name, dtype in found["layers"]]
    if not named:
        named = [(name, _dtypes.standardize(dtype, f"{where}, input {name!r}")) for name, dtype in found["inputs"]]
    dtypes = {}
    for name, dtype in named:
        dtypes.setdefault(dtype, []).append(name)
    if len(dtypes) > 1:
        listed = "; ".join(f"{dtype}: {', '.join(repr(name) for name in names)}" for dtype, names in dtypes.items())
        raise ValueError(f"{where} mixes {' and '.join(dtypes)} layers ({listed}); a fastmlp model computes in one "
                         "dtype")
    return next(iter(dtypes), _dtypes.floatx())
