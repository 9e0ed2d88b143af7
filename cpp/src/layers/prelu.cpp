#include "fastmlp/layers/prelu.hpp"

#include <stdexcept>

namespace fastmlp {

template <class Scalar>
PReLUOf<Scalar>::PReLUOf(const Options& options) : DescribedBase(options) {
  if (!options.alpha_initializer) throw std::invalid_argument("PReLU alpha_initializer is required");
  check_constraint(options.alpha_constraint, 1, "PReLU alpha_constraint");
}

template <class Scalar>
void PReLUOf<Scalar>::on_build(Rng& rng) {
  alpha_.resize(1, width_);
  alpha_grad_.setZero(1, width_);
  options_.alpha_initializer->fill(alpha_, width_, width_, rng);
}

template <class Scalar>
void PReLUOf<Scalar>::infer(ConstMatrixMapOf<Scalar> input, MatrixMapOf<Scalar> output) const {
  const auto slope = alpha_.row(0).array();
  for (Index r = 0; r < input.rows(); ++r) {
    const auto x = input.row(r).array();
    output.row(r).array() = x.max(Scalar(0)) + slope * x.min(Scalar(0));
  }
}

template <class Scalar>
ConstMatrixMapOf<Scalar> PReLUOf<Scalar>::forward(ConstMatrixMapOf<Scalar> input, bool) {
  MatrixMapOf<Scalar> output = top_rows(output_, input.rows());
  infer(input, output);
  return as_const_map(output);
}

template <class Scalar>
ConstMatrixMapOf<Scalar> PReLUOf<Scalar>::backward(ConstMatrixMapOf<Scalar> input, ConstMatrixMapOf<Scalar> grad, GradientAt, bool need_grad_input) {
  alpha_grad_.setZero();
  for (Index r = 0; r < input.rows(); ++r)  // dα = Σ_batch dY ∘ min(0, X)
    alpha_grad_.row(0).array() += grad.row(r).array() * input.row(r).array().min(Scalar(0));
  add_gradient_of(options_.alpha_regularizer, map_of(std::as_const(alpha_)), map_of(alpha_grad_));
  if (!need_grad_input) return no_grad_input();
  MatrixMapOf<Scalar> grad_input = top_rows(grad_input_, input.rows());
  const auto slope = alpha_.row(0).array();
  for (Index r = 0; r < input.rows(); ++r)  // dX = dY ∘ (1 where X > 0, α elsewhere)
    grad_input.row(r).array() = (input.row(r).array() > 0).select(grad.row(r).array(), slope * grad.row(r).array());
  return as_const_map(grad_input);
}

template class PReLUOf<float>;
template class PReLUOf<double>;

FASTMLP_REGISTER(PReLUOf<float>);
FASTMLP_REGISTER(PReLUOf<double>);

}  // namespace fastmlp
