// PReLU: max(0, x) + alpha ∘ min(0, x) with a learnable slope per unit (Keras: alpha starts at 0).
#pragma once

#include "fastmlp/elementwise_layer.hpp"
#include "fastmlp/initializers.hpp"

namespace fastmlp {

class PReLU : public ElementwiseLayer {
 public:
  explicit PReLU(Initializer alpha_initializer = Initializer::zeros()) : alpha_initializer_(alpha_initializer) {}
  std::string type_name() const override { return "PReLU"; }
  ConstMatrixMap forward(ConstMatrixMap input, bool training) override;
  ConstMatrixMap backward(ConstMatrixMap input, ConstMatrixMap grad, GradientAt at, bool need_grad_input) override;
  void infer(ConstMatrixMap input, MatrixMap output) const override;
  std::vector<Parameter> parameters() override { return {{"alpha", &alpha_, &alpha_grad_}}; }
  RowMatrix& alpha() { return alpha_; }

 protected:
  void on_build(Rng& rng) override;

 private:
  Initializer alpha_initializer_;
  RowMatrix alpha_;       // (1, width)
  RowMatrix alpha_grad_;  // (1, width)
};

}  // namespace fastmlp
