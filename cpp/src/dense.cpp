#include "fastmlp/dense.hpp"

#include <stdexcept>
#include <string>
#include <utility>

namespace fastmlp {

Dense::Dense(Index units, Activation activation, bool use_bias, Initializer kernel_initializer,
             Initializer bias_initializer)
    : units_(units),
      activation_(activation),
      use_bias_(use_bias),
      kernel_initializer_(kernel_initializer),
      bias_initializer_(bias_initializer) {
  if (units <= 0) throw std::invalid_argument("Dense units must be a positive integer, got " + std::to_string(units));
}

void Dense::build(Index input_dim, Rng& rng) {
  if (input_dim <= 0) throw std::invalid_argument("Dense input dimension must be positive, got " + std::to_string(input_dim));
  inputs_ = input_dim;
  kernel_.resize(inputs_, units_);
  kernel_grad_.setZero(inputs_, units_);
  kernel_initializer_.fill(kernel_, inputs_, units_, rng);
  if (use_bias_) {
    bias_.resize(1, units_);
    bias_grad_.setZero(1, units_);
    bias_initializer_.fill(bias_, units_, units_, rng);
  }
}

void Dense::reserve_batch(Index max_batch) {
  if (output_.rows() == max_batch) return;
  output_.resize(max_batch, units_);
  grad_preact_.resize(max_batch, units_);
  grad_input_.resize(max_batch, inputs_);
}

void Dense::affine_activate(ConstMatrixMap input, MatrixMap output) const {
  if (input.cols() != inputs_)
    throw std::invalid_argument("Dense expected " + std::to_string(inputs_) + " input features, got " +
                                std::to_string(input.cols()));
  output.noalias() = input * kernel_;  // Z = X W: (n, in) x (in, units)
  activation_.apply(output, use_bias_ ? bias_.data() : nullptr);  // A = f(Z + b)
}

ConstMatrixMap Dense::forward(ConstMatrixMap input, bool /*training*/) {
  if (input.rows() > output_.rows())
    throw std::logic_error("Dense::forward: batch of " + std::to_string(input.rows()) +
                           " rows exceeds the reserved " + std::to_string(output_.rows()));
  MatrixMap output = top_rows(output_, input.rows());
  affine_activate(input, output);
  return as_const_map(output);
}

ConstMatrixMap Dense::backward(ConstMatrixMap input, ConstMatrixMap grad, GradientAt at, bool need_grad_input) {
  const Index n = input.rows();
  const bool through_activation = at == GradientAt::Output && activation_.kind() != ActivationKind::Linear;
  if (through_activation)
    activation_.backward(top_rows(std::as_const(output_), n), grad, top_rows(grad_preact_, n));  // dZ = dA ∘ f'(Z)
  const ConstMatrixMap grad_z = through_activation ? top_rows(std::as_const(grad_preact_), n) : grad;
  kernel_grad_.noalias() = input.transpose() * grad_z;            // dW = Xᵀ dZ
  if (use_bias_) bias_grad_.noalias() = grad_z.colwise().sum();   // db = 1ᵀ dZ
  if (!need_grad_input) return {grad_input_.data(), 0, inputs_};
  MatrixMap grad_input = top_rows(grad_input_, n);
  grad_input.noalias() = grad_z * kernel_.transpose();            // dX = dZ Wᵀ
  return as_const_map(grad_input);
}

void Dense::infer(ConstMatrixMap input, MatrixMap output) const { affine_activate(input, output); }

std::vector<Parameter> Dense::parameters() {
  std::vector<Parameter> params{{"kernel", &kernel_, &kernel_grad_}};
  if (use_bias_) params.push_back({"bias", &bias_, &bias_grad_});
  return params;
}

}  // namespace fastmlp
