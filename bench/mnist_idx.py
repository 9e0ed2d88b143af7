"""A small reader for MNIST's IDX files (gzip-compressed or not).

IDX layout: a big-endian header -- two zero bytes, a type byte (0x08: unsigned bytes), a byte with
the number of dimensions, then one big-endian uint32 per dimension -- followed by the data in C
order. MNIST's images carry magic 2051 (0x00000803, three dimensions), its labels 2049 (0x00000801,
one dimension).
"""

import gzip
import os
import struct

import numpy as np

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049


def read_idx(path, expected_magic):
    """The array stored in the IDX file at ``path``; raises ValueError on a wrong magic or size."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as stream:
        data = stream.read()
    if len(data) < 4:
        raise ValueError(f"{path}: too short to be an IDX file ({len(data)} bytes)")
    (magic,) = struct.unpack(">I", data[:4])
    if magic != expected_magic:
        raise ValueError(f"{path}: magic number {magic}, expected {expected_magic}")
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{path}: header truncated")
    dims = struct.unpack(f">{ndim}I", data[4:header])
    count = int(np.prod(dims))
    if len(data) - header != count:
        raise ValueError(f"{path}: dimensions {dims} need {count} bytes of data, found {len(data) - header}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)


def load_mnist_test(directory):
    """MNIST's 10,000 test images (uint8, (10000, 28, 28)) and labels (uint8, (10000,)) from
    ``t10k-images-idx3-ubyte.gz`` and ``t10k-labels-idx1-ubyte.gz`` in ``directory``."""
    images = read_idx(os.path.join(directory, "t10k-images-idx3-ubyte.gz"), IMAGES_MAGIC)
    labels = read_idx(os.path.join(directory, "t10k-labels-idx1-ubyte.gz"), LABELS_MAGIC)
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(f"MNIST images {images.shape} and labels {labels.shape} do not match")
    if labels.size and labels.max() > 9:
        raise ValueError(f"MNIST labels must be 0..9, found {labels.max()}")
    return images, labels
