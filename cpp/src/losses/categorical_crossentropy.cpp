// CategoricalCrossentropy: -Σ y log q over classes, q = p / Σp clipped; from_logits folds in a
// log-softmax. label_smoothing s trains on y (1 - s) + s / classes.
#include "loss_math.hpp"

namespace fastmlp {
namespace {

class CategoricalCrossentropy
    : public Described<CategoricalCrossentropy, LossImpl<CategoricalCrossentropy>, CrossentropyOptions> {
 public:
  static constexpr const char* kClassName = "CategoricalCrossentropy";

  explicit CategoricalCrossentropy(const Options& options = {}) : Described(options) {
    require_label_smoothing(options.label_smoothing, kClassName);
    require_feature_axis(options.axis, kClassName);
  }

  template <class Scalar>
  void per_sample_of(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true, VectorRefOf<Scalar> out) const {
    const Scalar keep = 1 - smoothing<Scalar>(), spread = smoothing<Scalar>() / static_cast<Scalar>(y_pred.cols());
    for (Index r = 0; r < y_pred.rows(); ++r) {
      const auto y = y_true.row(r).array() * keep + spread;
      if (options_.from_logits) {
        out(r) = -(y * log_softmax(y_pred.row(r))).sum();
      } else {
        const auto q = (y_pred.row(r).array() / y_pred.row(r).sum()).unaryExpr(&clip_probability<Scalar>);
        out(r) = -(y * q.log()).sum();
      }
    }
  }

  template <class Scalar>
  void gradient_of(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true, MatrixMapOf<Scalar> grad) const {
    const Scalar inv_n = inverse<Scalar>(y_pred.rows());
    const Scalar keep = 1 - smoothing<Scalar>(), spread = smoothing<Scalar>() / static_cast<Scalar>(y_pred.cols());
    for (Index r = 0; r < y_pred.rows(); ++r) {
      const auto y = y_true.row(r).array() * keep + spread;
      const Scalar labels = y.sum();
      if (options_.from_logits) {
        grad.row(r).array() = inv_n * (log_softmax(y_pred.row(r)).exp() * labels - y);
      } else {
        // L = -Σ y_k log(p_k / S)  =>  dL/dp_j = -y_j / p_j + Σy / S
        const Scalar s = y_pred.row(r).sum();
        const auto q = (y_pred.row(r).array() / s).unaryExpr(&clip_probability<Scalar>);
        grad.row(r).array() = inv_n * (-y / (q * s) + labels / s);
      }
    }
  }

  bool fuses_with(const Activation& activation) const override {
    return !options_.from_logits && activation.class_name() == "softmax";
  }

  template <class Scalar>
  void gradient_preactivation_of(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true,
                                 MatrixMapOf<Scalar> grad) const {
    // Through the softmax Jacobian: dL/dz = p Σy - y, which is p - y for one-hot rows.
    const Scalar keep = 1 - smoothing<Scalar>(), spread = smoothing<Scalar>() / static_cast<Scalar>(y_pred.cols());
    const auto y = y_true.array() * keep + spread;
    const auto labels = y_true.rowwise().sum().array() * keep + smoothing<Scalar>();  // Σ of the smoothed row
    grad = inverse<Scalar>(y_pred.rows()) * ((y_pred.array().colwise() * labels) - y).matrix();
  }

 private:
  template <class Scalar>
  Scalar smoothing() const { return static_cast<Scalar>(options_.label_smoothing); }
};

FASTMLP_REGISTER(CategoricalCrossentropy, "categorical_crossentropy");

}  // namespace
}  // namespace fastmlp
