// hard_sigmoid: relu6(z + 3) / 6, Keras 3's definition.
#include "simple.hpp"

namespace fastmlp {
namespace {

class HardSigmoid : public ParameterlessActivation<HardSigmoid> {
 public:
  static constexpr const char* kClassName = "hard_sigmoid";
  using ParameterlessActivation::ParameterlessActivation;

  template <class Scalar>
  void apply_rows_of(MatrixMapOf<Scalar> values) const {
    auto z = values.array();
    z = ((z + 3) / 6).max(Scalar(0)).min(Scalar(1));
  }
  template <class Scalar>
  void backward_rows_of(ConstMatrixMapOf<Scalar>, ConstMatrixMapOf<Scalar> a, ConstMatrixMapOf<Scalar> g,
                        MatrixMapOf<Scalar> dz) const {
    dz.array() = (a.array() > 0 && a.array() < 1).select(g.array() / 6, Scalar(0));
  }
};

FASTMLP_REGISTER(HardSigmoid);

}  // namespace
}  // namespace fastmlp
