"""Writing a model file of another tool's format as fastmlp writes its own: whole or not at all."""

import os
import tempfile

from fastmlp._interop.errors import ModelFileError


def write_atomically(path, data):
    """Writes ``data`` (bytes) to ``path`` under a temporary name in the same directory, then renames it
    into place, so that no reader ever sees a half-written file and a failure leaves the old one.

    Raises:
        ModelFileError: when the file cannot be written (no such directory, no permission, disk full),
            naming the path, as saving a .fmlp file does.
    """
    path = os.fspath(path)
    try:
        handle, temporary = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), suffix=".tmp")
    except OSError as error:
        raise ModelFileError(f"cannot save model file {path!r}: {error.strerror or error}") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except OSError as error:
        os.unlink(temporary)
        raise ModelFileError(f"cannot save model file {path!r}: {error.strerror or error}") from None
    except BaseException:
        os.unlink(temporary)
        raise
