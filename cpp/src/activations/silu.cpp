// silu (Keras also calls it swish): z σ(z).
#include "simple.hpp"

namespace fastmlp {
namespace {

class Silu : public ParameterlessActivation<Silu> {
 public:
  static constexpr const char* kClassName = "silu";
  using ParameterlessActivation::ParameterlessActivation;
  bool needs_preactivation() const override { return true; }

  template <class Scalar>
  void apply_rows_of(MatrixMapOf<Scalar> values) const {
    auto z = values.array();
    z = z * z.logistic();
  }
  template <class Scalar>
  void backward_rows_of(ConstMatrixMapOf<Scalar> input, ConstMatrixMapOf<Scalar>, ConstMatrixMapOf<Scalar> g,
                        MatrixMapOf<Scalar> dz) const {
    const auto z = input.array();
    const auto s = z.logistic();
    dz.array() = g.array() * s * (1 + z * (1 - s));  // d(z σ(z)) = σ + z σ (1 - σ)
  }
};

FASTMLP_REGISTER(Silu, "swish");

}  // namespace
}  // namespace fastmlp
