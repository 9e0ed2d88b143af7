// exponential: e^z.
#include "simple.hpp"

namespace fastmlp {
namespace {

class Exponential : public ParameterlessActivation<Exponential> {
 public:
  static constexpr const char* kClassName = "exponential";
  using ParameterlessActivation::ParameterlessActivation;

  template <class Scalar>
  void apply_rows_of(MatrixMapOf<Scalar> values) const { values.array() = values.array().exp(); }
  template <class Scalar>
  void backward_rows_of(ConstMatrixMapOf<Scalar>, ConstMatrixMapOf<Scalar> a, ConstMatrixMapOf<Scalar> g,
                        MatrixMapOf<Scalar> dz) const {
    dz.array() = g.array() * a.array();
  }
};

FASTMLP_REGISTER(Exponential);

}  // namespace
}  // namespace fastmlp
