// log_sigmoid: log σ(z) = -softplus(-z).
#include "simple.hpp"

namespace fastmlp {
namespace {

class LogSigmoid : public ParameterlessActivation<LogSigmoid> {
 public:
  static constexpr const char* kClassName = "log_sigmoid";
  using ParameterlessActivation::ParameterlessActivation;
  bool needs_preactivation() const override { return true; }

 protected:
  void apply_rows(MatrixMapOf<Scalar> values) const override {
    auto z = values.array();
    // min(z, 0) - log1p(e^-|z|): never overflows, keeps precision for large |z|.
    z = z.min(Scalar(0)) - (-z.abs()).exp().log1p();
  }
  void backward_rows(ConstMatrixMapOf<Scalar> input, ConstMatrixMapOf<Scalar>, ConstMatrixMapOf<Scalar> g, MatrixMapOf<Scalar> dz) const override {
    const auto z = input.array();
    dz.array() = g.array() * (-z).logistic();  // σ(-z)
  }
};

FASTMLP_REGISTER(LogSigmoid);

}  // namespace
}  // namespace fastmlp
