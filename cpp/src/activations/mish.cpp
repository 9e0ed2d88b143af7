// mish (Misra 2019, Keras 3's keras.activations.mish): z tanh(softplus(z)).
#include "simple.hpp"

namespace fastmlp {
namespace {

// log(1 + e^z) without overflow, as in softplus.cpp.
template <class Scalar>
Scalar softplus(Scalar z) { return std::max(z, Scalar(0)) + std::log1p(std::exp(-std::abs(z))); }

class Mish : public ParameterlessActivation<Mish> {
 public:
  static constexpr const char* kClassName = "mish";
  using ParameterlessActivation::ParameterlessActivation;
  bool needs_preactivation() const override { return true; }

  template <class Scalar>
  void apply_rows_of(MatrixMapOf<Scalar> values) const {
    values.array() = values.array().unaryExpr([](Scalar z) { return z * std::tanh(softplus(z)); });
  }
  template <class Scalar>
  void backward_rows_of(ConstMatrixMapOf<Scalar> input, ConstMatrixMapOf<Scalar>, ConstMatrixMapOf<Scalar> g,
                        MatrixMapOf<Scalar> dz) const {
    // With t = tanh(softplus(z)): d/dz z t = t + z (1 - t²) σ(z), since softplus' = σ.
    dz.array() = g.array() * input.array().unaryExpr([](Scalar z) {
      const Scalar t = std::tanh(softplus(z));
      const Scalar sigmoid = 1 / (1 + std::exp(-z));
      return t + z * (1 - t * t) * sigmoid;
    });
  }
};

FASTMLP_REGISTER(Mish);

}  // namespace
}  // namespace fastmlp
