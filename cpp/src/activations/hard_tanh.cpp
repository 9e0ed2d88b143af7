// hard_tanh: min(max(z, -1), 1).
#include "simple.hpp"

namespace fastmlp {
namespace {

class HardTanh : public ParameterlessActivation<HardTanh> {
 public:
  static constexpr const char* kClassName = "hard_tanh";
  using ParameterlessActivation::ParameterlessActivation;
  bool needs_preactivation() const override { return true; }

  template <class Scalar>
  void apply_rows_of(MatrixMapOf<Scalar> values) const {
    auto z = values.array();
    z = z.max(Scalar(-1)).min(Scalar(1));
  }
  template <class Scalar>
  void backward_rows_of(ConstMatrixMapOf<Scalar> input, ConstMatrixMapOf<Scalar>, ConstMatrixMapOf<Scalar> g,
                        MatrixMapOf<Scalar> dz) const {
    const auto z = input.array();
    dz.array() = (z > -1 && z < 1).select(g.array(), Scalar(0));
  }
};

FASTMLP_REGISTER(HardTanh);

}  // namespace
}  // namespace fastmlp
