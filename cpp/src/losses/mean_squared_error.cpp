// MeanSquaredError: mean over outputs of (p - y)².
#include "loss_math.hpp"

namespace fastmlp {
namespace {

class MeanSquaredError : public Described<MeanSquaredError, Loss, NoLossOptions> {
 public:
  static constexpr const char* kClassName = "MeanSquaredError";
  explicit MeanSquaredError(const Options& options = {}) : Described(options) {}

  void per_sample(ConstMatrixMap y_pred, ConstMatrixMap y_true, VectorRef out) const override {
    out = (y_pred.array() - y_true.array()).square().rowwise().mean();
  }
  void gradient(ConstMatrixMap y_pred, ConstMatrixMap y_true, MatrixMap grad) const override {
    grad.array() = (2 * inverse(y_pred.size())) * (y_pred.array() - y_true.array());  // 2 (p - y) / (n k)
  }
};

FASTMLP_REGISTER(MeanSquaredError, "mean_squared_error", "mse", "MSE");

}  // namespace
}  // namespace fastmlp
