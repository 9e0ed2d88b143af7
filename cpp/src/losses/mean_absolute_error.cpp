// MeanAbsoluteError: mean over outputs of |p - y|.
#include "loss_math.hpp"

namespace fastmlp {
namespace {

class MeanAbsoluteError : public Described<MeanAbsoluteError, Loss, NoLossOptions> {
 public:
  static constexpr const char* kClassName = "MeanAbsoluteError";
  explicit MeanAbsoluteError(const Options& options = {}) : Described(options) {}

  void per_sample(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true, VectorRefOf<Scalar> out) const override {
    out = (y_pred.array() - y_true.array()).abs().rowwise().mean();
  }
  void gradient(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true, MatrixMapOf<Scalar> grad) const override {
    grad.array() = inverse(y_pred.size()) * (y_pred.array() - y_true.array()).sign();
  }
};

FASTMLP_REGISTER(MeanAbsoluteError, "mean_absolute_error", "mae", "MAE");

}  // namespace
}  // namespace fastmlp
