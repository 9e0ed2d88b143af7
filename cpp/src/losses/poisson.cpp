// Poisson: p - y log(p + epsilon), averaged over outputs.
#include "loss_math.hpp"

namespace fastmlp {
namespace {

struct PoissonFormula {
  static constexpr const char* kClassName = "Poisson";
  static constexpr bool kReadsLabelsAsSigns = false;
  using Options = NoLossOptions;
  explicit PoissonFormula(const Options&) {}

  template <class Scalar>
  Scalar value(Scalar p, Scalar y) const { return p - y * std::log(p + kEpsilonOf<Scalar>); }
  template <class Scalar>
  Scalar derivative(Scalar p, Scalar y) const { return 1 - y / (p + kEpsilonOf<Scalar>); }
};

FASTMLP_REGISTER(ElementwiseLoss<PoissonFormula>, "poisson");

}  // namespace
}  // namespace fastmlp
