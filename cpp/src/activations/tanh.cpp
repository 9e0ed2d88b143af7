// tanh: the hyperbolic tangent.
#include "simple.hpp"

namespace fastmlp {
namespace {

class Tanh : public ParameterlessActivation<Tanh> {
 public:
  static constexpr const char* kClassName = "tanh";
  using ParameterlessActivation::ParameterlessActivation;

 protected:
  void apply_rows(MatrixMapOf<Scalar> z) const override { z.array() = z.array().tanh(); }
  void backward_rows(ConstMatrixMapOf<Scalar>, ConstMatrixMapOf<Scalar> a, ConstMatrixMapOf<Scalar> g, MatrixMapOf<Scalar> dz) const override {
    dz.array() = g.array() * (1 - a.array().square());  // tanh' = 1 - tanh²
  }
};

FASTMLP_REGISTER(Tanh);

}  // namespace
}  // namespace fastmlp
