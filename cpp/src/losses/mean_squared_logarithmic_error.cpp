// MeanSquaredLogarithmicError: (log(1 + max(p, eps)) - log(1 + max(y, eps)))², averaged over outputs.
#include "loss_math.hpp"

namespace fastmlp {
namespace {

struct MsleFormula {
  static constexpr const char* kClassName = "MeanSquaredLogarithmicError";
  static constexpr bool kReadsLabelsAsSigns = false;
  using Options = NoLossOptions;
  explicit MsleFormula(const Options&) {}

  template <class Scalar>
  Scalar value(Scalar p, Scalar y) const {
    const Scalar d = std::log1p(std::max(p, kEpsilonOf<Scalar>)) - std::log1p(std::max(y, kEpsilonOf<Scalar>));
    return d * d;
  }
  template <class Scalar>
  Scalar derivative(Scalar p, Scalar y) const {
    if (p < kEpsilonOf<Scalar>) return 0;  // the clip at epsilon is flat
    const Scalar d = std::log1p(p) - std::log1p(std::max(y, kEpsilonOf<Scalar>));
    return 2 * d / (1 + p);
  }
};

FASTMLP_REGISTER(ElementwiseLoss<MsleFormula>, "mean_squared_logarithmic_error", "msle", "MSLE");

}  // namespace
}  // namespace fastmlp
