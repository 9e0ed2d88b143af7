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
  explicit HuberFormula(const Options& options) : delta(static_cast<Scalar>(options.delta)) {
    if (!(options.delta > 0 && std::isfinite(options.delta)))
      throw std::invalid_argument("Huber delta must be a finite number > 0, got " + std::to_string(options.delta));
  }

  Scalar value(Scalar p, Scalar y) const {
    const Scalar e = std::abs(p - y);
    return e <= delta ? Scalar(0.5) * e * e : delta * e - Scalar(0.5) * delta * delta;
  }
  Scalar derivative(Scalar p, Scalar y) const { return std::min(std::max(p - y, -delta), delta); }

  Scalar delta;
};

FASTMLP_REGISTER(ElementwiseLoss<HuberFormula>, "huber_loss", "huber");

}  // namespace
}  // namespace fastmlp
