// hard_shrink: z where |z| > t, 0 elsewhere.
#include "shrink.hpp"

namespace fastmlp {
namespace {

class HardShrink : public ShrinkActivation<HardShrink> {
 public:
  static constexpr const char* kClassName = "hard_shrink";
  using ShrinkActivation::ShrinkActivation;

 protected:
  void apply_rows(MatrixMapOf<Scalar> values) const override {
    auto z = values.array();
    z = (z.abs() > static_cast<Scalar>(options_.threshold)).select(z, Scalar(0));
  }
  void backward_rows(ConstMatrixMapOf<Scalar> input, ConstMatrixMapOf<Scalar>, ConstMatrixMapOf<Scalar> g, MatrixMapOf<Scalar> dz) const override {
    dz.array() = (input.array().abs() > static_cast<Scalar>(options_.threshold)).select(g.array(), Scalar(0));
  }
};

FASTMLP_REGISTER(HardShrink);

}  // namespace
}  // namespace fastmlp
