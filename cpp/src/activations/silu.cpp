// silu (Keras also calls it swish): z σ(z).
#include "simple.hpp"

namespace fastmlp {
namespace {

class Silu : public ParameterlessActivation<Silu> {
 public:
  static constexpr const char* kClassName = "silu";
  using ParameterlessActivation::ParameterlessActivation;
  bool needs_preactivation() const override { return true; }

 protected:
  void apply_rows(MatrixMapOf<Scalar> values) const override {
    auto z = values.array();
    z = z * z.logistic();
  }
  void backward_rows(ConstMatrixMapOf<Scalar> input, ConstMatrixMapOf<Scalar>, ConstMatrixMapOf<Scalar> g, MatrixMapOf<Scalar> dz) const override {
    const auto z = input.array();
    const auto s = z.logistic();
    dz.array() = g.array() * s * (1 + z * (1 - s));  // d(z σ(z)) = σ + z σ (1 - σ)
  }
};

FASTMLP_REGISTER(Silu, "swish");

}  // namespace
}  // namespace fastmlp
