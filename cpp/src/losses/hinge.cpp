// Hinge: max(1 - y p, 0), averaged over outputs; {0, 1} labels are read as {-1, 1}.
#include "loss_math.hpp"

namespace fastmlp {
namespace {

struct HingeFormula {
  static constexpr const char* kClassName = "Hinge";
  static constexpr bool kReadsLabelsAsSigns = true;
  using Options = NoLossOptions;
  explicit HingeFormula(const Options&) {}

  template <class Scalar>
  Scalar value(Scalar p, Scalar y) const { return std::max(1 - y * p, Scalar(0)); }
  template <class Scalar>
  Scalar derivative(Scalar p, Scalar y) const { return 1 - y * p > 0 ? -y : Scalar(0); }
};

FASTMLP_REGISTER(ElementwiseLoss<HingeFormula>, "hinge");

}  // namespace
}  // namespace fastmlp
