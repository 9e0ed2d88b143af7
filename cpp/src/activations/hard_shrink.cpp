// hard_shrink: z where |z| > t, 0 elsewhere.
#include "shrink.hpp"

namespace fastmlp {
namespace {

class HardShrink : public ShrinkActivation<HardShrink> {
 public:
  static constexpr const char* kClassName = "hard_shrink";
  using ShrinkActivation::ShrinkActivation;

  template <class Scalar>
  void apply_rows_of(MatrixMapOf<Scalar> values) const {
    auto z = values.array();
    z = (z.abs() > static_cast<Scalar>(options_.threshold)).select(z, Scalar(0));
  }
  template <class Scalar>
  void backward_rows_of(ConstMatrixMapOf<Scalar> input, ConstMatrixMapOf<Scalar>, ConstMatrixMapOf<Scalar> g,
                        MatrixMapOf<Scalar> dz) const {
    dz.array() = (input.array().abs() > static_cast<Scalar>(options_.threshold)).select(g.array(), Scalar(0));
  }
};

FASTMLP_REGISTER(HardShrink);

}  // namespace
}  // namespace fastmlp
