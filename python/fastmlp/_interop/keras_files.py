"""Reads a Keras model file of either kind, telling them apart by their first bytes, not their names."""

from fastmlp._interop.errors import MALFORMED_CONFIG_ERRORS, ModelFileError
from fastmlp._interop.keras_archive import read_keras
from fastmlp._interop.keras_h5 import read_h5

_ZIP_MAGIC = b"PK\x03\x04"
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"


def kind_of(path):
    """``"keras"`` for a .keras archive, ``"h5"`` for an HDF5 file, None for anything else (by its first bytes)."""
    with open(path, "rb") as file:
        head = file.read(8)
    if head.startswith(_ZIP_MAGIC):
        return "keras"
    if head == _HDF5_MAGIC:
        return "h5"
    return None


def model_from_keras_file(path, compile=True):
    """The fastmlp model of a Keras file (``read_keras_file``, then ``fastmlp_models.model_from_graph``).

    Raises:
        ModelFileError: for a file that is not a Keras model file, is damaged, or whose config holds a
            value of the wrong type or size anywhere (the whole path from bytes to model raises nothing else).
        UnsupportedLayerError: for a layer, activation, option or optimizer fastmlp lacks, naming it.
    """
    from fastmlp._interop import fastmlp_models
    try:
        return fastmlp_models.model_from_graph(read_keras_file(path), compile=compile)
    except MALFORMED_CONFIG_ERRORS as error:
        raise ModelFileError(f"{path}: the model's configuration is malformed ({type(error).__name__}: "
                             f"{error})") from None


def read_keras_file(path):
    """The ModelGraph of a Keras 3 ``.keras`` archive or a legacy ``.h5`` file.

    Args:
        path: the file's name.

    Raises:
        ModelFileError: for a file that is neither (an empty file, a .fmlp file, text, ...).
        UnsupportedLayerError: for a layer fastmlp lacks, naming it.
    """
    try:
        kind = kind_of(path)
    except IsADirectoryError:
        raise ModelFileError(f"{path} is a directory, not a Keras model file") from None
    if kind == "keras":
        return read_keras(path)
    if kind == "h5":
        return read_h5(path)
    raise ModelFileError(f"{path} is not a Keras model file: it is neither a .keras archive (zip) nor an HDF5 "
                         "file")
