// tanh_shrink: z - tanh(z).
#include "simple.hpp"

namespace fastmlp {
namespace {

class TanhShrink : public ParameterlessActivation<TanhShrink> {
 public:
  static constexpr const char* kClassName = "tanh_shrink";
  using ParameterlessActivation::ParameterlessActivation;
  bool needs_preactivation() const override { return true; }

  template <class Scalar>
  void apply_rows_of(MatrixMapOf<Scalar> values) const {
    auto z = values.array();
    z = z - z.tanh();
  }
  template <class Scalar>
  void backward_rows_of(ConstMatrixMapOf<Scalar> input, ConstMatrixMapOf<Scalar>, ConstMatrixMapOf<Scalar> g,
                        MatrixMapOf<Scalar> dz) const {
    const auto z = input.array();
    dz.array() = g.array() * z.tanh().square();  // 1 - (1 - tanh²)
  }
};

FASTMLP_REGISTER(TanhShrink);

}  // namespace
}  // namespace fastmlp
