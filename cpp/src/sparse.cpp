#include "fastmlp/sparse.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <stdexcept>

namespace fastmlp {

template <class T>
void check_csr(const CsrRowsOf<T>& x, const std::string& name) {
  if (x.rows < 0 || x.cols < 0)
    throw std::invalid_argument(name + " must have a non-negative shape, got (" + std::to_string(x.rows) + ", " +
                                std::to_string(x.cols) + ")");
  if (x.rows > 0 && x.indptr == nullptr) throw std::invalid_argument(name + ": indptr is a null pointer");
  if (x.rows == 0) return;
  if (x.indptr[0] < 0)
    throw std::invalid_argument(name + ": indptr[0] is " + std::to_string(x.indptr[0]) + "; offsets must be >= 0");
  if (x.nnz() > 0 && (x.indices == nullptr || x.values == nullptr))
    throw std::invalid_argument(name + ": indices or values is a null pointer");
  for (Index r = 0; r < x.rows; ++r) {
    const SparseIndex begin = x.indptr[r], end = x.indptr[r + 1];
    if (end < begin)
      throw std::invalid_argument(name + ": indptr decreases at row " + std::to_string(r) + " (" +
                                  std::to_string(begin) + " then " + std::to_string(end) +
                                  "); it is not a valid CSR matrix");
    for (SparseIndex k = begin; k < end; ++k) {
      const SparseIndex column = x.indices[k];
      if (column < 0 || column >= x.cols)
        throw std::invalid_argument(name + ": row " + std::to_string(r) + " stores column index " +
                                    std::to_string(column) + ", outside [0, " + std::to_string(x.cols) + ")");
      if (k > begin && column <= x.indices[k - 1])
        throw std::invalid_argument(
            name + ": the column indices of row " + std::to_string(r) +
            (column == x.indices[k - 1] ? " hold column " + std::to_string(column) +
                                              " twice; sum the duplicates first (scipy: x.sum_duplicates())"
                                        : " are not sorted; sort them first (scipy: x.sort_indices())"));
      if (!std::isfinite(x.values[k]))
        throw std::invalid_argument(name + " contains NaN or infinity (row " + std::to_string(r) + ", column " +
                                    std::to_string(column) + ")");
    }
  }
}

template <class T>
void densify(const CsrRowsOf<T>& x, Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> out) {
  out.setZero();
  for (Index r = 0; r < x.rows; ++r)
    for (SparseIndex k = x.indptr[r]; k < x.indptr[r + 1]; ++k) out(r, x.indices[k]) = x.values[k];
}

template <class T>
void CsrBatchOf<T>::reserve(Index max_rows, Index max_nnz) {
  indptr_.resize(static_cast<size_t>(max_rows) + 1);
  indices_.resize(static_cast<size_t>(max_nnz));
  values_.resize(static_cast<size_t>(max_nnz));
}

template <class T>
CsrRowsOf<T> CsrBatchOf<T>::gather(const CsrRowsOf<T>& source, const Index* rows, Index count) {
  if (static_cast<size_t>(count) + 1 > indptr_.size())
    throw std::logic_error("CsrBatch::gather: " + std::to_string(count) + " rows exceed the reserved " +
                           std::to_string(indptr_.size() - 1));
  SparseIndex filled = 0;
  indptr_[0] = 0;
  for (Index i = 0; i < count; ++i) {
    const SparseIndex begin = source.indptr[rows[i]], end = source.indptr[rows[i] + 1];
    if (static_cast<size_t>(filled) + static_cast<size_t>(end - begin) > values_.size())
      throw std::logic_error("CsrBatch::gather: the batch holds more values than the reserved " +
                             std::to_string(values_.size()));
    std::copy(source.indices + begin, source.indices + end, indices_.begin() + filled);
    std::copy(source.values + begin, source.values + end, values_.begin() + filled);
    filled += end - begin;
    indptr_[static_cast<size_t>(i) + 1] = filled;
  }
  return {count, source.cols, indptr_.data(), indices_.data(), values_.data()};
}

template <class T>
Index max_batch_nnz(const CsrRowsOf<T>& x, Index batch) {
  std::vector<Index> counts(static_cast<size_t>(x.rows));
  for (Index r = 0; r < x.rows; ++r) counts[static_cast<size_t>(r)] = Index{x.indptr[r + 1]} - x.indptr[r];
  const auto top = counts.begin() + std::min<Index>(batch, x.rows);
  std::nth_element(counts.begin(), top == counts.begin() ? top : top - 1, counts.end(), std::greater<>());
  Index total = 0;
  for (auto it = counts.begin(); it != top; ++it) total += *it;
  return total;
}

template <class Scalar>
const ConstMatrixMapOf<Scalar>& InputMatrixOf<Scalar>::dense() const {
  if (is_sparse_) throw std::logic_error("InputMatrix::dense: the input is sparse");
  return dense_;
}

template <class Scalar>
InputMatrixOf<Scalar> InputMatrixOf<Scalar>::block(Index first, Index end) const {
  if (is_sparse_) return InputMatrixOf<Scalar>(sparse_.block(first, end));
  return InputMatrixOf<Scalar>(row_block(dense_, first, end));
}

#define FASTMLP_INSTANTIATE(Scalar)                                                \
  template struct CsrRowsOf<Scalar>;                                             \
  template class CsrBatchOf<Scalar>;                                             \
  template class InputMatrixOf<Scalar>;                                          \
  template void check_csr<Scalar>(const CsrRowsOf<Scalar>&, const std::string&); \
  template void densify<Scalar>(const CsrRowsOf<Scalar>&, MatrixMapOf<Scalar>);  \
  template Index max_batch_nnz<Scalar>(const CsrRowsOf<Scalar>&, Index);
FASTMLP_INSTANTIATE(float)
FASTMLP_INSTANTIATE(double)
#undef FASTMLP_INSTANTIATE

}  // namespace fastmlp
