// What Dice and Tversky share: a score of sums over y_true ∘ y_pred, taken per sample (axis -1) or
// over the whole batch (axis None, Keras's default, which makes the loss one value of the batch).
// Internal to the library.
#pragma once

#include <optional>

#include "loss_math.hpp"

namespace fastmlp {

// Keras's axis of these losses: None (the whole batch) or the features (-1, or 1).
inline void require_overlap_axis(const std::optional<std::int64_t>& axis, const char* loss) {
  if (axis) require_feature_axis(*axis, loss);
}

// The loss of Formula, which provides kClassName, Options (with `std::optional<std::int64_t> axis`),
// a type Sums with `void add(double p, double y)`, `double value(const Sums&)` and
// `double derivative(const Sums&, double p, double y)` (d value / d p of one element).
template <class Formula>
class OverlapLoss : public Described<OverlapLoss<Formula>, LossImpl<OverlapLoss<Formula>>, typename Formula::Options> {
  using Parent = Described<OverlapLoss<Formula>, LossImpl<OverlapLoss<Formula>>, typename Formula::Options>;
  using Sums = typename Formula::Sums;

 public:
  static constexpr const char* kClassName = Formula::kClassName;
  explicit OverlapLoss(const typename Formula::Options& options = {}) : Parent(options), formula_(options) {
    require_overlap_axis(options.axis, kClassName);
  }

  bool whole_batch() const override { return !this->options_.axis; }

  template <class Scalar>
  void per_sample_of(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true, VectorRefOf<Scalar> out) const {
    if (whole_batch()) {
      out.setConstant(static_cast<Scalar>(formula_.value(sums(y_pred, y_true, 0, y_pred.rows()))));
      return;
    }
    for (Index r = 0; r < y_pred.rows(); ++r) out(r) = static_cast<Scalar>(formula_.value(sums(y_pred, y_true, r, r + 1)));
  }

  // The whole batch's loss is the value itself; per sample, the batch's loss is their mean (1/n).
  template <class Scalar>
  void gradient_of(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true, MatrixMapOf<Scalar> grad) const {
    if (whole_batch()) return fill_gradient(y_pred, y_true, grad, 0, y_pred.rows(), 1.0);
    const double inv_n = 1.0 / static_cast<double>(y_pred.rows());
    for (Index r = 0; r < y_pred.rows(); ++r) fill_gradient(y_pred, y_true, grad, r, r + 1, inv_n);
  }

 private:
  template <class Scalar>
  Sums sums(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true, Index first, Index end) const {
    Sums total;
    for (Index r = first; r < end; ++r)
      for (Index c = 0; c < y_pred.cols(); ++c) total.add(y_pred(r, c), y_true(r, c));
    return total;
  }

  template <class Scalar>
  void fill_gradient(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true, MatrixMapOf<Scalar> grad,
                     Index first, Index end, double scale) const {
    const Sums total = sums(y_pred, y_true, first, end);
    for (Index r = first; r < end; ++r)
      for (Index c = 0; c < y_pred.cols(); ++c)
        grad(r, c) = static_cast<Scalar>(scale * formula_.derivative(total, y_pred(r, c), y_true(r, c)));
  }

  Formula formula_;
};

}  // namespace fastmlp
