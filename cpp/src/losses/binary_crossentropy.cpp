// BinaryCrossentropy: -(y log p + (1 - y) log(1 - p)) averaged over outputs, p clipped to
// [1e-7, 1 - 1e-7]; with from_logits the outputs are logits and the sigmoid is folded in.
// label_smoothing s trains on y (1 - s) + s / 2.
#include "loss_math.hpp"

namespace fastmlp {
namespace {

// Targets moved towards 1/2 by label smoothing s: y (1 - s) + s / 2.
template <class Scalar>
auto smoothed_targets(ConstMatrixMapOf<Scalar> y_true, double label_smoothing) {
  const Scalar s = static_cast<Scalar>(label_smoothing);
  return y_true.array() * (1 - s) + Scalar(0.5) * s;
}

class BinaryCrossentropy : public Described<BinaryCrossentropy, LossImpl<BinaryCrossentropy>, CrossentropyOptions> {
 public:
  static constexpr const char* kClassName = "BinaryCrossentropy";

  explicit BinaryCrossentropy(const Options& options = {}) : Described(options) {
    require_label_smoothing(options.label_smoothing, kClassName);
    require_feature_axis(options.axis, kClassName);
  }

  // Smoothed targets are an expression, not a buffer: nothing is allocated per batch. With no
  // smoothing they equal y exactly (y * 1 + 0).
  template <class Scalar>
  void per_sample_of(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true, VectorRefOf<Scalar> out) const {
    const auto y = smoothed_targets(y_true, options_.label_smoothing);
    if (options_.from_logits) {
      // From logits z: max(z, 0) - z y + log(1 + e^-|z|), exact for any z.
      const auto z = y_pred.array();
      out = (z.max(Scalar(0)) - z * y + (-z.abs()).exp().log1p()).rowwise().mean();
    } else {
      const auto p = y_pred.array().unaryExpr(&clip_probability<Scalar>);
      out = -(y * p.log() + (1 - y) * (1 - p).log()).rowwise().mean();
    }
  }

  template <class Scalar>
  void gradient_of(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true, MatrixMapOf<Scalar> grad) const {
    const Scalar scale = inverse<Scalar>(y_pred.size());
    const auto y = smoothed_targets(y_true, options_.label_smoothing);
    if (options_.from_logits) {
      grad.array() = scale * (y_pred.array().logistic() - y);
    } else {
      const auto p = y_pred.array().unaryExpr(&clip_probability<Scalar>);
      grad.array() = scale * (p - y) / (p * (1 - p));
    }
  }

  bool fuses_with(const Activation& activation) const override {
    return !options_.from_logits && activation.class_name() == "sigmoid";
  }

  template <class Scalar>
  void gradient_preactivation_of(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true,
                                 MatrixMapOf<Scalar> grad) const {
    // σ' = p(1 - p) cancels: dL/dz = (p - y)/(n k)
    grad.array() =
        inverse<Scalar>(y_pred.size()) * (y_pred.array() - smoothed_targets(y_true, options_.label_smoothing));
  }

  template <class Scalar>
  void check_targets_of(ConstMatrixMapOf<Scalar> y_true, Index output_units) const {
    Loss::check_targets_of(y_true, output_units);
    for (Index r = 0; r < y_true.rows(); ++r)
      for (Index c = 0; c < y_true.cols(); ++c)
        if (y_true(r, c) < 0 || y_true(r, c) > 1)
          throw std::invalid_argument("binary_crossentropy targets must lie in [0, 1]; row " + std::to_string(r) +
                                      " holds " + std::to_string(y_true(r, c)));
  }
};

FASTMLP_REGISTER(BinaryCrossentropy, "binary_crossentropy", "bce", "BCE");

}  // namespace
}  // namespace fastmlp
