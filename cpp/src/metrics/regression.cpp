// The regression metrics: mean squared and mean absolute error, averaged over outputs and samples.
#include "fastmlp/metric.hpp"

namespace fastmlp {
namespace {

constexpr char kMeanSquaredError[] = "mean_squared_error";
constexpr char kMeanAbsoluteError[] = "mean_absolute_error";

class MeanSquaredError : public NamedMetric<MeanSquaredError, NameOnly<kMeanSquaredError>> {
 public:
  static constexpr const char* kClassName = "MeanSquaredError";
  explicit MeanSquaredError(const Options& options = {}) : NamedMetric(options) {}
  bool higher_is_better() const override { return false; }
  template <class Scalar>
  void accumulate_of(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true, double* state) const {
    state[0] += (y_pred - y_true).squaredNorm() / static_cast<double>(y_pred.cols());
  }
};

class MeanAbsoluteError : public NamedMetric<MeanAbsoluteError, NameOnly<kMeanAbsoluteError>> {
 public:
  static constexpr const char* kClassName = "MeanAbsoluteError";
  explicit MeanAbsoluteError(const Options& options = {}) : NamedMetric(options) {}
  bool higher_is_better() const override { return false; }
  template <class Scalar>
  void accumulate_of(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true, double* state) const {
    state[0] += (y_pred - y_true).cwiseAbs().sum() / static_cast<double>(y_pred.cols());
  }
};

FASTMLP_REGISTER(MeanSquaredError, "mean_squared_error", "mse");
FASTMLP_REGISTER(MeanAbsoluteError, "mean_absolute_error", "mae");

}  // namespace
}  // namespace fastmlp
