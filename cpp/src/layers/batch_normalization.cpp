#include "fastmlp/layers/batch_normalization.hpp"

#include <cmath>
#include <stdexcept>

namespace fastmlp {

template <class Scalar>
BatchNormalizationOf<Scalar>::BatchNormalizationOf(const Options& options) : DescribedBase(options) {
  if (options.axis != -1 && options.axis != 1)
    throw std::invalid_argument("BatchNormalization axis must be -1 (the features of a dense layer), got " +
                                std::to_string(options.axis));
  if (!(options.momentum >= 0 && options.momentum <= 1))
    throw std::invalid_argument("BatchNormalization momentum must be in [0, 1], got " + std::to_string(options.momentum));
  if (!(options.epsilon > 0 && std::isfinite(options.epsilon)))
    throw std::invalid_argument("BatchNormalization epsilon must be a finite number > 0, got " +
                                std::to_string(options.epsilon));
  if (!options.beta_initializer || !options.gamma_initializer || !options.moving_mean_initializer ||
      !options.moving_variance_initializer)
    throw std::invalid_argument("BatchNormalization initializers are required");
  check_constraint(options.beta_constraint, 1, "BatchNormalization beta_constraint");
  check_constraint(options.gamma_constraint, 1, "BatchNormalization gamma_constraint");
}

template <class Scalar>
void BatchNormalizationOf<Scalar>::on_build(Rng& rng) {
  // Keras creates gamma and beta even when scale or center is off: fixed at 1 and 0 then.
  gamma_.setOnes(1, width_);
  beta_.setZero(1, width_);
  if (options_.scale) options_.gamma_initializer->fill(gamma_, width_, width_, rng);
  if (options_.center) options_.beta_initializer->fill(beta_, width_, width_, rng);
  gamma_grad_.setZero(1, width_);
  beta_grad_.setZero(1, width_);
  moving_mean_.resize(1, width_);
  moving_variance_.resize(1, width_);
  options_.moving_mean_initializer->fill(moving_mean_, width_, width_, rng);
  options_.moving_variance_initializer->fill(moving_variance_, width_, width_, rng);
  batch_mean_.setZero(width_);
  batch_variance_.setZero(width_);
  inv_std_.setZero(width_);
  coefficient_.setZero(width_);
}

template <class Scalar>
std::vector<TensorShape> BatchNormalizationOf<Scalar>::tensor_shapes(Index width) const {
  std::vector<TensorShape> shapes;
  if (options_.scale) shapes.push_back({"gamma", 1, width});
  if (options_.center) shapes.push_back({"beta", 1, width});
  shapes.push_back({"moving_mean", 1, width});
  shapes.push_back({"moving_variance", 1, width});
  return shapes;
}

template <class Scalar>
std::vector<ParameterOf<Scalar>> BatchNormalizationOf<Scalar>::parameters() {
  std::vector<ParameterOf<Scalar>> params;
  if (options_.scale) params.push_back({"gamma", &gamma_, &gamma_grad_, options_.gamma_constraint, 1});
  if (options_.center) params.push_back({"beta", &beta_, &beta_grad_, options_.beta_constraint, 1});
  return params;
}

template <class Scalar>
std::vector<ParameterOf<Scalar>> BatchNormalizationOf<Scalar>::non_trainable() {
  return {{"moving_mean", &moving_mean_, nullptr}, {"moving_variance", &moving_variance_, nullptr}};
}

template <class Scalar>
double BatchNormalizationOf<Scalar>::weight_penalty() const {
  return (options_.scale ? penalty_of(options_.gamma_regularizer, map_of(gamma_)) : 0.0) +
         (options_.center ? penalty_of(options_.beta_regularizer, map_of(beta_)) : 0.0);
}

template <class Scalar>
void BatchNormalizationOf<Scalar>::infer(ConstMatrixMapOf<Scalar> input, MatrixMapOf<Scalar> output) const {
  const RowVectorOf<Scalar> inv_std = (moving_variance_.array() + static_cast<Scalar>(options_.epsilon)).rsqrt();
  const RowVectorOf<Scalar> gain = gamma_.array() * inv_std.array();
  const RowVectorOf<Scalar> shift = beta_.array() - moving_mean_.array() * gain.array();
  output = (input.array().rowwise() * gain.array()).rowwise() + shift.array();
}

template <class Scalar>
ConstMatrixMapOf<Scalar> BatchNormalizationOf<Scalar>::forward(ConstMatrixMapOf<Scalar> input, bool training) {
  const Index n = input.rows();
  MatrixMapOf<Scalar> output = top_rows(output_, n);
  training_pass_ = training && this->trainable();
  if (!training_pass_) {
    infer(input, output);
    return as_const_map(output);
  }
  batch_mean_.noalias() = input.colwise().mean();
  MatrixMapOf<Scalar> x_hat = top_rows(normalized_, n);
  x_hat = input.rowwise() - batch_mean_;
  batch_variance_.noalias() = x_hat.colwise().squaredNorm() / static_cast<Scalar>(n);  // biased, as Keras
  inv_std_ = (batch_variance_.array() + static_cast<Scalar>(options_.epsilon)).rsqrt();
  x_hat.array().rowwise() *= inv_std_.array();
  output = (x_hat.array().rowwise() * gamma_.row(0).array()).rowwise() + beta_.row(0).array();
  const Scalar m = static_cast<Scalar>(options_.momentum);
  moving_mean_ = m * moving_mean_ + (1 - m) * batch_mean_;
  moving_variance_ = m * moving_variance_ + (1 - m) * batch_variance_;
  return as_const_map(output);
}

template <class Scalar>
ConstMatrixMapOf<Scalar> BatchNormalizationOf<Scalar>::backward(ConstMatrixMapOf<Scalar> input, ConstMatrixMapOf<Scalar> grad, GradientAt, bool need_grad_input) {
  const Index n = input.rows();
  if (!training_pass_) {  // moving statistics are constants: dX = dY γ / sqrt(var + ε)
    const RowVectorOf<Scalar> inv_std = (moving_variance_.array() + static_cast<Scalar>(options_.epsilon)).rsqrt();
    beta_grad_ = grad.colwise().sum();
    gamma_grad_ = ((input.rowwise() - moving_mean_.row(0)).array().rowwise() * inv_std.array() * grad.array())
                      .colwise()
                      .sum();
    add_gradient_of(options_.gamma_regularizer, map_of(std::as_const(gamma_)), map_of(gamma_grad_));
    add_gradient_of(options_.beta_regularizer, map_of(std::as_const(beta_)), map_of(beta_grad_));
    if (!need_grad_input) return no_grad_input();
    MatrixMapOf<Scalar> grad_input = top_rows(grad_input_, n);
    grad_input = grad.array().rowwise() * (gamma_.row(0).array() * inv_std.array());
    return as_const_map(grad_input);
  }
  const ConstMatrixMapOf<Scalar> x_hat = top_rows(std::as_const(normalized_), n);
  beta_grad_ = grad.colwise().sum();                        // dβ = Σ dY
  gamma_grad_ = grad.cwiseProduct(x_hat).colwise().sum();   // dγ = Σ dY ∘ x̂
  if (need_grad_input) {
    // dX = γ / (n σ) (n dY - Σ dY - x̂ Σ(dY ∘ x̂)), the batch statistics differentiated too; read
    // before the penalties' gradients join dγ and dβ.
    coefficient_ = gamma_.array() * inv_std_.array() / static_cast<Scalar>(n);
    MatrixMapOf<Scalar> grad_input = top_rows(grad_input_, n);
    grad_input = ((static_cast<Scalar>(n) * grad.array()).rowwise() - beta_grad_.row(0).array() -
                  x_hat.array().rowwise() * gamma_grad_.row(0).array())
                     .rowwise() *
                 coefficient_.array();
  }
  add_gradient_of(options_.gamma_regularizer, map_of(std::as_const(gamma_)), map_of(gamma_grad_));
  add_gradient_of(options_.beta_regularizer, map_of(std::as_const(beta_)), map_of(beta_grad_));
  if (!need_grad_input) return no_grad_input();
  return as_const_map(top_rows(grad_input_, n));
}

template class BatchNormalizationOf<float>;
template class BatchNormalizationOf<double>;

FASTMLP_REGISTER(BatchNormalizationOf<float>);
FASTMLP_REGISTER(BatchNormalizationOf<double>);

}  // namespace fastmlp
