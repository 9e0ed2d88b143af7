// Dice, as Keras computes it: 1 - 2 Σ y p / (Σ y + Σ p + 1e-7), the sums over the whole batch
// (axis=None, Keras's default: one value for the batch) or over each sample's outputs (axis=-1).
#include "overlap.hpp"

namespace fastmlp {
namespace {

struct DiceFormula {
  static constexpr const char* kClassName = "Dice";

  struct Options {
    std::optional<std::int64_t> axis;  // None: the whole batch

    template <class Self, class Visit>
    static void fields(Self& self, Visit& visit) {
      visit("axis", self.axis);
    }
  };

  struct Sums {
    double overlap = 0, targets = 0, predictions = 0;  // Σ y p, Σ y, Σ p
    void add(double p, double y) {
      overlap += y * p;
      targets += y;
      predictions += p;
    }
    double denominator() const { return targets + predictions + 1e-7; }
  };

  explicit DiceFormula(const Options&) {}

  double value(const Sums& s) const { return 1 - 2 * s.overlap / s.denominator(); }
  // d/dp_j of 1 - 2 I / D, with dI/dp_j = y_j and dD/dp_j = 1: -2 (y_j D - I) / D²
  double derivative(const Sums& s, double /*p*/, double y) const {
    const double d = s.denominator();
    return -2 * (y * d - s.overlap) / (d * d);
  }
};

using Dice = OverlapLoss<DiceFormula>;
FASTMLP_REGISTER(Dice, "dice");

}  // namespace
}  // namespace fastmlp
