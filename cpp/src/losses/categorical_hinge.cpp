// CategoricalHinge: max(max((1 - y) p) - Σ y p + 1, 0) per sample, for one-hot y.
#include "loss_math.hpp"

namespace fastmlp {
namespace {

class CategoricalHinge : public Described<CategoricalHinge, LossImpl<CategoricalHinge>, NoLossOptions> {
 public:
  static constexpr const char* kClassName = "CategoricalHinge";
  explicit CategoricalHinge(const Options& options = {}) : Described(options) {}

  template <class Scalar>
  void per_sample_of(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true, VectorRefOf<Scalar> out) const {
    for (Index r = 0; r < y_pred.rows(); ++r) {
      const Scalar positive = y_true.row(r).dot(y_pred.row(r));
      const Scalar negative = ((1 - y_true.row(r).array()) * y_pred.row(r).array()).maxCoeff();
      out(r) = std::max(negative - positive + 1, Scalar(0));
    }
  }

  template <class Scalar>
  void gradient_of(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true, MatrixMapOf<Scalar> grad) const {
    const Scalar inv_n = inverse<Scalar>(y_pred.rows());
    grad.setZero();
    for (Index r = 0; r < y_pred.rows(); ++r) {
      Index worst;
      const Scalar positive = y_true.row(r).dot(y_pred.row(r));
      const Scalar negative = ((1 - y_true.row(r).array()) * y_pred.row(r).array()).maxCoeff(&worst);
      if (negative - positive + 1 <= 0) continue;
      grad.row(r) = -inv_n * y_true.row(r);
      grad(r, worst) += inv_n * (1 - y_true(r, worst));
    }
  }
};

FASTMLP_REGISTER(CategoricalHinge, "categorical_hinge");

}  // namespace
}  // namespace fastmlp
