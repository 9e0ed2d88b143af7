// MeanSquaredError: mean over outputs of (p - y)².
#include "loss_math.hpp"

namespace fastmlp {
namespace {

class MeanSquaredError : public Described<MeanSquaredError, Loss, NoLossOptions> {
 public:
  static constexpr const char* kClassName = "MeanSquaredError";
  explicit MeanSquaredError(const Options& options = {}) : Described(options) {}

  void per_sample(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true, VectorRefOf<Scalar> out) const override {
    out = (y_pred.array() - y_true.array()).square().rowwise().mean();
  }
  void gradient(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true, MatrixMapOf<Scalar> grad) const override {
    grad.array() = (2 * inverse(y_pred.size())) * (y_pred.array() - y_true.array());  // 2 (p - y) / (n k)
  }
};

FASTMLP_REGISTER(MeanSquaredError, "mean_squared_error", "mse", "MSE");

}  // namespace
}  // namespace fastmlp
