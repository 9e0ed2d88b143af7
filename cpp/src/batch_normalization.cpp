#include "fastmlp/batch_normalization.hpp"

#include <stdexcept>

namespace fastmlp {

BatchNormalization::BatchNormalization(double momentum, double epsilon, bool center, bool scale)
    : momentum_(momentum), epsilon_(epsilon), center_(center), scale_(scale) {
  if (!(momentum >= 0 && momentum <= 1))
    throw std::invalid_argument("BatchNormalization momentum must be in [0, 1], got " + std::to_string(momentum));
  if (!(epsilon > 0)) throw std::invalid_argument("BatchNormalization epsilon must be > 0, got " + std::to_string(epsilon));
}

void BatchNormalization::on_build(Rng&) {
  gamma_.setOnes(1, width_);
  beta_.setZero(1, width_);
  gamma_grad_.setZero(1, width_);
  beta_grad_.setZero(1, width_);
  moving_mean_.setZero(1, width_);
  moving_variance_.setOnes(1, width_);
  batch_mean_.setZero(width_);
  batch_variance_.setZero(width_);
  inv_std_.setZero(width_);
  coefficient_.setZero(width_);
}

std::vector<Parameter> BatchNormalization::parameters() {
  std::vector<Parameter> params;
  if (scale_) params.push_back({"gamma", &gamma_, &gamma_grad_});
  if (center_) params.push_back({"beta", &beta_, &beta_grad_});
  return params;
}

std::vector<Parameter> BatchNormalization::non_trainable() {
  return {{"moving_mean", &moving_mean_, nullptr}, {"moving_variance", &moving_variance_, nullptr}};
}

void BatchNormalization::infer(ConstMatrixMap input, MatrixMap output) const {
  const RowVector inv_std = (moving_variance_.array() + static_cast<Scalar>(epsilon_)).rsqrt();
  const RowVector gain = gamma_.array() * inv_std.array();
  const RowVector shift = beta_.array() - moving_mean_.array() * gain.array();
  output = (input.array().rowwise() * gain.array()).rowwise() + shift.array();
}

ConstMatrixMap BatchNormalization::forward(ConstMatrixMap input, bool training) {
  const Index n = input.rows();
  MatrixMap output = top_rows(output_, n);
  training_pass_ = training;
  if (!training) {
    infer(input, output);
    return as_const_map(output);
  }
  batch_mean_.noalias() = input.colwise().mean();
  MatrixMap x_hat = top_rows(normalized_, n);
  x_hat = input.rowwise() - batch_mean_;
  batch_variance_.noalias() = x_hat.colwise().squaredNorm() / static_cast<Scalar>(n);  // biased, as Keras
  inv_std_ = (batch_variance_.array() + static_cast<Scalar>(epsilon_)).rsqrt();
  x_hat.array().rowwise() *= inv_std_.array();
  output = (x_hat.array().rowwise() * gamma_.row(0).array()).rowwise() + beta_.row(0).array();
  const Scalar m = static_cast<Scalar>(momentum_);
  moving_mean_ = m * moving_mean_ + (1 - m) * batch_mean_;
  moving_variance_ = m * moving_variance_ + (1 - m) * batch_variance_;
  return as_const_map(output);
}

ConstMatrixMap BatchNormalization::backward(ConstMatrixMap input, ConstMatrixMap grad, GradientAt, bool need_grad_input) {
  const Index n = input.rows();
  const ConstMatrixMap x_hat = top_rows(std::as_const(normalized_), n);
  beta_grad_ = grad.colwise().sum();                        // dβ = Σ dY
  gamma_grad_ = grad.cwiseProduct(x_hat).colwise().sum();   // dγ = Σ dY ∘ x̂
  if (!need_grad_input) return {grad_input_.data(), 0, width_};
  MatrixMap grad_input = top_rows(grad_input_, n);
  if (!training_pass_) {  // moving statistics are constants: dX = dY γ / sqrt(var + ε)
    const RowVector gain = gamma_.array() * (moving_variance_.array() + static_cast<Scalar>(epsilon_)).rsqrt();
    grad_input = grad.array().rowwise() * gain.array();
    return as_const_map(grad_input);
  }
  // dX = γ / (n σ) (n dY - Σ dY - x̂ Σ(dY ∘ x̂)), the batch statistics differentiated too.
  coefficient_ = gamma_.array() * inv_std_.array() / static_cast<Scalar>(n);
  grad_input = ((static_cast<Scalar>(n) * grad.array()).rowwise() - beta_grad_.row(0).array() -
                x_hat.array().rowwise() * gamma_grad_.row(0).array())
                   .rowwise() *
               coefficient_.array();
  return as_const_map(grad_input);
}

}  // namespace fastmlp
