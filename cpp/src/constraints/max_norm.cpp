// MaxNorm(max_value=2, axis=0): each norm over `axis` clipped to at most max_value, as Keras's
// w * clip(norm, 0, max_value) / (epsilon + norm). On a Dense kernel (inputs, units), axis 0 bounds
// the weights into each unit (Srivastava et al.'s max-norm, used with dropout).
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "norm.hpp"

namespace fastmlp {
namespace {

struct MaxNormOptions {
  double max_value = 2.0;
  ConstraintAxis axis;

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("max_value", self.max_value);
    visit("axis", self.axis);
  }
};

class MaxNorm : public Described<MaxNorm, ConstraintImpl<MaxNorm>, MaxNormOptions> {
 public:
  static constexpr const char* kClassName = "MaxNorm";
  explicit MaxNorm(const Options& options = {}) : Described(options) {
    if (!(std::isfinite(options.max_value) && options.max_value >= 0))
      throw std::invalid_argument("MaxNorm max_value must be a finite number >= 0, got " +
                                  std::to_string(options.max_value));
  }
  void check_rank(int rank, const std::string& what) const override { options_.axis.check(rank, what); }

  template <class Scalar>
  void apply_of(MatrixMapOf<Scalar> values, int rank) const {
    const double max_value = options_.max_value;
    rescale_norms(values, options_.axis.reduction(rank), [max_value](double norm) { return std::min(norm, max_value); });
  }
};

FASTMLP_REGISTER(MaxNorm, "max_norm");

}  // namespace
}  // namespace fastmlp
