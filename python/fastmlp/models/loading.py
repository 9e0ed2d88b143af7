"""load_model: a model from a file that ``model.save`` (or C++'s ``fastmlp::save_model``) wrote."""

import os

from fastmlp import _core


def load_model(filepath, compile=True):
    """Loads a model written by ``model.save`` (or by C++'s ``fastmlp::save_model``), by this or an
    earlier fastmlp.

    Args:
        filepath: str or os.PathLike.
        compile: restore the loss, the metrics and the optimizer, in the state they were saved in
            (default); when False, the model comes back uncompiled, ready for ``compile``.

    Returns:
        a ``Sequential`` or a functional ``Model``, as saved, with its layers, names and weights.

    Raises:
        FileNotFoundError: nothing exists at ``filepath``.
        ValueError: the file is not a fastmlp model file, is truncated or damaged (its checksum
            does not match), or was written by a newer fastmlp. The exception is a
            ``fastmlp.saving.ModelFileError``, a subclass of ValueError, and its message says which.
    """
    from fastmlp.models.model import Model
    path = os.fsdecode(filepath)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no model file at {path!r}")
    return Model._from_core(_core.load_model(path), compile=compile)


def model_from_config(config):
    """A new, untrained model from Keras's serialized form: {"class_name": "Sequential" or "Functional",
    "config": {...}}, as ``model.get_config()`` of either gives the config."""
    from fastmlp.models.model import Model
    from fastmlp.models.sequential import Sequential
    if not isinstance(config, dict) or "class_name" not in config:
        raise TypeError(f"model_from_config expects {{'class_name': ..., 'config': ...}}, got {config!r}")
    if config["class_name"] == "Sequential":
        return Sequential.from_config(config.get("config") or {})
    return Model._from_core(_core.model_from_config(config), compile=False)
