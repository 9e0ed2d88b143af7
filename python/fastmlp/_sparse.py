"""scipy.sparse inputs as the core reads them: CSR with values of the model's dtype (float32 or float64)
and int32 indices, viewed in place.

A CSR matrix whose values have the model's dtype crosses with its values viewed in place and its structure
(indptr, indices) copied once, so that nothing the caller does to the matrix during a call can send the
core's reads astray; CSC, COO and the other formats are converted to CSR once (sparse to sparse), other dtypes copy
the stored values or indices only. Nothing here makes a dense copy of the matrix. scipy is imported
only when the user's data is sparse, so fastmlp does not depend on it."""

import sys

import numpy as np

from fastmlp import _dtypes

_INT32_MAX = np.iinfo(np.int32).max


def is_sparse(value):
    """Whether ``value`` is a scipy.sparse matrix or array (csr_matrix, csr_array, coo_matrix, ...)."""
    sparse = sys.modules.get("scipy.sparse")
    return sparse is not None and sparse.issparse(value)


def as_csr(value, name, dtype="float32"):
    """A scipy.sparse matrix or array as a core ``CsrMatrix`` of ``dtype`` (rows, features) over its own memory
    (``_core.CsrMatrix`` for float32, ``_core.float64.CsrMatrix`` for float64)."""
    if len(value.shape) != 2:
        raise ValueError(f"{name} must be 2-D (samples, features), got a sparse array of shape {value.shape}")
    given = value.dtype
    if not (np.issubdtype(given, np.number) or given == np.bool_) or np.issubdtype(given, np.complexfloating):
        raise TypeError(f"{name} must hold real numbers, got a sparse matrix of dtype {given}")
    rows, cols = value.shape
    if cols > _INT32_MAX or rows > _INT32_MAX or value.nnz > _INT32_MAX:
        raise ValueError(f"{name} has shape {value.shape} with {value.nnz} stored values; fastmlp reads sparse "
                         f"matrices with 32-bit indices (at most {_INT32_MAX} rows, columns and stored values): "
                         f"split it into several matrices by rows")
    csr = value if value.format == "csr" else value.tocsr()  # CSC, COO, ...: one sparse conversion
    if np.ndim(csr.indptr) != 1 or len(csr.indptr) != rows + 1:
        # The core counts rows by indptr: a shorter or longer one predicted 251 or 261 rows for 256.
        raise ValueError(f"{name} is not a valid CSR matrix: its shape says {rows} rows, so indptr should hold "
                         f"{rows + 1} offsets, it holds {len(csr.indptr)}")
    with np.errstate(over="ignore", invalid="ignore"):  # beyond float32's range: infinity, which the core reports
        data = np.require(csr.data, dtype=_dtypes.numpy_dtype(dtype), requirements=["C", "A"])
    # The structure is copied once (4 bytes a stored value, a third of what a float64 matrix's values take
    # and no more than float32's); the values are read in place. Every batch is gathered by these offsets
    # and columns after the core checked them once: a callback or another thread that rewrote the caller's
    # indices (to 2**30) or indptr during fit made the gather read and write out of bounds (SIGSEGV).
    # Rewritten values stay numbers, which cannot send a read astray.
    return _dtypes.core(dtype).CsrMatrix(_int32(csr.indptr, name, "indptr"), _int32(csr.indices, name, "indices"),
                                         data, cols)


def _int32(indices, name, what):
    """A private int32 copy of indptr or indices (int64 ones, scipy's choice for large matrices or after
    some operations, when they fit)."""
    if indices.dtype == np.int32:
        return np.array(indices, dtype=np.int32, order="C", copy=True)
    if len(indices) and (indices.max() > _INT32_MAX or indices.min() < np.iinfo(np.int32).min):
        raise ValueError(f"{name}.{what} holds values beyond int32; fastmlp reads sparse matrices with 32-bit "
                         f"indices: split the matrix into several by rows")
    return np.ascontiguousarray(indices, dtype=np.int32)


def take_rows(array, start, stop):
    """Rows [start, stop) of a dense array or a CsrMatrix, as a view."""
    if _dtypes.is_csr(array):
        return type(array)(array.indptr[start:stop + 1], array.indices, array.data, array.shape[1])
    return array[start:stop]
