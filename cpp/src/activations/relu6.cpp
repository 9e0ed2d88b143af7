// relu6: min(max(z, 0), 6).
#include "simple.hpp"

namespace fastmlp {
namespace {

class Relu6 : public ParameterlessActivation<Relu6> {
 public:
  static constexpr const char* kClassName = "relu6";
  using ParameterlessActivation::ParameterlessActivation;
  bool needs_preactivation() const override { return true; }

  template <class Scalar>
  void apply_rows_of(MatrixMapOf<Scalar> values) const {
    auto z = values.array();
    z = z.max(Scalar(0)).min(Scalar(6));
  }
  template <class Scalar>
  void backward_rows_of(ConstMatrixMapOf<Scalar> input, ConstMatrixMapOf<Scalar>, ConstMatrixMapOf<Scalar> g,
                        MatrixMapOf<Scalar> dz) const {
    const auto z = input.array();
    dz.array() = (z > 0 && z < 6).select(g.array(), Scalar(0));
  }
};

FASTMLP_REGISTER(Relu6);

}  // namespace
}  // namespace fastmlp
