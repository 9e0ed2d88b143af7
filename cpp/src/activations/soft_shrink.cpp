// soft_shrink: z - t above t, z + t below -t, 0 between.
#include "simple.hpp"

namespace fastmlp {
namespace {

struct SoftShrinkOptions {
  double threshold = 0.5;

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("threshold", self.threshold);
  }
};

class SoftShrink : public Described<SoftShrink, Activation, SoftShrinkOptions> {
 public:
  static constexpr const char* kClassName = "soft_shrink";

  explicit SoftShrink(const Options& options = {}) : Described(options) {
    if (!(options.threshold >= 0 && std::isfinite(options.threshold)))
      throw std::invalid_argument("soft_shrink threshold must be a finite number >= 0, got " +
                                  std::to_string(options.threshold));
  }
  bool needs_preactivation() const override { return true; }

 protected:
  void apply_rows(MatrixMap values) const override {
    auto z = values.array();
    const auto t = static_cast<Scalar>(options_.threshold);
    z = (z > t).select(z - t, (z < -t).select(z + t, Scalar(0)));
  }
  void backward_rows(ConstMatrixMap input, ConstMatrixMap, ConstMatrixMap g, MatrixMap dz) const override {
    const auto z = input.array();
    const auto t = static_cast<Scalar>(options_.threshold);
    dz.array() = (z.abs() > t).select(g.array(), Scalar(0));
  }
};

FASTMLP_REGISTER(SoftShrink);

}  // namespace
}  // namespace fastmlp
