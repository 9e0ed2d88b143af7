// Activation as a layer of its own: Dense(10) followed by Activation("softmax"), as Keras allows.
#pragma once

#include "fastmlp/activations.hpp"
#include "fastmlp/elementwise_layer.hpp"

namespace fastmlp {

class ActivationLayer : public ElementwiseLayer {
 public:
  explicit ActivationLayer(Activation activation) : activation_(activation) {}
  std::string type_name() const override { return "Activation"; }
  const Activation& activation() const { return activation_; }
  const Activation* final_activation() const override { return &activation_; }

  ConstMatrixMap forward(ConstMatrixMap input, bool /*training*/) override {
    MatrixMap output = top_rows(output_, input.rows());
    output = input;
    activation_.apply(output);
    return as_const_map(output);
  }

  // The input is Z itself, so activations that need it read it from there.
  ConstMatrixMap backward(ConstMatrixMap input, ConstMatrixMap grad, GradientAt at, bool need_grad_input) override {
    if (!need_grad_input) return {grad_input_.data(), 0, width_};
    if (at == GradientAt::PreActivation) return grad;
    MatrixMap grad_input = top_rows(grad_input_, input.rows());
    activation_.backward(input, top_rows(std::as_const(output_), input.rows()), grad, grad_input);
    return as_const_map(grad_input);
  }

  void infer(ConstMatrixMap input, MatrixMap output) const override {
    output = input;
    activation_.apply(output);
  }

 private:
  Activation activation_;
};

}  // namespace fastmlp
