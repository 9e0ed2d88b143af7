// MeanAbsolutePercentageError: 100 |p - y| / max(|y|, epsilon), averaged over outputs.
#include "loss_math.hpp"

namespace fastmlp {
namespace {

struct MapeFormula {
  static constexpr const char* kClassName = "MeanAbsolutePercentageError";
  static constexpr bool kReadsLabelsAsSigns = false;
  using Options = NoLossOptions;
  explicit MapeFormula(const Options&) {}

  template <class Scalar>
  Scalar value(Scalar p, Scalar y) const { return 100 * std::abs(p - y) / std::max(std::abs(y), kEpsilonOf<Scalar>); }
  template <class Scalar>
  Scalar derivative(Scalar p, Scalar y) const {
    const Scalar e = p - y;
    return 100 * Scalar((e > 0) - (e < 0)) / std::max(std::abs(y), kEpsilonOf<Scalar>);
  }
};

FASTMLP_REGISTER(ElementwiseLoss<MapeFormula>, "mean_absolute_percentage_error", "mape", "MAPE");

}  // namespace
}  // namespace fastmlp
