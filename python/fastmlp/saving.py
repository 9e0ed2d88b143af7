"""Saving and loading whole models, with Keras's names.

    model.save("model.fmlp")
    model = fastmlp.saving.load_model("model.fmlp")   # also fastmlp.models.load_model

One file holds the architecture, the weights, the compile configuration and the training state. The
format is shared with the C++ library (``fastmlp::save_model`` / ``fastmlp::load_model``) and
described byte by byte in docs/model-format.md.
"""

from fastmlp import _core
from fastmlp.models import load_model

# Raised (as a ValueError) for files that are foreign, truncated, damaged or from a newer fastmlp.
ModelFileError = _core.ModelFileError
# The newest format version this fastmlp writes and reads.
FORMAT_VERSION = _core.MODEL_FORMAT_VERSION


def save_model(model, filepath, overwrite=True, include_optimizer=True):
    """The same as ``model.save(filepath, overwrite, include_optimizer)``."""
    model.save(filepath, overwrite=overwrite, include_optimizer=include_optimizer)


__all__ = ["FORMAT_VERSION", "ModelFileError", "load_model", "save_model"]
