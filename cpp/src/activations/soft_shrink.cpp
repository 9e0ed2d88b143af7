// soft_shrink: z - t above t, z + t below -t, 0 between.
#include "shrink.hpp"

namespace fastmlp {
namespace {

class SoftShrink : public ShrinkActivation<SoftShrink> {
 public:
  static constexpr const char* kClassName = "soft_shrink";
  using ShrinkActivation::ShrinkActivation;

  template <class Scalar>
  void apply_rows_of(MatrixMapOf<Scalar> values) const {
    auto z = values.array();
    const auto t = static_cast<Scalar>(options_.threshold);
    z = (z > t).select(z - t, (z < -t).select(z + t, Scalar(0)));
  }
  template <class Scalar>
  void backward_rows_of(ConstMatrixMapOf<Scalar> input, ConstMatrixMapOf<Scalar>, ConstMatrixMapOf<Scalar> g,
                        MatrixMapOf<Scalar> dz) const {
    const auto t = static_cast<Scalar>(options_.threshold);
    dz.array() = (input.array().abs() > t).select(g.array(), Scalar(0));
  }
};

FASTMLP_REGISTER(SoftShrink);

}  // namespace
}  // namespace fastmlp
