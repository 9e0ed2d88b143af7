// hard_silu (Keras also calls it hard_swish): z hard_sigmoid(z) = z relu6(z + 3) / 6.
#include "simple.hpp"

namespace fastmlp {
namespace {

class HardSilu : public ParameterlessActivation<HardSilu> {
 public:
  static constexpr const char* kClassName = "hard_silu";
  using ParameterlessActivation::ParameterlessActivation;
  bool needs_preactivation() const override { return true; }

  template <class Scalar>
  void apply_rows_of(MatrixMapOf<Scalar> values) const {
    auto z = values.array();
    z = z * ((z + 3) / 6).max(Scalar(0)).min(Scalar(1));
  }
  template <class Scalar>
  void backward_rows_of(ConstMatrixMapOf<Scalar> input, ConstMatrixMapOf<Scalar>, ConstMatrixMapOf<Scalar> g,
                        MatrixMapOf<Scalar> dz) const {
    const auto z = input.array();
    // 0 below -3, z / 3 + 1/2 between, 1 above 3
    dz.array() = g.array() * (z <= -3).select(Scalar(0), (z >= 3).select(Scalar(1), z / 3 + Scalar(0.5)));
  }
};

FASTMLP_REGISTER(HardSilu, "hard_swish");

}  // namespace
}  // namespace fastmlp
