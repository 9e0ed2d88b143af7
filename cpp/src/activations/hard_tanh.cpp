// hard_tanh: min(max(z, -1), 1).
#include "simple.hpp"

namespace fastmlp {
namespace {

class HardTanh : public ParameterlessActivation<HardTanh> {
 public:
  static constexpr const char* kClassName = "hard_tanh";
  using ParameterlessActivation::ParameterlessActivation;
  bool needs_preactivation() const override { return true; }

 protected:
  void apply_rows(MatrixMapOf<Scalar> values) const override {
    auto z = values.array();
    z = z.max(Scalar(-1)).min(Scalar(1));
  }
  void backward_rows(ConstMatrixMapOf<Scalar> input, ConstMatrixMapOf<Scalar>, ConstMatrixMapOf<Scalar> g, MatrixMapOf<Scalar> dz) const override {
    const auto z = input.array();
    dz.array() = (z > -1 && z < 1).select(g.array(), Scalar(0));
  }
};

FASTMLP_REGISTER(HardTanh);

}  // namespace
}  // namespace fastmlp
