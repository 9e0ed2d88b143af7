// tanh: the hyperbolic tangent.
#include "simple.hpp"

namespace fastmlp {
namespace {

class Tanh : public ParameterlessActivation<Tanh> {
 public:
  static constexpr const char* kClassName = "tanh";
  using ParameterlessActivation::ParameterlessActivation;

  template <class Scalar>
  void apply_rows_of(MatrixMapOf<Scalar> z) const { z.array() = z.array().tanh(); }
  template <class Scalar>
  void backward_rows_of(ConstMatrixMapOf<Scalar>, ConstMatrixMapOf<Scalar> a, ConstMatrixMapOf<Scalar> g,
                        MatrixMapOf<Scalar> dz) const {
    dz.array() = g.array() * (1 - a.array().square());  // tanh' = 1 - tanh²
  }
};

FASTMLP_REGISTER(Tanh);

}  // namespace
}  // namespace fastmlp
