// exponential: e^z.
#include "simple.hpp"

namespace fastmlp {
namespace {

class Exponential : public ParameterlessActivation<Exponential> {
 public:
  static constexpr const char* kClassName = "exponential";
  using ParameterlessActivation::ParameterlessActivation;

 protected:
  void apply_rows(MatrixMapOf<Scalar> values) const override { values.array() = values.array().exp(); }
  void backward_rows(ConstMatrixMapOf<Scalar>, ConstMatrixMapOf<Scalar> a, ConstMatrixMapOf<Scalar> g, MatrixMapOf<Scalar> dz) const override {
    dz.array() = g.array() * a.array();
  }
};

FASTMLP_REGISTER(Exponential);

}  // namespace
}  // namespace fastmlp
