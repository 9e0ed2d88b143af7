// MeanSquaredError: mean over outputs of (p - y)².
#include "loss_math.hpp"

namespace fastmlp {
namespace {

class MeanSquaredError : public Described<MeanSquaredError, LossImpl<MeanSquaredError>, NoLossOptions> {
 public:
  static constexpr const char* kClassName = "MeanSquaredError";
  explicit MeanSquaredError(const Options& options = {}) : Described(options) {}

  template <class Scalar>
  void per_sample_of(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true, VectorRefOf<Scalar> out) const {
    out = (y_pred.array() - y_true.array()).square().rowwise().mean();
  }
  template <class Scalar>
  void gradient_of(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true, MatrixMapOf<Scalar> grad) const {
    grad.array() = (2 * inverse<Scalar>(y_pred.size())) * (y_pred.array() - y_true.array());  // 2 (p - y) / (n k)
  }
};

FASTMLP_REGISTER(MeanSquaredError, "mean_squared_error", "mse", "MSE");

}  // namespace
}  // namespace fastmlp
