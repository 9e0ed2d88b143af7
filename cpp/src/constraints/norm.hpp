// What the norm constraints (MaxNorm, UnitNorm, MinMaxNorm) share: Keras's `axis`, and the rescaling
// w * desired(norm) / (epsilon + norm) with the norm taken over those axes.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "fastmlp/constraint.hpp"

namespace fastmlp {

// Keras's epsilon (backend.epsilon()), added to every norm as Keras's constraints add it.
inline constexpr double kConstraintEpsilon = 1e-7;

// Keras's `axis` of a norm constraint: one axis (0, Keras's default), a list of axes ([0, 1]) or None
// (the norm of the whole tensor). Written back in the form it was given.
struct ConstraintAxis {
  enum class Form { One, List, All };
  Form form = Form::One;
  std::vector<std::int64_t> axes{0};  // empty for All

  Config to_config() const;
  static ConstraintAxis from_config(const Config& config, const std::string& what);

  // Which of a stored (rows, cols) tensor's directions the norm sums over, given the tensor's Keras
  // rank: for a rank-2 tensor, axis 0 sums down each column (over_rows) and axis 1 along each row
  // (over_cols); a rank-1 tensor, stored as one row, has only axis 0, along that row.
  struct Reduction {
    bool over_rows = false;
    bool over_cols = false;
  };
  // Throws std::invalid_argument, naming `what`, for an axis outside [-rank, rank).
  void check(int rank, const std::string& what) const;
  // For axes that check() accepted (a training step calls it: it builds no message).
  Reduction reduction(int rank) const;
};

// values *= desired(norm) / (epsilon + norm) for each norm the reduction takes; `desired` maps a norm
// (double) to the norm wanted. Sums in double. The per-column norms need one number per column, kept
// in a buffer of the calling thread that grows only the first time it meets a wider tensor, so that
// a training step does not allocate.
template <class Scalar, class Desired>
void rescale_norms(MatrixMapOf<Scalar> values, ConstraintAxis::Reduction reduction, const Desired& desired) {
  const auto factor = [&](double squared) {
    const double norm = std::sqrt(squared);
    return static_cast<Scalar>(desired(norm) / (kConstraintEpsilon + norm));
  };
  if (reduction.over_rows && reduction.over_cols) {
    values *= factor(values.template cast<double>().squaredNorm());
  } else if (reduction.over_cols) {  // one norm per row
    for (Index r = 0; r < values.rows(); ++r) values.row(r) *= factor(values.row(r).template cast<double>().squaredNorm());
  } else if (reduction.over_rows) {  // one norm per column, summed row by row (the storage order)
    thread_local std::vector<double> sums;
    if (sums.size() < static_cast<size_t>(values.cols())) sums.resize(static_cast<size_t>(values.cols()));
    Eigen::Map<Eigen::Matrix<double, 1, Eigen::Dynamic>> column_sums(sums.data(), values.cols());
    column_sums.setZero();
    for (Index r = 0; r < values.rows(); ++r) column_sums += values.row(r).template cast<double>().cwiseAbs2();
    for (Index c = 0; c < values.cols(); ++c) column_sums(c) = static_cast<double>(factor(column_sums(c)));
    for (Index r = 0; r < values.rows(); ++r)
      values.row(r).array() *= column_sums.template cast<Scalar>().array();
  }
}

}  // namespace fastmlp
