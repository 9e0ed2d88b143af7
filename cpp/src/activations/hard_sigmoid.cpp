// hard_sigmoid: relu6(z + 3) / 6, Keras 3's definition.
#include "simple.hpp"

namespace fastmlp {
namespace {

class HardSigmoid : public ParameterlessActivation<HardSigmoid> {
 public:
  static constexpr const char* kClassName = "hard_sigmoid";
  using ParameterlessActivation::ParameterlessActivation;

 protected:
  void apply_rows(MatrixMapOf<Scalar> values) const override {
    auto z = values.array();
    z = ((z + 3) / 6).max(Scalar(0)).min(Scalar(1));
  }
  void backward_rows(ConstMatrixMapOf<Scalar>, ConstMatrixMapOf<Scalar> a, ConstMatrixMapOf<Scalar> g, MatrixMapOf<Scalar> dz) const override {
    dz.array() = (a.array() > 0 && a.array() < 1).select(g.array() / 6, Scalar(0));
  }
};

FASTMLP_REGISTER(HardSigmoid);

}  // namespace
}  // namespace fastmlp
