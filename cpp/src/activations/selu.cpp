// selu: scale * elu(z, alpha) with the self-normalising constants of Klambauer et al. (2017).
#include "simple.hpp"

namespace fastmlp {
namespace {

// In double, each rounded once to the scalar the model computes in.
template <class Scalar>
constexpr Scalar kSeluAlpha = static_cast<Scalar>(1.67326324235437728481);
template <class Scalar>
constexpr Scalar kSeluScale = static_cast<Scalar>(1.05070098735548049342);

class Selu : public ParameterlessActivation<Selu> {
 public:
  static constexpr const char* kClassName = "selu";
  using ParameterlessActivation::ParameterlessActivation;

  template <class Scalar>
  void apply_rows_of(MatrixMapOf<Scalar> values) const {
    auto z = values.array();
    z = kSeluScale<Scalar> * (z > 0).select(z, kSeluAlpha<Scalar> * (z.exp() - 1));
  }
  template <class Scalar>
  void backward_rows_of(ConstMatrixMapOf<Scalar>, ConstMatrixMapOf<Scalar> a, ConstMatrixMapOf<Scalar> g,
                        MatrixMapOf<Scalar> dz) const {
    // scale α e^z = A + scale α below zero
    const Scalar scale = kSeluScale<Scalar>, alpha = kSeluAlpha<Scalar>;
    dz.array() = (a.array() > 0).select(scale * g.array(), g.array() * (a.array() + scale * alpha));
  }
};

FASTMLP_REGISTER(Selu);

}  // namespace
}  // namespace fastmlp
