// MinMaxNorm(min_value=0.0, max_value=1.0, rate=1.0, axis=0): each norm over `axis` moved towards
// [min_value, max_value], as Keras's w * desired / (epsilon + norm) with
// desired = rate * clip(norm, min_value, max_value) + (1 - rate) * norm (rate 1: strictly inside).
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "norm.hpp"

namespace fastmlp {
namespace {

struct MinMaxNormOptions {
  double min_value = 0.0;
  double max_value = 1.0;
  double rate = 1.0;
  ConstraintAxis axis;

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("min_value", self.min_value);
    visit("max_value", self.max_value);
    visit("rate", self.rate);
    visit("axis", self.axis);
  }
};

class MinMaxNorm : public Described<MinMaxNorm, ConstraintImpl<MinMaxNorm>, MinMaxNormOptions> {
 public:
  static constexpr const char* kClassName = "MinMaxNorm";
  explicit MinMaxNorm(const Options& options = {}) : Described(options) {
    if (!(std::isfinite(options.min_value) && std::isfinite(options.max_value) && options.min_value >= 0 &&
          options.min_value <= options.max_value))
      throw std::invalid_argument("MinMaxNorm needs finite 0 <= min_value <= max_value, got min_value " +
                                  std::to_string(options.min_value) + " and max_value " +
                                  std::to_string(options.max_value));
    if (!(options.rate >= 0 && options.rate <= 1))
      throw std::invalid_argument("MinMaxNorm rate must be in [0, 1], got " + std::to_string(options.rate));
  }
  void check_rank(int rank, const std::string& what) const override { options_.axis.check(rank, what); }

  template <class Scalar>
  void apply_of(MatrixMapOf<Scalar> values, int rank) const {
    const double low = options_.min_value, high = options_.max_value, rate = options_.rate;
    rescale_norms(values, options_.axis.reduction(rank),
                  [=](double norm) { return rate * std::clamp(norm, low, high) + (1 - rate) * norm; });
  }
};

FASTMLP_REGISTER(MinMaxNorm, "min_max_norm");

}  // namespace
}  // namespace fastmlp
