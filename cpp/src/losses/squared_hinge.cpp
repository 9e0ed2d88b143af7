// SquaredHinge: max(1 - y p, 0)², averaged over outputs; {0, 1} labels are read as {-1, 1}.
#include "loss_math.hpp"

namespace fastmlp {
namespace {

struct SquaredHingeFormula {
  static constexpr const char* kClassName = "SquaredHinge";
  static constexpr bool kReadsLabelsAsSigns = true;
  using Options = NoLossOptions;
  explicit SquaredHingeFormula(const Options&) {}

  template <class Scalar>
  Scalar value(Scalar p, Scalar y) const {
    const Scalar h = std::max(1 - y * p, Scalar(0));
    return h * h;
  }
  template <class Scalar>
  Scalar derivative(Scalar p, Scalar y) const { return -2 * y * std::max(1 - y * p, Scalar(0)); }
};

FASTMLP_REGISTER(ElementwiseLoss<SquaredHingeFormula>, "squared_hinge");

}  // namespace
}  // namespace fastmlp
