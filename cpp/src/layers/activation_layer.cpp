#include "fastmlp/layers/activation_layer.hpp"

namespace fastmlp {

ActivationLayer::ActivationLayer(const Options& options) : Described(options) {
  if (!options.activation) throw std::invalid_argument("Activation layer needs an activation, such as 'relu'");
}

ConstMatrixMap ActivationLayer::forward(ConstMatrixMap input, bool /*training*/) {
  MatrixMap output = top_rows(output_, input.rows());
  output = input;
  options_.activation->apply(output);
  return as_const_map(output);
}

// The input is Z itself, so activations that need it read it from there.
ConstMatrixMap ActivationLayer::backward(ConstMatrixMap input, ConstMatrixMap grad, GradientAt at,
                                         bool need_grad_input) {
  if (!need_grad_input) return no_grad_input();
  if (at == GradientAt::PreActivation) return grad;
  MatrixMap grad_input = top_rows(grad_input_, input.rows());
  options_.activation->backward(input, top_rows(std::as_const(output_), input.rows()), grad, grad_input);
  return as_const_map(grad_input);
}

void ActivationLayer::infer(ConstMatrixMap input, MatrixMap output) const {
  output = input;
  options_.activation->apply(output);
}

FASTMLP_REGISTER(ActivationLayer);

}  // namespace fastmlp
