#include "fastmlp/dense.hpp"

#include "fastmlp/gemm.hpp"

#include <stdexcept>
#include <string>
#include <utility>

namespace fastmlp {

Dense::Dense(Index units, Activation activation, bool use_bias, Initializer kernel_initializer,
             Initializer bias_initializer, DenseRegularizers regularizers)
    : units_(units),
      activation_(activation),
      use_bias_(use_bias),
      kernel_initializer_(kernel_initializer),
      bias_initializer_(bias_initializer),
      regularizers_(regularizers) {
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
  if (activation_.needs_preactivation()) preact_.resize(max_batch, units_);
  if (regularizers_.activity.active()) activity_grad_.resize(max_batch, units_);
  grad_preact_.resize(max_batch, units_);
  grad_input_.resize(max_batch, inputs_);
}

void Dense::affine_activate(ConstMatrixMap input, MatrixMap output, const Activation& activation) const {
  if (input.cols() != inputs_)
    throw std::invalid_argument("Dense expected " + std::to_string(inputs_) + " input features, got " +
                                std::to_string(input.cols()));
  multiply(input, Op::Plain, top_rows(kernel_, inputs_), Op::Plain, output);  // X W: (n, in) x (in, units)
  activation.apply(output, use_bias_ ? bias_.data() : nullptr);  // A = f(X W + b), one pass
}

ConstMatrixMap Dense::forward(ConstMatrixMap input, bool /*training*/) {
  if (input.rows() > output_.rows())
    throw std::logic_error("Dense::forward: batch of " + std::to_string(input.rows()) +
                           " rows exceeds the reserved " + std::to_string(output_.rows()));
  MatrixMap output = top_rows(output_, input.rows());
  if (!activation_.needs_preactivation()) {
    affine_activate(input, output, activation_);
  } else {
    MatrixMap preact = top_rows(preact_, input.rows());
    affine_activate(input, preact, Activation());  // Z = XW + b
    output = preact;
    activation_.apply(output);                     // A = f(Z)
  }
  return as_const_map(output);
}

ConstMatrixMap Dense::preactivation_gradient(ConstMatrixMap grad, GradientAt at) {
  const Index n = grad.rows();
  const ConstMatrixMap z = top_rows(std::as_const(preact_), activation_.needs_preactivation() ? n : 0);
  const ConstMatrixMap a = top_rows(std::as_const(output_), n);
  const bool activity = regularizers_.activity.active();
  if (!activity && (at == GradientAt::PreActivation || activation_.kind() == ActivationKind::Linear)) return grad;

  MatrixMap grad_z = top_rows(grad_preact_, n);
  if (at == GradientAt::Output) {
    if (activity) {
      MatrixMap total = top_rows(activity_grad_, n);
      total = grad;
      regularizers_.activity.add_gradient(a, total);            // dA += d(penalty)/dA
      activation_.backward(z, a, as_const_map(total), grad_z);  // dZ = dA ∘ f'(Z)
    } else {
      activation_.backward(z, a, grad, grad_z);
    }
  } else {
    // The loss already gave dL/dZ; the activity penalty's dP/dA still goes through f'.
    MatrixMap penalty_grad = top_rows(activity_grad_, n);
    penalty_grad.setZero();
    regularizers_.activity.add_gradient(a, penalty_grad);
    activation_.backward(z, a, as_const_map(penalty_grad), grad_z);
    grad_z += grad;
  }
  return as_const_map(grad_z);
}

ConstMatrixMap Dense::backward(ConstMatrixMap input, ConstMatrixMap grad, GradientAt at, bool need_grad_input) {
  const ConstMatrixMap grad_z = preactivation_gradient(grad, at);
  multiply(input, Op::Transposed, grad_z, Op::Plain, top_rows(kernel_grad_, inputs_));  // dW = Xᵀ dZ
  regularizers_.kernel.add_gradient(kernel_, kernel_grad_);
  if (use_bias_) {
    bias_grad_.noalias() = grad_z.colwise().sum();                // db = 1ᵀ dZ
    regularizers_.bias.add_gradient(bias_, bias_grad_);
  }
  if (!need_grad_input) return {grad_input_.data(), 0, inputs_};
  MatrixMap grad_input = top_rows(grad_input_, input.rows());
  const ConstMatrixMap kernel = top_rows(std::as_const(kernel_), inputs_);
  multiply(grad_z, Op::Plain, kernel, Op::Transposed, grad_input);  // dX = dZ Wᵀ
  return as_const_map(grad_input);
}

// Inference keeps nothing for backward, so even activations that need Z are applied in place.
void Dense::infer(ConstMatrixMap input, MatrixMap output) const { affine_activate(input, output, activation_); }

double Dense::weight_penalty() const {
  return regularizers_.kernel.penalty(kernel_) + (use_bias_ ? regularizers_.bias.penalty(bias_) : 0.0);
}

std::vector<Parameter> Dense::parameters() {
  std::vector<Parameter> params{{"kernel", &kernel_, &kernel_grad_}};
  if (use_bias_) params.push_back({"bias", &bias_, &bias_grad_});
  return params;
}

}  // namespace fastmlp
