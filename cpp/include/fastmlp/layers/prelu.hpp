// PReLU: max(0, x) + alpha ∘ min(0, x) with a learnable slope per unit (Keras: alpha starts at 0).
#pragma once

#include "fastmlp/initializer.hpp"
#include "fastmlp/layers/elementwise_layer.hpp"
#include "fastmlp/regularizer.hpp"

namespace fastmlp {

struct PReLUOptions {
  InitializerPtr alpha_initializer = make_initializer("Zeros");
  RegularizerPtr alpha_regularizer;

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("alpha_initializer", self.alpha_initializer);
    visit("alpha_regularizer", self.alpha_regularizer);
  }
};

class PReLU : public Described<PReLU, ElementwiseLayer, PReLUOptions> {
 public:
  static constexpr const char* kClassName = "PReLU";
  explicit PReLU(const Options& options = {});

  ConstMatrixMap forward(ConstMatrixMap input, bool training) override;
  ConstMatrixMap backward(ConstMatrixMap input, ConstMatrixMap grad, GradientAt at, bool need_grad_input) override;
  void infer(ConstMatrixMap input, MatrixMap output) const override;
  std::vector<Parameter> parameters() override { return {{"alpha", &alpha_, &alpha_grad_}}; }
  std::vector<TensorShape> tensor_shapes(Index width) const override { return {{"alpha", 1, width}}; }
  double weight_penalty() const override { return penalty_of(options_.alpha_regularizer, map_of(alpha_)); }
  RowMatrix& alpha() { return alpha_; }

 protected:
  void on_build(Rng& rng) override;

 private:
  RowMatrix alpha_;       // (1, width)
  RowMatrix alpha_grad_;  // (1, width)
};

}  // namespace fastmlp
