"""fastmlp.datasets: IDX files written here (raw and gzip, good and broken) and the real MNIST test set."""

import gzip
import hashlib
import pathlib
import struct

import numpy as np
import pytest

from fastmlp import datasets

# The workspace keeps shared data beside the repository: <workspace>/shared/data/mnist.
MNIST_DIR = pathlib.Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"


def idx_bytes(array, code=0x08):
    array = np.asarray(array)
    header = struct.pack(">BBBB", 0, 0, code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(datasets._IDX_DTYPES[code]).tobytes()


def write_mnist(directory, images, labels, compress=True, kind="t10k"):
    for stem, payload in ((f"{kind}-images-idx3-ubyte", idx_bytes(images)),
                          (f"{kind}-labels-idx1-ubyte", idx_bytes(labels))):
        if compress:
            (directory / f"{stem}.gz").write_bytes(gzip.compress(payload))
        else:
            (directory / stem).write_bytes(payload)


@pytest.fixture
def small_images():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (5, 28, 28), dtype=np.uint8), np.array([3, 1, 4, 1, 5], dtype=np.uint8)


@pytest.mark.parametrize("compress", [True, False])
def test_load_mnist_round_trips_written_files(tmp_path, small_images, compress):
    images, labels = small_images
    write_mnist(tmp_path, images, labels, compress=compress, kind="train")
    x, y = datasets.load_mnist(tmp_path, kind="train")
    assert x.dtype == np.uint8 and y.dtype == np.uint8
    np.testing.assert_array_equal(x, images)
    np.testing.assert_array_equal(y, labels)


@pytest.mark.parametrize("code", sorted(datasets._IDX_DTYPES))
def test_read_idx_reads_every_type_code(tmp_path, code):
    values = np.arange(-3, 9).reshape(3, 4) if code != 0x08 else np.arange(12).reshape(3, 4)
    path = tmp_path / "values.idx"
    path.write_bytes(idx_bytes(values, code))
    array = datasets.read_idx(path)
    assert array.shape == (3, 4) and array.dtype == datasets._IDX_DTYPES[code].newbyteorder("=")
    np.testing.assert_array_equal(array, values)


def test_bad_magic_is_named(tmp_path):
    path = tmp_path / "t10k-images-idx3-ubyte"
    path.write_bytes(b"\x01\x02\x08\x03" + bytes(100))
    with pytest.raises(ValueError, match=r"t10k-images-idx3-ubyte.*not an IDX file.*magic"):
        datasets.read_idx(path)


def test_unknown_type_code_is_named(tmp_path):
    path = tmp_path / "odd.idx"
    path.write_bytes(b"\x00\x00\x07\x01" + struct.pack(">I", 2) + b"ab")
    with pytest.raises(ValueError, match=r"odd\.idx.*unknown IDX type code 0x07"):
        datasets.read_idx(path)


def test_truncated_data_and_header_are_reported(tmp_path, small_images):
    images, _ = small_images
    path = tmp_path / "cut.idx"
    path.write_bytes(idx_bytes(images)[:-10])
    with pytest.raises(ValueError, match=r"cut\.idx.*is truncated.*shape \(5, 28, 28\)"):
        datasets.read_idx(path)
    path.write_bytes(idx_bytes(images)[:9])
    with pytest.raises(ValueError, match=r"cut\.idx.*truncated in its header"):
        datasets.read_idx(path)
    path.write_bytes(idx_bytes(images) + b"\x00")
    with pytest.raises(ValueError, match=r"cut\.idx.*has extra bytes"):
        datasets.read_idx(path)


def test_truncated_gzip_is_reported(tmp_path, small_images):
    images, _ = small_images
    path = tmp_path / "cut.gz"
    path.write_bytes(gzip.compress(idx_bytes(images))[:-20])
    with pytest.raises(ValueError, match=r"cut\.gz.*damaged or truncated gzip"):
        datasets.read_idx(path)


def test_wrong_dtype_for_mnist(tmp_path, small_images):
    images, labels = small_images
    write_mnist(tmp_path, images, labels)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(labels, code=0x0C)))
    with pytest.raises(ValueError, match=r"t10k-labels-idx1-ubyte\.gz.*int32.*unsigned bytes"):
        datasets.load_mnist(tmp_path, kind="t10k")


def test_mismatched_counts(tmp_path, small_images):
    images, labels = small_images
    write_mnist(tmp_path, images, labels[:4])
    with pytest.raises(ValueError, match=r"5 images but .*t10k-labels-idx1-ubyte\.gz.* 4 labels"):
        datasets.load_mnist(tmp_path, kind="t10k")


def test_missing_files_and_directory(tmp_path, small_images):
    images, labels = small_images
    with pytest.raises(FileNotFoundError, match="is not a directory"):
        datasets.load_mnist(tmp_path / "nowhere")
    write_mnist(tmp_path, images, labels)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError, match=r"t10k-labels-idx1-ubyte.*looked for"):
        datasets.load_mnist(tmp_path, kind="t10k")
    with pytest.raises(FileNotFoundError, match="no IDX file"):
        datasets.read_idx(tmp_path / "absent.idx")
    with pytest.raises(ValueError, match="kind must be one of"):
        datasets.load_mnist(tmp_path, kind="test")


def test_real_mnist_test_set():
    if not (MNIST_DIR / "t10k-images-idx3-ubyte.gz").exists():
        pytest.skip(f"the shared MNIST files are not in {MNIST_DIR} (a checkout outside the workspace)")
    for line in (MNIST_DIR / "MD5SUMS").read_text().splitlines():
        digest, name = line.split()
        assert hashlib.md5((MNIST_DIR / name).read_bytes()).hexdigest() == digest, name
    x, y = datasets.load_mnist(MNIST_DIR, kind="t10k")
    assert x.shape == (10000, 28, 28) and x.dtype == np.uint8
    assert y.shape == (10000,) and y.dtype == np.uint8
    assert x.max() == 255 and x.min() == 0
    np.testing.assert_array_equal(y[:10], [7, 2, 1, 0, 4, 1, 4, 9, 5, 9])  # the well-known first labels
    assert np.bincount(y).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
