#include "fastmlp/layers/alpha_dropout.hpp"

#include <cmath>
#include <stdexcept>

namespace fastmlp {
namespace {

// selu's constants: α' = -scale·alpha is the value selu tends to for large negative inputs.
constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
constexpr double kSeluScale = 1.0507009873554804934193349852946;

}  // namespace

template <class Scalar>
AlphaDropoutOf<Scalar>::AlphaDropoutOf(const Options& options) : RandomBase(options) {
  if (!(options.rate >= 0 && options.rate < 1))
    throw std::invalid_argument("AlphaDropout rate must be in [0, 1), got " + std::to_string(options.rate));
}

template <class Scalar>
ConstMatrixMapOf<Scalar> AlphaDropoutOf<Scalar>::forward(ConstMatrixMapOf<Scalar> input, bool training) {
  active_ = training && options_.rate > 0;
  if (!active_) return input;
  const double rate = options_.rate, alpha_p = -kSeluAlpha * kSeluScale;
  const double a = std::pow((1 - rate) * (1 + rate * alpha_p * alpha_p), -0.5), b = -a * alpha_p * rate;
  const Index n = input.rows();
  MatrixMapOf<Scalar> scale = top_rows(scale_, n), offset = top_rows(offset_, n), output = top_rows(output_, n);
  // Kept when a uniform draw is >= rate; 24 random bits per element compared against the rate.
  const std::uint32_t threshold = static_cast<std::uint32_t>(rate * (1u << 24));
  for (Index i = 0; i < scale.size(); ++i) {
    const bool kept = static_cast<std::uint32_t>(rng_() >> 40) >= threshold;
    scale.data()[i] = kept ? static_cast<Scalar>(a) : Scalar(0);
    offset.data()[i] = static_cast<Scalar>(kept ? b : a * alpha_p + b);
  }
  output = input.cwiseProduct(scale) + offset;  // a·(x·kept + α'·(1 - kept)) + b
  return as_const_map(output);
}

template <class Scalar>
ConstMatrixMapOf<Scalar> AlphaDropoutOf<Scalar>::backward(ConstMatrixMapOf<Scalar>, ConstMatrixMapOf<Scalar> grad, GradientAt, bool need_grad_input) {
  if (!need_grad_input) return no_grad_input();
  if (!active_) return grad;
  MatrixMapOf<Scalar> grad_input = top_rows(grad_input_, grad.rows());
  grad_input = grad.cwiseProduct(top_rows(std::as_const(scale_), grad.rows()));  // dX = dY · a·kept
  return as_const_map(grad_input);
}

template class AlphaDropoutOf<float>;
template class AlphaDropoutOf<double>;

FASTMLP_REGISTER(AlphaDropoutOf<float>);
FASTMLP_REGISTER(AlphaDropoutOf<double>);

}  // namespace fastmlp
