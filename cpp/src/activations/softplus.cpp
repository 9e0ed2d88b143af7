// softplus: log(1 + e^z).
#include "simple.hpp"

namespace fastmlp {
namespace {

class Softplus : public ParameterlessActivation<Softplus> {
 public:
  static constexpr const char* kClassName = "softplus";
  using ParameterlessActivation::ParameterlessActivation;

  // max(z, 0) + log1p(e^-|z|): never overflows, keeps precision for z << 0.
  template <class Scalar>
  void apply_rows_of(MatrixMapOf<Scalar> values) const {
    auto z = values.array();
    z = z.max(Scalar(0)) + (-z.abs()).exp().log1p();
  }
  template <class Scalar>
  void backward_rows_of(ConstMatrixMapOf<Scalar>, ConstMatrixMapOf<Scalar> a, ConstMatrixMapOf<Scalar> g,
                        MatrixMapOf<Scalar> dz) const {
    dz.array() = g.array() * -(-a.array()).expm1();  // σ(z) = 1 - e^-A
  }
};

FASTMLP_REGISTER(Softplus);

}  // namespace
}  // namespace fastmlp
