"""The two errors the interop code raises, both ValueErrors so that callers who catch ValueError keep working.

``ModelFileError`` is fastmlp's one error for a model file that is foreign, truncated, damaged or
inconsistent, whichever format (.fmlp, .keras, .h5, .onnx) it claims to be.
"""


import lzma
import struct
import zlib

from fastmlp._core import ModelFileError  # noqa: F401  (re-exported: the readers raise it)

# What the zip and HDF5 readers raise for bytes that are not what they should be: I/O and format
# errors, missing members, HDF5's RuntimeErrors, zip features Python lacks, bad compressed data.
DAMAGED_FILE_ERRORS = (OSError, EOFError, KeyError, IndexError, TypeError, RuntimeError, NotImplementedError,
                       OverflowError, UnicodeError, zlib.error, lzma.LZMAError, struct.error)
# What turning a file's config into a model raises where a value has the wrong type, sign or size (an
# optimizer's config that is a number, units of Infinity, a name that cannot be encoded): a file's
# config is data, and no value in it may escape as anything but a ModelFileError.
MALFORMED_CONFIG_ERRORS = (TypeError, AttributeError, KeyError, IndexError, OverflowError, RecursionError,
                           UnicodeError, ArithmeticError)


class UnsupportedLayerError(ValueError):
    """A layer, activation or module that fastmlp has no counterpart for.

    Args:
        kind: what it is ("layer", "activation", "torch module", ...).
        name: its class or function name, as the source tool spells it.
        where: optional context (the layer's name, the file), added to the message.
    """

    def __init__(self, kind, name, where=None, hint=None):
        self.kind = kind
        self.name = name
        message = f"{kind} {name!r}"
        if where:
            message += f" ({where})"
        message += " is not supported by fastmlp"
        if hint:
            message += f"; {hint}"
        super().__init__(message)
