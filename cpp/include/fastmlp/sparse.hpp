// Sparse inputs: a CSR matrix viewed without a copy (scipy.sparse's csr_matrix layout, int32 indices),
// the model input that is either dense or sparse, and the buffer batches of sparse rows are gathered in.
// Bag-of-words and one-hot rows are mostly zeros: a Dense layer multiplies them as sparse x dense and
// computes its kernel gradient over the stored entries only (dense.cpp); every other layer is handed
// the batch densified (model_training.cpp).
#pragma once

#include <Eigen/SparseCore>
#include <cstdint>
#include <string>
#include <vector>

#include "fastmlp/types.hpp"

namespace fastmlp {

// The index type of the views: scipy's default, and what Eigen's Map takes without a copy.
using SparseIndex = std::int32_t;

template <class T>
using CsrMapOf = Eigen::Map<const Eigen::SparseMatrix<T, Eigen::RowMajor, SparseIndex>>;

// A CSR matrix of `rows` x `cols` read in place: row r's entries are indices/values[indptr[r],
// indptr[r + 1]). indptr[0] need not be 0, so that rows [first, end) of a bigger matrix are a view
// (block()). A plain struct of pointers, so that a model keeps one per input and refills it every
// batch without allocating. Templated on the scalar so that a double-precision core can share it.
template <class T>
struct CsrRowsOf {
  Index rows = 0, cols = 0;
  const SparseIndex* indptr = nullptr;   // (rows + 1)
  const SparseIndex* indices = nullptr;  // (nnz) column of each stored value, increasing within a row
  const T* values = nullptr;             // (nnz)

  Index nnz() const { return rows > 0 ? Index{indptr[rows]} - indptr[0] : 0; }
  CsrRowsOf block(Index first, Index end) const { return {end - first, cols, indptr + first, indices, values}; }
  // Eigen's view of the same memory, for its sparse x dense products.
  CsrMapOf<T> map() const { return CsrMapOf<T>(rows, cols, nnz(), indptr, indices, values); }
};
using CsrRows = CsrRowsOf<float>;

// Throws std::invalid_argument, naming `name` and saying how to fix it, unless `x` is a valid CSR
// matrix of finite values: indptr starting at 0 and never decreasing, column indices in [0, cols) and
// strictly increasing within each row (sorted, no duplicates). O(nnz), as the dense finiteness check.
template <class T>
void check_csr(const CsrRowsOf<T>& x, const std::string& name);

// out (rows, cols) = x, zeros where x stores nothing: for a layer that reads dense batches.
template <class T>
void densify(const CsrRowsOf<T>& x, Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> out);

// Room for a batch of sparse rows gathered from a bigger CSR matrix (shuffled rows are not a
// block). Sized once, before the training loop, for the largest batch: gather() never allocates.
template <class T>
class CsrBatchOf {
 public:
  // Room for `max_rows` rows holding up to `max_nnz` stored values.
  void reserve(Index max_rows, Index max_nnz);
  // The rows source[rows[0]], ..., source[rows[count - 1]], in that order, as a view of this buffer.
  CsrRowsOf<T> gather(const CsrRowsOf<T>& source, const Index* rows, Index count);

 private:
  std::vector<SparseIndex> indptr_;   // (max_rows + 1)
  std::vector<SparseIndex> indices_;  // (max_nnz)
  std::vector<T> values_;             // (max_nnz)
};
using CsrBatch = CsrBatchOf<float>;

// The most values any batch of `batch` rows of `x` can hold: the sum of its `batch` fullest rows.
template <class T>
Index max_batch_nnz(const CsrRowsOf<T>& x, Index batch);

// One model input's samples: a dense row-major matrix or a CSR matrix, both read in place. Converts
// from either, so that existing code passing ConstMatrixMaps keeps working.
template <class Scalar>
class InputMatrixOf {
 public:
  InputMatrixOf(ConstMatrixMapOf<Scalar> dense) : dense_(dense) {}  // NOLINT: implicit on purpose
  InputMatrixOf(const RowMatrixOf<Scalar>& dense) : dense_(dense.data(), dense.rows(), dense.cols()) {}  // NOLINT
  InputMatrixOf(const CsrRowsOf<Scalar>& sparse) : dense_(nullptr, 0, sparse.cols), sparse_(sparse), is_sparse_(true) {}  // NOLINT

  bool is_sparse() const { return is_sparse_; }
  Index rows() const { return is_sparse_ ? sparse_.rows : dense_.rows(); }
  Index cols() const { return is_sparse_ ? sparse_.cols : dense_.cols(); }
  // The dense matrix; std::logic_error for a sparse one (callers branch on is_sparse()).
  const ConstMatrixMapOf<Scalar>& dense() const;
  const CsrRowsOf<Scalar>& sparse() const { return sparse_; }
  // Rows [first, end), a view of the same memory.
  InputMatrixOf<Scalar> block(Index first, Index end) const;

 private:
  ConstMatrixMapOf<Scalar> dense_;
  CsrRowsOf<Scalar> sparse_;
  bool is_sparse_ = false;
};
using InputMatrix = InputMatrixOf<float>;

}  // namespace fastmlp
