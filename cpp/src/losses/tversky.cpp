// Tversky, as Keras computes it: 1 - I / (I + alpha fp + beta fn + 1e-7) with I = Σ y p,
// fp = Σ (1 - p) y and fn = Σ p (1 - y) (Keras's names), the sums over the whole batch (axis=None,
// Keras's default: one value for the batch) or over each sample's outputs (axis=-1). alpha = beta
// = 0.5 is Dice.
#include <cmath>

#include "overlap.hpp"

namespace fastmlp {
namespace {

struct TverskyFormula {
  static constexpr const char* kClassName = "Tversky";

  struct Options {
    double alpha = 0.5;
    double beta = 0.5;
    std::optional<std::int64_t> axis;  // None: the whole batch

    template <class Self, class Visit>
    static void fields(Self& self, Visit& visit) {
      visit("alpha", self.alpha);
      visit("beta", self.beta);
      visit("axis", self.axis);
    }
  };

  struct Sums {
    double overlap = 0, fp = 0, fn = 0;
    void add(double p, double y) {
      overlap += y * p;
      fp += (1 - p) * y;
      fn += p * (1 - y);
    }
  };

  explicit TverskyFormula(const Options& options) : alpha(options.alpha), beta(options.beta) {
    if (!(std::isfinite(alpha) && std::isfinite(beta)))
      throw std::invalid_argument("Tversky alpha and beta must be finite, got " + number_text(alpha) + " and " +
                                  number_text(beta));
  }

  double denominator(const Sums& s) const { return s.overlap + alpha * s.fp + beta * s.fn + 1e-7; }
  double value(const Sums& s) const { return 1 - s.overlap / denominator(s); }
  // d/dp_j of 1 - I / D, with dI/dp_j = y_j and dD/dp_j = y_j - alpha y_j + beta (1 - y_j):
  // -(y_j D - I dD/dp_j) / D²
  double derivative(const Sums& s, double /*p*/, double y) const {
    const double d = denominator(s);
    return -(y * d - s.overlap * (y - alpha * y + beta * (1 - y))) / (d * d);
  }

  double alpha, beta;
};

using Tversky = OverlapLoss<TverskyFormula>;
FASTMLP_REGISTER(Tversky, "tversky");

}  // namespace
}  // namespace fastmlp
