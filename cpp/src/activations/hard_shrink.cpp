// hard_shrink: z where |z| > t, 0 elsewhere.
#include "shrink.hpp"

namespace fastmlp {
namespace {

class HardShrink : public ShrinkActivation<HardShrink> {
 public:
  static constexpr const char* kClassName = "hard_shrink";
  using ShrinkActivation::ShrinkActivation;

 protected:
  void apply_rows(MatrixMap values) const override {
    auto z = values.array();
    z = (z.abs() > static_cast<Scalar>(options_.threshold)).select(z, Scalar(0));
  }
  void backward_rows(ConstMatrixMap input, ConstMatrixMap, ConstMatrixMap g, MatrixMap dz) const override {
    dz.array() = (input.array().abs() > static_cast<Scalar>(options_.threshold)).select(g.array(), Scalar(0));
  }
};

FASTMLP_REGISTER(HardShrink);

}  // namespace
}  // namespace fastmlp
