// MeanAbsoluteError: mean over outputs of |p - y|.
#include "loss_math.hpp"

namespace fastmlp {
namespace {

class MeanAbsoluteError : public Described<MeanAbsoluteError, LossImpl<MeanAbsoluteError>, NoLossOptions> {
 public:
  static constexpr const char* kClassName = "MeanAbsoluteError";
  explicit MeanAbsoluteError(const Options& options = {}) : Described(options) {}

  template <class Scalar>
  void per_sample_of(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true, VectorRefOf<Scalar> out) const {
    out = (y_pred.array() - y_true.array()).abs().rowwise().mean();
  }
  template <class Scalar>
  void gradient_of(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true, MatrixMapOf<Scalar> grad) const {
    grad.array() = inverse<Scalar>(y_pred.size()) * (y_pred.array() - y_true.array()).sign();
  }
};

FASTMLP_REGISTER(MeanAbsoluteError, "mean_absolute_error", "mae", "MAE");

}  // namespace
}  // namespace fastmlp
