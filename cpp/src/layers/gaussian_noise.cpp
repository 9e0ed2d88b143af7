#include "fastmlp/layers/gaussian_noise.hpp"

#include <cmath>
#include <stdexcept>


namespace fastmlp {

GaussianNoise::GaussianNoise(const Options& options) : RandomLayer(options) {
  if (!(options.stddev >= 0 && std::isfinite(options.stddev)))
    throw std::invalid_argument("GaussianNoise stddev must be a finite number >= 0, got " +
                                std::to_string(options.stddev));
}

ConstMatrixMap GaussianNoise::forward(ConstMatrixMap input, bool training) {
  if (!training || options_.stddev == 0) return input;
  MatrixMap output = top_rows(output_, input.rows());
  std::normal_distribution<Scalar> noise(0, static_cast<Scalar>(options_.stddev));
  for (Index i = 0; i < output.size(); ++i) output.data()[i] = input.data()[i] + noise(rng_);
  return as_const_map(output);
}

// The noise is additive, so dX = dY.
ConstMatrixMap GaussianNoise::backward(ConstMatrixMap, ConstMatrixMap grad, GradientAt, bool need_grad_input) {
  if (!need_grad_input) return no_grad_input();
  return grad;
}

FASTMLP_REGISTER(GaussianNoise);

}  // namespace fastmlp
