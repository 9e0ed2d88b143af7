// Scalar and matrix aliases shared by the whole library.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <random>
#include <type_traits>
#include <utility>

namespace fastmlp {

using Index = Eigen::Index;

// A model computes in one scalar type, float (the default, as in Keras) or double; the types that
// hold numbers are templates on it, instantiated for both. The names without "Of" are the float
// ones, which C++ programs written before double existed keep using.
template <class Scalar>
constexpr bool kIsScalar = std::is_same_v<Scalar, float> || std::is_same_v<Scalar, double>;

// Keras's name for a scalar type ("float32", "float64"), as model files and Python write it.
template <class Scalar>
constexpr const char* dtype_name() {
  static_assert(kIsScalar<Scalar>, "fastmlp computes in float or double");
  return std::is_same_v<Scalar, float> ? "float32" : "float64";
}

// Row-major, like NumPy's default: a batch of samples is a block of consecutive rows, so a
// contiguous (N, features) array maps onto it without a copy and row blocks are batches.
template <class Scalar>
using RowMatrixOf = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class Scalar>
using RowVectorOf = Eigen::Matrix<Scalar, 1, Eigen::Dynamic>;
template <class Scalar>
using VectorOf = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;
template <class Scalar>
using MatrixMapOf = Eigen::Map<RowMatrixOf<Scalar>>;
template <class Scalar>
using ConstMatrixMapOf = Eigen::Map<const RowMatrixOf<Scalar>>;

using RowMatrix = RowMatrixOf<float>;
using RowVector = RowVectorOf<float>;
using Vector = VectorOf<float>;
using MatrixMap = MatrixMapOf<float>;
using ConstMatrixMap = ConstMatrixMapOf<float>;

// One seeded generator per model, passed explicitly, so a seed fixes every random draw.
using Rng = std::mt19937_64;

// The first `rows` rows of a buffer sized for the largest batch: the last, shorter batch of an
// epoch reuses the same memory instead of reallocating.
template <class Scalar>
inline MatrixMapOf<Scalar> top_rows(RowMatrixOf<Scalar>& buffer, Index rows) {
  return MatrixMapOf<Scalar>(buffer.data(), rows, buffer.cols());
}
template <class Scalar>
inline ConstMatrixMapOf<Scalar> top_rows(const RowMatrixOf<Scalar>& buffer, Index rows) {
  return ConstMatrixMapOf<Scalar>(buffer.data(), rows, buffer.cols());
}

// A whole matrix viewed as a map, for functions that take maps.
template <class Scalar>
inline MatrixMapOf<Scalar> map_of(RowMatrixOf<Scalar>& m) { return MatrixMapOf<Scalar>(m.data(), m.rows(), m.cols()); }
template <class Scalar>
inline ConstMatrixMapOf<Scalar> map_of(const RowMatrixOf<Scalar>& m) { return ConstMatrixMapOf<Scalar>(m.data(), m.rows(), m.cols()); }

// A read-only view of the same memory (Eigen has no implicit Map<T> -> Map<const T> conversion).
template <class Scalar>
inline ConstMatrixMapOf<Scalar> as_const_map(MatrixMapOf<Scalar> m) { return ConstMatrixMapOf<Scalar>(m.data(), m.rows(), m.cols()); }

// The rows [first, end) of a row-major matrix, which are contiguous in memory: a batch of
// consecutive samples viewed in place.
template <class Scalar>
inline MatrixMapOf<Scalar> row_block(MatrixMapOf<Scalar> m, Index first, Index end) {
  return MatrixMapOf<Scalar>(m.data() + first * m.cols(), end - first, m.cols());
}
template <class Scalar>
inline ConstMatrixMapOf<Scalar> row_block(ConstMatrixMapOf<Scalar> m, Index first, Index end) {
  return ConstMatrixMapOf<Scalar>(m.data() + first * m.cols(), end - first, m.cols());
}

}  // namespace fastmlp
