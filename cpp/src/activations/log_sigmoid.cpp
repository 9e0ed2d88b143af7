// log_sigmoid: log σ(z) = -softplus(-z).
#include "simple.hpp"

namespace fastmlp {
namespace {

class LogSigmoid : public ParameterlessActivation<LogSigmoid> {
 public:
  static constexpr const char* kClassName = "log_sigmoid";
  using ParameterlessActivation::ParameterlessActivation;
  bool needs_preactivation() const override { return true; }

  template <class Scalar>
  void apply_rows_of(MatrixMapOf<Scalar> values) const {
    auto z = values.array();
    // min(z, 0) - log1p(e^-|z|): never overflows, keeps precision for large |z|.
    z = z.min(Scalar(0)) - (-z.abs()).exp().log1p();
  }
  template <class Scalar>
  void backward_rows_of(ConstMatrixMapOf<Scalar> input, ConstMatrixMapOf<Scalar>, ConstMatrixMapOf<Scalar> g,
                        MatrixMapOf<Scalar> dz) const {
    const auto z = input.array();
    dz.array() = g.array() * (-z).logistic();  // σ(-z)
  }
};

FASTMLP_REGISTER(LogSigmoid);

}  // namespace
}  // namespace fastmlp
