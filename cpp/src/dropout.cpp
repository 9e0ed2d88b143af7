#include "fastmlp/dropout.hpp"

#include <cstring>
#include <stdexcept>

namespace fastmlp {
namespace {

Rng seeded(std::int64_t seed, Rng& model_rng) {
  return Rng(seed >= 0 ? static_cast<std::uint64_t>(seed) : model_rng());
}

}  // namespace

Dropout::Dropout(double rate, std::int64_t seed) : rate_(rate), seed_(seed) {
  if (!(rate >= 0 && rate < 1)) throw std::invalid_argument("Dropout rate must be in [0, 1), got " + std::to_string(rate));
}

void Dropout::on_build(Rng& rng) { rng_ = seeded(seed_, rng); }

ConstMatrixMap Dropout::forward(ConstMatrixMap input, bool training) {
  active_ = training && rate_ > 0;
  if (!active_) return input;  // the identity: hand the input on without a copy
  const Index n = input.rows();
  MatrixMap mask = top_rows(mask_, n), output = top_rows(output_, n);
  const Scalar keep_scale = static_cast<Scalar>(1 / (1 - rate_));
  // 24 random bits per element compared against the rate: uniform enough, and cheap.
  const std::uint32_t threshold = static_cast<std::uint32_t>(rate_ * (1u << 24));
  for (Index i = 0; i < mask.size(); ++i) {
    const std::uint32_t bits = static_cast<std::uint32_t>(rng_() >> 40);
    mask.data()[i] = bits >= threshold ? keep_scale : Scalar(0);
  }
  output = input.cwiseProduct(mask);
  return as_const_map(output);
}

ConstMatrixMap Dropout::backward(ConstMatrixMap, ConstMatrixMap grad, GradientAt, bool need_grad_input) {
  if (!need_grad_input) return {grad_input_.data(), 0, width_};
  if (!active_) return grad;
  MatrixMap grad_input = top_rows(grad_input_, grad.rows());
  grad_input = grad.cwiseProduct(top_rows(std::as_const(mask_), grad.rows()));  // dX = dY ∘ mask
  return as_const_map(grad_input);
}

GaussianNoise::GaussianNoise(double stddev, std::int64_t seed) : stddev_(stddev), seed_(seed) {
  if (!(stddev >= 0)) throw std::invalid_argument("GaussianNoise stddev must be >= 0, got " + std::to_string(stddev));
}

void GaussianNoise::on_build(Rng& rng) { rng_ = seeded(seed_, rng); }

ConstMatrixMap GaussianNoise::forward(ConstMatrixMap input, bool training) {
  if (!training || stddev_ == 0) return input;
  MatrixMap output = top_rows(output_, input.rows());
  std::normal_distribution<Scalar> noise(0, static_cast<Scalar>(stddev_));
  for (Index i = 0; i < output.size(); ++i) output.data()[i] = input.data()[i] + noise(rng_);
  return as_const_map(output);
}

// The noise is additive, so dX = dY.
ConstMatrixMap GaussianNoise::backward(ConstMatrixMap, ConstMatrixMap grad, GradientAt, bool need_grad_input) {
  if (!need_grad_input) return {grad_input_.data(), 0, width_};
  return grad;
}

}  // namespace fastmlp
