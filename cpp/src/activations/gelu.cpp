// gelu, as Keras's gelu(x, approximate): x Φ(x) exactly (erf), or its tanh approximation
// 0.5 x (1 + tanh(sqrt(2/π) (x + 0.044715 x³))).
#include "simple.hpp"

namespace fastmlp {
namespace {

// In double, each rounded once to the scalar the model computes in.
template <class Scalar>
constexpr Scalar kInvSqrt2 = static_cast<Scalar>(0.70710678118654752440);
template <class Scalar>
constexpr Scalar kInvSqrt2Pi = static_cast<Scalar>(0.39894228040143267794);
// The tanh approximation's sqrt(2/π) and cubic coefficient, as Keras writes them.
template <class Scalar>
constexpr Scalar kSqrt2OverPi = static_cast<Scalar>(0.79788456080286535588);
template <class Scalar>
constexpr Scalar kGeluCubic = static_cast<Scalar>(0.044715);

struct GeluOptions {
  bool approximate = false;

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("approximate", self.approximate);
  }
};

class Gelu : public Described<Gelu, ActivationImpl<Gelu>, GeluOptions> {
 public:
  static constexpr const char* kClassName = "gelu";
  explicit Gelu(const Options& options = {}) : Described(options) {}
  bool needs_preactivation() const override { return true; }

  template <class Scalar>
  void apply_rows_of(MatrixMapOf<Scalar> values) const {
    auto z = values.array();
    if (options_.approximate) {
      z = z.unaryExpr([](Scalar x) {
        return Scalar(0.5) * x * (1 + std::tanh(kSqrt2OverPi<Scalar> * (x + kGeluCubic<Scalar> * x * x * x)));
      });
    } else {
      z = z.unaryExpr([](Scalar x) { return Scalar(0.5) * x * (1 + std::erf(x * kInvSqrt2<Scalar>)); });
    }
  }

  template <class Scalar>
  void backward_rows_of(ConstMatrixMapOf<Scalar> input, ConstMatrixMapOf<Scalar>, ConstMatrixMapOf<Scalar> g,
                        MatrixMapOf<Scalar> dz) const {
    if (options_.approximate) {
      // With u = sqrt(2/π)(z + c z³): d/dz 0.5 z (1 + tanh u) = 0.5 (1 + tanh u) + 0.5 z (1 - tanh² u) u'.
      dz.array() = g.array() * input.array().unaryExpr([](Scalar x) {
        const Scalar t = std::tanh(kSqrt2OverPi<Scalar> * (x + kGeluCubic<Scalar> * x * x * x));
        const Scalar du = kSqrt2OverPi<Scalar> * (1 + 3 * kGeluCubic<Scalar> * x * x);
        return Scalar(0.5) * (1 + t) + Scalar(0.5) * x * (1 - t * t) * du;
      });
    } else {
      // d/dz z Φ(z) = Φ(z) + z φ(z)
      dz.array() = g.array() * input.array().unaryExpr([](Scalar x) {
        return Scalar(0.5) * (1 + std::erf(x * kInvSqrt2<Scalar>)) +
               x * kInvSqrt2Pi<Scalar> * std::exp(Scalar(-0.5) * x * x);
      });
    }
  }
};

FASTMLP_REGISTER(Gelu);

}  // namespace
}  // namespace fastmlp
