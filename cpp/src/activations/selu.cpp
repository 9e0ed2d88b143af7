// selu: scale * elu(z, alpha) with the self-normalising constants of Klambauer et al. (2017).
#include "simple.hpp"

namespace fastmlp {
namespace {

constexpr Scalar kSeluAlpha = 1.67326324235437728481f;
constexpr Scalar kSeluScale = 1.05070098735548049342f;

class Selu : public ParameterlessActivation<Selu> {
 public:
  static constexpr const char* kClassName = "selu";
  using ParameterlessActivation::ParameterlessActivation;

 protected:
  void apply_rows(MatrixMapOf<Scalar> values) const override {
    auto z = values.array();
    z = kSeluScale * (z > 0).select(z, kSeluAlpha * (z.exp() - 1));
  }
  void backward_rows(ConstMatrixMapOf<Scalar>, ConstMatrixMapOf<Scalar> a, ConstMatrixMapOf<Scalar> g, MatrixMapOf<Scalar> dz) const override {
    // scale α e^z = A + scale α below zero
    dz.array() = (a.array() > 0).select(kSeluScale * g.array(), g.array() * (a.array() + kSeluScale * kSeluAlpha));
  }
};

FASTMLP_REGISTER(Selu);

}  // namespace
}  // namespace fastmlp
