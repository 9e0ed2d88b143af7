// hard_shrink: z where |z| > t, 0 elsewhere.
#include "simple.hpp"

namespace fastmlp {
namespace {

struct HardShrinkOptions {
  double threshold = 0.5;

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("threshold", self.threshold);
  }
};

class HardShrink : public Described<HardShrink, Activation, HardShrinkOptions> {
 public:
  static constexpr const char* kClassName = "hard_shrink";

  explicit HardShrink(const Options& options = {}) : Described(options) {
    if (!(options.threshold >= 0 && std::isfinite(options.threshold)))
      throw std::invalid_argument("hard_shrink threshold must be a finite number >= 0, got " +
                                  std::to_string(options.threshold));
  }
  bool needs_preactivation() const override { return true; }

 protected:
  void apply_rows(MatrixMap values) const override {
    auto z = values.array();
    const auto t = static_cast<Scalar>(options_.threshold);
    z = (z.abs() > t).select(z, Scalar(0));
  }
  void backward_rows(ConstMatrixMap input, ConstMatrixMap, ConstMatrixMap g, MatrixMap dz) const override {
    const auto z = input.array();
    const auto t = static_cast<Scalar>(options_.threshold);
    dz.array() = (z.abs() > t).select(g.array(), Scalar(0));
  }
};

FASTMLP_REGISTER(HardShrink);

}  // namespace
}  // namespace fastmlp
