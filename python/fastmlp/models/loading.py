"""load_model: a model from a file that ``model.save`` (or C++'s ``fastmlp::save_model``) or Keras wrote."""

import os

from fastmlp import _core


def load_model(filepath, compile=True):
    """Loads a model written by ``model.save`` (or by C++'s ``fastmlp::save_model``), by this or an
    earlier fastmlp, or a dense Keras model: a Keras 3 ``.keras`` file or a legacy Keras ``.h5`` file
    (reading those needs h5py: ``pip install 'fastmlp[keras]'``). The kind is told by the file's first
    bytes, not its name. A Keras model becomes a fastmlp Sequential or functional Model that predicts
    what Keras predicted and, with its compile state (optimizer and its variables, loss, metrics),
    trains on with ``fit`` where Keras stopped.

    Args:
        filepath: str or os.PathLike.
        compile: restore the loss, the metrics and the optimizer, in the state they were saved in
            (default); when False, the model comes back uncompiled, ready for ``compile``.

    Returns:
        a ``Sequential`` or a functional ``Model``, as saved, with its layers, names and weights.

    Raises:
        FileNotFoundError: nothing exists at ``filepath``.
        ValueError: the file is not a model file, is truncated or damaged (a checksum does not match),
            or was written by a newer fastmlp. The exception is a ``fastmlp.saving.ModelFileError``, a
            subclass of ValueError, for every kind of file, and its message says which. A Keras layer,
            activation, option or optimizer that fastmlp lacks is a ValueError naming it.
    """
    from fastmlp.models.model import Model
    path = os.fsdecode(filepath)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no model file at {path!r}")
    from fastmlp._interop import fastmlp_models, keras_files
    if not os.path.isdir(path) and keras_files.kind_of(path) is not None:  # the first bytes tell, not the name
        return fastmlp_models.model_from_graph(keras_files.read_keras_file(path), compile=compile)
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
