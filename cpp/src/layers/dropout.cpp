#include "fastmlp/layers/dropout.hpp"

#include <cstring>
#include <stdexcept>

namespace fastmlp {

template <class Scalar>
DropoutOf<Scalar>::DropoutOf(const Options& options) : RandomBase(options) {
  if (!(options.rate >= 0 && options.rate < 1))
    throw std::invalid_argument("Dropout rate must be in [0, 1), got " + std::to_string(options.rate));
}

template <class Scalar>
ConstMatrixMapOf<Scalar> DropoutOf<Scalar>::forward(ConstMatrixMapOf<Scalar> input, bool training) {
  active_ = training && options_.rate > 0;
  if (!active_) return input;  // the identity: hand the input on without a copy
  const Index n = input.rows();
  MatrixMapOf<Scalar> mask = top_rows(mask_, n), output = top_rows(output_, n);
  const Scalar keep_scale = static_cast<Scalar>(1 / (1 - options_.rate));
  // 24 random bits per element compared against the rate: uniform enough, and cheap.
  const std::uint32_t threshold = static_cast<std::uint32_t>(options_.rate * (1u << 24));
  for (Index i = 0; i < mask.size(); ++i) {
    const std::uint32_t bits = static_cast<std::uint32_t>(rng_() >> 40);
    mask.data()[i] = bits >= threshold ? keep_scale : Scalar(0);
  }
  output = input.cwiseProduct(mask);
  return as_const_map(output);
}

template <class Scalar>
ConstMatrixMapOf<Scalar> DropoutOf<Scalar>::backward(ConstMatrixMapOf<Scalar>, ConstMatrixMapOf<Scalar> grad, GradientAt, bool need_grad_input) {
  if (!need_grad_input) return no_grad_input();
  if (!active_) return grad;
  MatrixMapOf<Scalar> grad_input = top_rows(grad_input_, grad.rows());
  grad_input = grad.cwiseProduct(top_rows(std::as_const(mask_), grad.rows()));  // dX = dY ∘ mask
  return as_const_map(grad_input);
}

template class DropoutOf<float>;
template class DropoutOf<double>;

FASTMLP_REGISTER(DropoutOf<float>);
FASTMLP_REGISTER(DropoutOf<double>);

}  // namespace fastmlp
