#include "fastmlp/layers/gaussian_noise.hpp"

#include <cmath>
#include <stdexcept>


namespace fastmlp {

template <class Scalar>
GaussianNoiseOf<Scalar>::GaussianNoiseOf(const Options& options) : RandomBase(options) {
  if (!(options.stddev >= 0 && std::isfinite(options.stddev)))
    throw std::invalid_argument("GaussianNoise stddev must be a finite number >= 0, got " +
                                std::to_string(options.stddev));
}

template <class Scalar>
ConstMatrixMapOf<Scalar> GaussianNoiseOf<Scalar>::forward(ConstMatrixMapOf<Scalar> input, bool training) {
  if (!training || options_.stddev == 0) return input;
  MatrixMapOf<Scalar> output = top_rows(output_, input.rows());
  std::normal_distribution<Scalar> noise(0, static_cast<Scalar>(options_.stddev));
  for (Index i = 0; i < output.size(); ++i) output.data()[i] = input.data()[i] + noise(rng_);
  return as_const_map(output);
}

// The noise is additive, so dX = dY.
template <class Scalar>
ConstMatrixMapOf<Scalar> GaussianNoiseOf<Scalar>::backward(ConstMatrixMapOf<Scalar>, ConstMatrixMapOf<Scalar> grad, GradientAt, bool need_grad_input) {
  if (!need_grad_input) return no_grad_input();
  return grad;
}

template class GaussianNoiseOf<float>;
template class GaussianNoiseOf<double>;

FASTMLP_REGISTER(GaussianNoiseOf<float>);
FASTMLP_REGISTER(GaussianNoiseOf<double>);

}  // namespace fastmlp
