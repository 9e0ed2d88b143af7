"""Readers for datasets stored on disk: MNIST's IDX files (raw or gzip-compressed).

    x_test, y_test = fastmlp.datasets.load_mnist("data/mnist", kind="t10k")   # (10000, 28, 28), (10000,)
    images = fastmlp.datasets.read_idx("data/mnist/t10k-images-idx3-ubyte.gz")

Nothing is downloaded: fastmlp reads files you already have, and says which file is wrong and how.
"""

import gzip
import os
import zlib

import numpy as np

# IDX's type byte and the big-endian NumPy type it stands for (http://yann.lecun.com/exdb/mnist/).
_IDX_DTYPES = {0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
               0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
_GZIP_MAGIC = b"\x1f\x8b"
_KINDS = ("train", "t10k")


def _read_bytes(path):
    """The file's contents, decompressed when it is gzip (recognised by its magic bytes, not its name)."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no IDX file at {path!r}")
    with open(path, "rb") as stream:
        data = stream.read()
    if data[:2] == _GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as error:
            raise ValueError(f"{path!r} is a damaged or truncated gzip file: {error}") from None
    return data


def read_idx(path):
    """Reads one IDX file (raw or gzip) into a NumPy array of its shape and native-endian type.

    Args:
        path: str or os.PathLike.

    Raises:
        FileNotFoundError: nothing exists at ``path``.
        ValueError: the file is not IDX (bad magic number or unknown type code), or holds more or
            fewer bytes than its header announces; the message names the file and the problem.
    """
    path = os.fspath(path)
    data = _read_bytes(path)
    if len(data) < 4 or data[:2] != b"\x00\x00":
        raise ValueError(f"{path!r} is not an IDX file: its magic number must start with two zero bytes, "
                         f"got {data[:4].hex() or 'an empty file'}")
    code, ndim = data[2], data[3]
    if code not in _IDX_DTYPES:
        raise ValueError(f"{path!r} has an unknown IDX type code 0x{code:02x}; valid codes are "
                         f"{', '.join(f'0x{c:02x}' for c in _IDX_DTYPES)}")
    header = 4 + 4 * ndim
    if ndim == 0 or len(data) < header:
        raise ValueError(f"{path!r} is truncated in its header: {ndim} dimension(s) need {header} bytes, "
                         f"the file has {len(data)}")
    shape = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = _IDX_DTYPES[code]
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(data) - header != expected:
        problem = "is truncated" if len(data) - header < expected else "has extra bytes"
        raise ValueError(f"{path!r} {problem}: its header announces shape {shape} of {dtype.name} "
                         f"({expected} bytes of data), but the file holds {len(data) - header}")
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def _find(directory, stem):
    """``stem.gz`` or ``stem`` in ``directory``; FileNotFoundError naming both when neither is there."""
    candidates = [os.path.join(directory, stem + ".gz"), os.path.join(directory, stem)]
    for candidate in candidates:
        if os.path.isfile(candidate):
            return candidate
    raise FileNotFoundError(f"no MNIST file {stem!r} in {directory!r}: looked for "
                            f"{' and '.join(repr(c) for c in candidates)}")


def load_mnist(path, kind="train"):
    """Loads MNIST (or any dataset in its layout, such as Fashion-MNIST) from IDX files.

    Args:
        path: the directory holding ``{kind}-images-idx3-ubyte`` and ``{kind}-labels-idx1-ubyte``,
            each either raw or gzip-compressed (with a ``.gz`` suffix), as they are distributed.
        kind: "train" (60,000 samples) or "t10k" (the 10,000 test samples).

    Returns:
        ``(images, labels)``: uint8 arrays of shape (n, rows, cols) -- (n, 28, 28) for MNIST --
        and (n,).

    Raises:
        FileNotFoundError: the directory or one of the two files is missing.
        ValueError: a file is not IDX, is truncated, holds the wrong type or shape, or the two files
            disagree on the number of samples.
    """
    path = os.fspath(path)
    if kind not in _KINDS:
        raise ValueError(f"kind must be one of {_KINDS}, got {kind!r}")
    if not os.path.isdir(path):
        raise FileNotFoundError(f"{path!r} is not a directory; load_mnist expects the directory holding "
                                f"{kind}-images-idx3-ubyte(.gz) and {kind}-labels-idx1-ubyte(.gz)")
    images_path = _find(path, f"{kind}-images-idx3-ubyte")
    labels_path = _find(path, f"{kind}-labels-idx1-ubyte")
    images, labels = read_idx(images_path), read_idx(labels_path)
    for name, array, ndim in ((images_path, images, 3), (labels_path, labels, 1)):
        if array.dtype != np.uint8:
            raise ValueError(f"{name!r} holds {array.dtype} values; MNIST files hold unsigned bytes (type 0x08)")
        if array.ndim != ndim:
            raise ValueError(f"{name!r} has {array.ndim} dimension(s) {array.shape}; expected {ndim}")
    if len(images) != len(labels):
        raise ValueError(f"{images_path!r} holds {len(images)} images but {labels_path!r} holds "
                         f"{len(labels)} labels")
    return images, labels
