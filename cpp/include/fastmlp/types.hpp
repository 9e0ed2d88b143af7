// Scalar and matrix aliases shared by the whole library.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <random>
#include <utility>

namespace fastmlp {

using Scalar = float;
using Index = Eigen::Index;

// Row-major, like NumPy's default: a batch of samples is a block of consecutive rows, so a
// contiguous (N, features) array maps onto it without a copy and row blocks are batches.
using RowMatrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowVector = Eigen::Matrix<Scalar, 1, Eigen::Dynamic>;
using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;
using MatrixMap = Eigen::Map<RowMatrix>;
using ConstMatrixMap = Eigen::Map<const RowMatrix>;

// One seeded generator per model, passed explicitly, so a seed fixes every random draw.
using Rng = std::mt19937_64;

// The first `rows` rows of a buffer sized for the largest batch: the last, shorter batch of an
// epoch reuses the same memory instead of reallocating.
inline MatrixMap top_rows(RowMatrix& buffer, Index rows) {
  return MatrixMap(buffer.data(), rows, buffer.cols());
}
inline ConstMatrixMap top_rows(const RowMatrix& buffer, Index rows) {
  return ConstMatrixMap(buffer.data(), rows, buffer.cols());
}

// A whole matrix viewed as a map, for functions that take maps.
inline MatrixMap map_of(RowMatrix& m) { return MatrixMap(m.data(), m.rows(), m.cols()); }
inline ConstMatrixMap map_of(const RowMatrix& m) { return ConstMatrixMap(m.data(), m.rows(), m.cols()); }

// A read-only view of the same memory (Eigen has no implicit Map<T> -> Map<const T> conversion).
inline ConstMatrixMap as_const_map(MatrixMap m) { return ConstMatrixMap(m.data(), m.rows(), m.cols()); }

// The rows [first, end) of a row-major matrix, which are contiguous in memory: a batch of
// consecutive samples viewed in place.
inline MatrixMap row_block(MatrixMap m, Index first, Index end) {
  return MatrixMap(m.data() + first * m.cols(), end - first, m.cols());
}
inline ConstMatrixMap row_block(ConstMatrixMap m, Index first, Index end) {
  return ConstMatrixMap(m.data() + first * m.cols(), end - first, m.cols());
}

}  // namespace fastmlp
