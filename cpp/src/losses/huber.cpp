// Huber(delta): 0.5 e² where |e| <= delta, delta (|e| - 0.5 delta) elsewhere, e = p - y; averaged over
// outputs.
#include "loss_math.hpp"

namespace fastmlp {
namespace {

struct HuberOptions {
  double delta = 1.0;

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("delta", self.delta);
  }
};

struct HuberFormula {
  static constexpr const char* kClassName = "Huber";
  static constexpr bool kReadsLabelsAsSigns = false;
  using Options = HuberOptions;
  explicit HuberFormula(const Options& options) : delta(options.delta) {
    if (!(options.delta > 0 && std::isfinite(options.delta)))
      throw std::invalid_argument("Huber delta must be a finite number > 0, got " + std::to_string(options.delta));
  }

  template <class Scalar>
  Scalar value(Scalar p, Scalar y) const {
    const Scalar d = static_cast<Scalar>(delta), e = std::abs(p - y);
    return e <= d ? Scalar(0.5) * e * e : d * e - Scalar(0.5) * d * d;
  }
  template <class Scalar>
  Scalar derivative(Scalar p, Scalar y) const {
    const Scalar d = static_cast<Scalar>(delta);
    return std::min(std::max(p - y, -d), d);
  }

  double delta;  // as given; each scalar type rounds it to its own precision
};

FASTMLP_REGISTER(ElementwiseLoss<HuberFormula>, "huber_loss", "huber");

}  // namespace
}  // namespace fastmlp
