"""What the Keras readers check of an untrusted HDF5 file before they read its data (both the legacy .h5
file and the model.weights.h5 inside a .keras archive go through here).

- Links: HDF5 lets a file point outside itself. An external link (or a user-defined link type) opens
  another file of the machine's when followed (a FIFO blocks the reader forever), a dataset with external
  storage reads raw bytes from other files, and a virtual dataset maps other files' datasets. Keras 3
  refuses external links ("Not allowed: H5 file with ExternalLink"); so does fastmlp, and the other two
  with them, before any object is opened. Links are listed without being followed (H5Lvisit), so the
  check itself never leaves the file. A soft link is a path inside the same file, which the refused
  links are then the only way out of.
- Sizes: a dataset's shape is metadata; its data may be absent (a chunked dataset whose chunks were
  never written reads as fill values), so 21 KB can declare a 1 GiB array. A dataset may declare at
  most what the file's bytes can hold: Keras writes weights uncompressed, so ``RATIO`` times the file
  leaves room for any compression filter's real output while bounding what a read allocates.
- Dtypes: weights are numbers; a compound, string, reference or opaque dataset is refused by name
  instead of failing somewhere in NumPy with a TypeError.
"""

import numpy as np

from fastmlp._interop.errors import ModelFileError

# Deflate, the strongest filter HDF5 ships, cannot shrink data by more than about 1032:1.
RATIO = 1100
# Below this, a declared size is small enough to read whatever the file's size.
SMALL_BYTES = 1 << 20


def check_links(h5, path):
    """Raises ModelFileError naming the first link, external storage or virtual dataset in the open
    h5py File ``h5`` that leads outside the file; follows no link while looking."""
    import h5py
    found = []

    def visit(name, link_info):
        if link_info.type not in (h5py.h5l.TYPE_HARD, h5py.h5l.TYPE_SOFT):
            kind = "an external link" if link_info.type == h5py.h5l.TYPE_EXTERNAL else "a user-defined link"
            found.append(f"{name!r} is {kind}")
            return True  # stop the visit
        return None

    h5.id.links.visit(visit, info=True)
    if not found:
        # Now only hard and soft links remain, all inside the file: the objects can be opened safely.
        def check_object(name, item):
            if isinstance(item, h5py.Dataset):
                if item.is_virtual:
                    found.append(f"dataset {name!r} is virtual (it maps other files' data)")
                elif item.external:
                    found.append(f"dataset {name!r} keeps its data in external files")
            return True if found else None

        h5.visititems(check_object)
    if found:
        raise ModelFileError(f"{path}: not allowed: an HDF5 file that points outside itself ({found[0]}); "
                             "a model file must hold all its data")


def file_size(h5):
    """The size in bytes of the open HDF5 file (in memory or on disk)."""
    return int(h5.id.get_filesize())


def check_dataset(dataset, path, limit_bytes):
    """Raises ModelFileError for a dataset that is not numbers, or that declares more than
    ``limit_bytes`` (see ``RATIO``); returns quietly otherwise, having read nothing."""
    dtype = dataset.dtype
    if dtype.kind not in "biuf" or dtype.fields is not None:
        raise ModelFileError(f"{path}: dataset {dataset.name!r} holds {dtype} values, not numbers")
    count = 1
    for extent in dataset.shape:
        count *= int(extent)
    declared = count * dtype.itemsize
    if declared > max(limit_bytes, SMALL_BYTES):
        raise ModelFileError(f"{path}: dataset {dataset.name!r} declares shape {tuple(dataset.shape)} "
                             f"({declared} bytes), more than a file of {limit_bytes // RATIO} bytes can hold")


def read_dataset(dataset, path, limit_bytes):
    """The dataset as a NumPy array, after ``check_dataset``."""
    check_dataset(dataset, path, limit_bytes)
    return np.array(dataset)
