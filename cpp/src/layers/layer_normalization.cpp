#include "fastmlp/layers/layer_normalization.hpp"

#include <cmath>
#include <stdexcept>

#include "fastmlp/parallel.hpp"

namespace fastmlp {

template <class Scalar>
LayerNormalizationOf<Scalar>::LayerNormalizationOf(const Options& options) : DescribedBase(options) {
  if (options.axis != -1 && options.axis != 1)
    throw std::invalid_argument("LayerNormalization axis must be -1 (the features of a dense layer), got " +
                                std::to_string(options.axis));
  if (!(options.epsilon > 0 && std::isfinite(options.epsilon)))
    throw std::invalid_argument("LayerNormalization epsilon must be a finite number > 0, got " +
                                std::to_string(options.epsilon));
  if (!options.beta_initializer || !options.gamma_initializer)
    throw std::invalid_argument("LayerNormalization initializers are required");
  check_constraint(options.beta_constraint, 1, "LayerNormalization beta_constraint");
  check_constraint(options.gamma_constraint, 1, "LayerNormalization gamma_constraint");
}

template <class Scalar>
void LayerNormalizationOf<Scalar>::on_build(Rng& rng) {
  // Only the weights it has: without them a build allocates nothing of the layer's width, so that
  // what building costs stays a small multiple of what a model file holds (layer.hpp).
  if (has_gamma()) {
    gamma_.resize(1, width_);
    options_.gamma_initializer->fill(gamma_, width_, width_, rng);
    gamma_grad_.setZero(1, width_);
  }
  if (has_beta()) {
    beta_.resize(1, width_);
    options_.beta_initializer->fill(beta_, width_, width_, rng);
    beta_grad_.setZero(1, width_);
  }
}

template <class Scalar>
void LayerNormalizationOf<Scalar>::on_reserve(Index max_batch) {
  normalized_.resize(max_batch, width_);
  row_mean_.resize(max_batch);
  row_inv_std_.resize(max_batch);
}

template <class Scalar>
std::vector<TensorShape> LayerNormalizationOf<Scalar>::tensor_shapes(Index width) const {
  std::vector<TensorShape> shapes;
  if (has_gamma()) shapes.push_back({"gamma", 1, width});
  if (has_beta()) shapes.push_back({"beta", 1, width});
  return shapes;
}

template <class Scalar>
std::vector<ParameterOf<Scalar>> LayerNormalizationOf<Scalar>::parameters() {
  std::vector<ParameterOf<Scalar>> params;
  if (has_gamma()) params.push_back({"gamma", &gamma_, &gamma_grad_, options_.gamma_constraint, 1});
  if (has_beta()) params.push_back({"beta", &beta_, &beta_grad_, options_.beta_constraint, 1});
  return params;
}

template <class Scalar>
double LayerNormalizationOf<Scalar>::weight_penalty() const {
  return (has_gamma() ? penalty_of(options_.gamma_regularizer, map_of(gamma_)) : 0.0) +
         (has_beta() ? penalty_of(options_.beta_regularizer, map_of(beta_)) : 0.0);
}

template <class Scalar>
void LayerNormalizationOf<Scalar>::normalize(ConstMatrixMapOf<Scalar> input, MatrixMapOf<Scalar> output, MatrixMapOf<Scalar> x_hat, Scalar* means,
                                   Scalar* inv_stds) const {
  const Scalar epsilon = static_cast<Scalar>(options_.epsilon);
  const bool rms = options_.rms_scaling;
  parallel_for(input.rows(), input.cols(), [&](Index first, Index end) {
    for (Index r = first; r < end; ++r) {
      const auto x = input.row(r).array();
      const Scalar mean = x.mean();
      const Scalar variance = (x - mean).square().mean();  // biased, as Keras's moments
      const Scalar s = 1 / std::sqrt(variance + epsilon);
      x_hat.row(r).array() = (x - (rms ? Scalar(0) : mean)) * s;
      // One expression where both weights exist (the arithmetic, contracted to a fused
      // multiply-add or not, stays what it was); an absent gamma is 1 and an absent beta 0.
      if (has_gamma() && has_beta())
        output.row(r).array() = x_hat.row(r).array() * gamma_.row(0).array() + beta_.row(0).array();
      else if (has_gamma())
        output.row(r).array() = x_hat.row(r).array() * gamma_.row(0).array();
      else if (has_beta())
        output.row(r).array() = x_hat.row(r).array() + beta_.row(0).array();
      else
        output.row(r) = x_hat.row(r);
      means[r] = mean;
      inv_stds[r] = s;
    }
  });
}

template <class Scalar>
void LayerNormalizationOf<Scalar>::infer(ConstMatrixMapOf<Scalar> input, MatrixMapOf<Scalar> output) const {
  // Local statistics: inference shares no buffer, so threads may predict at once. x̂ is written
  // into the output and rescaled there.
  VectorOf<Scalar> means(input.rows()), inv_stds(input.rows());
  normalize(input, output, output, means.data(), inv_stds.data());
}

template <class Scalar>
ConstMatrixMapOf<Scalar> LayerNormalizationOf<Scalar>::forward(ConstMatrixMapOf<Scalar> input, bool /*training*/) {
  const Index n = input.rows();
  MatrixMapOf<Scalar> output = top_rows(output_, n);
  normalize(input, output, top_rows(normalized_, n), row_mean_.data(), row_inv_std_.data());
  return as_const_map(output);
}

template <class Scalar>
ConstMatrixMapOf<Scalar> LayerNormalizationOf<Scalar>::backward(ConstMatrixMapOf<Scalar> input, ConstMatrixMapOf<Scalar> grad, GradientAt, bool need_grad_input) {
  const Index n = input.rows();
  const ConstMatrixMapOf<Scalar> x_hat = top_rows(std::as_const(normalized_), n);
  if (has_gamma()) {
    gamma_grad_ = grad.cwiseProduct(x_hat).colwise().sum();  // dγ = Σ dY ∘ x̂
    add_gradient_of(options_.gamma_regularizer, map_of(std::as_const(gamma_)), map_of(gamma_grad_));
  }
  if (has_beta()) {
    beta_grad_ = grad.colwise().sum();  // dβ = Σ dY
    add_gradient_of(options_.beta_regularizer, map_of(std::as_const(beta_)), map_of(beta_grad_));
  }
  if (!need_grad_input) return no_grad_input();

  MatrixMapOf<Scalar> grad_input = top_rows(grad_input_, n);
  const bool rms = options_.rms_scaling;
  parallel_for(n, width_, [&](Index first, Index end) {
    // The gradient of row r from h = dL/dx̂, an expression (evaluated in place, nothing allocated).
    const auto row_gradient = [&](Index r, const auto& h) {
      const Scalar s = row_inv_std_(r);
      if (rms) {
        // y = γ x s with s = (var + ε)^-1/2 and ds/dx = -s³ (x - mean) / n:
        // dX = s h - s³ (x - mean) mean(h ∘ x)
        const auto x = input.row(r).array();
        grad_input.row(r).array() = s * h - s * s * s * (x - row_mean_(r)) * (h * x).mean();
      } else {
        // x̂ = (x - mean) s: dX = s (h - mean(h) - x̂ mean(h ∘ x̂))
        const auto xh = x_hat.row(r).array();
        grad_input.row(r).array() = s * (h - h.mean() - xh * (h * xh).mean());
      }
    };
    for (Index r = first; r < end; ++r) {
      if (has_gamma())
        row_gradient(r, grad.row(r).array() * gamma_.row(0).array());  // dL/dx̂ = dY ∘ γ
      else
        row_gradient(r, grad.row(r).array());  // γ = 1
    }
  });
  return as_const_map(grad_input);
}

template class LayerNormalizationOf<float>;
template class LayerNormalizationOf<double>;

FASTMLP_REGISTER(LayerNormalizationOf<float>);
FASTMLP_REGISTER(LayerNormalizationOf<double>);

}  // namespace fastmlp
