// relu, as Keras's relu(x, negative_slope, max_value, threshold): x above the threshold (clipped to
// [0, max_value] when capped), negative_slope * (x - threshold) below it.
#include <limits>
#include <optional>

#include "simple.hpp"

namespace fastmlp {
namespace {

struct ReluOptions {
  double negative_slope = 0.0;
  std::optional<double> max_value;  // None: no cap
  double threshold = 0.0;

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("negative_slope", self.negative_slope);
    visit("max_value", self.max_value);
    visit("threshold", self.threshold);
  }
};

class Relu : public Described<Relu, ActivationImpl<Relu>, ReluOptions> {
 public:
  static constexpr const char* kClassName = "relu";

  explicit Relu(const Options& options = {}) : Described(options) {
    if (!std::isfinite(options.negative_slope))
      throw std::invalid_argument("relu negative_slope must be finite, got " + std::to_string(options.negative_slope));
    if (options.max_value && !(*options.max_value >= 0))
      throw std::invalid_argument("relu max_value must be >= 0 or None, got " + std::to_string(*options.max_value));
    if (!std::isfinite(options.threshold))
      throw std::invalid_argument("relu threshold must be finite, got " + std::to_string(options.threshold));
  }

  // Plain max(z, 0) has a derivative readable from its output; the variants do not.
  bool needs_preactivation() const override {
    return options_.negative_slope != 0 || options_.threshold != 0 || options_.max_value.has_value();
  }

  template <class Scalar>
  void apply_rows_of(MatrixMapOf<Scalar> values) const {
    auto z = values.array();
    if (!needs_preactivation()) {
      z = z.max(Scalar(0));
      return;
    }
    const Scalar slope = static_cast<Scalar>(options_.negative_slope), theta = static_cast<Scalar>(options_.threshold);
    const bool capped = options_.max_value.has_value();
    const Scalar cap = capped ? static_cast<Scalar>(*options_.max_value) : std::numeric_limits<Scalar>::infinity();
    // Keras keeps x above the threshold as it is, and clips to [0, max_value] only when capped:
    // with a negative threshold, x in (threshold, 0) passes through uncapped.
    z = z.unaryExpr([=](Scalar x) {
      const Scalar above = x > theta ? (capped ? std::min(std::max(x, Scalar(0)), cap) : x) : Scalar(0);
      return above - slope * std::max(theta - x, Scalar(0));
    });
  }

  template <class Scalar>
  void backward_rows_of(ConstMatrixMapOf<Scalar> input, ConstMatrixMapOf<Scalar> a, ConstMatrixMapOf<Scalar> g,
                        MatrixMapOf<Scalar> dz) const {
    if (!needs_preactivation()) {
      dz.array() = (a.array() > 0).select(g.array(), Scalar(0));
      return;
    }
    const Scalar slope = static_cast<Scalar>(options_.negative_slope), theta = static_cast<Scalar>(options_.threshold);
    const bool capped = options_.max_value.has_value();
    const Scalar cap = capped ? static_cast<Scalar>(*options_.max_value) : Scalar(0);
    dz.array() = g.array() * input.array().unaryExpr([=](Scalar x) {
      if (x > theta) return !capped || (x > 0 && x < cap) ? Scalar(1) : Scalar(0);
      return slope;
    });
  }
};

FASTMLP_REGISTER(Relu);

}  // namespace
}  // namespace fastmlp
