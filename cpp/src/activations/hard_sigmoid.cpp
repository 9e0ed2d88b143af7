// hard_sigmoid: relu6(z + 3) / 6, Keras 3's definition.
#include "simple.hpp"

namespace fastmlp {
namespace {

class HardSigmoid : public ParameterlessActivation<HardSigmoid> {
 public:
  static constexpr const char* kClassName = "hard_sigmoid";
  using ParameterlessActivation::ParameterlessActivation;

 protected:
  void apply_rows(MatrixMap values) const override {
    auto z = values.array();
    z = ((z + 3) / 6).max(Scalar(0)).min(Scalar(1));
  }
  void backward_rows(ConstMatrixMap, ConstMatrixMap a, ConstMatrixMap g, MatrixMap dz) const override {
    dz.array() = (a.array() > 0 && a.array() < 1).select(g.array() / 6, Scalar(0));
  }
};

FASTMLP_REGISTER(HardSigmoid);

}  // namespace
}  // namespace fastmlp
