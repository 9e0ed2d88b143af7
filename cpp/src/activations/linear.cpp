// linear: the identity, f(z) = z.
#include "simple.hpp"

namespace fastmlp {
namespace {

class Linear : public ParameterlessActivation<Linear> {
 public:
  static constexpr const char* kClassName = "linear";
  using ParameterlessActivation::ParameterlessActivation;
  bool is_linear() const override { return true; }

 protected:
  void apply_rows(MatrixMapOf<Scalar>) const override {}
  void backward_rows(ConstMatrixMapOf<Scalar>, ConstMatrixMapOf<Scalar>, ConstMatrixMapOf<Scalar> g, MatrixMapOf<Scalar> dz) const override { dz = g; }
};

FASTMLP_REGISTER(Linear);

}  // namespace
}  // namespace fastmlp
