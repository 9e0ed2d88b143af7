#include "fastmlp/layers/activation_layer.hpp"

namespace fastmlp {

template <class Scalar>
ConstMatrixMapOf<Scalar> ActivationApplyingOf<Scalar>::forward(ConstMatrixMapOf<Scalar> input, bool /*training*/) {
  MatrixMapOf<Scalar> output = top_rows(output_, input.rows());
  activation().apply(input, output);
  return as_const_map(output);
}

// The input is Z itself, so activations that need it read it from there.
template <class Scalar>
ConstMatrixMapOf<Scalar> ActivationApplyingOf<Scalar>::backward(ConstMatrixMapOf<Scalar> input, ConstMatrixMapOf<Scalar> grad, GradientAt at,
                                            bool need_grad_input) {
  if (!need_grad_input) return no_grad_input();
  if (at == GradientAt::PreActivation) return grad;
  MatrixMapOf<Scalar> grad_input = top_rows(grad_input_, input.rows());
  activation().backward(input, top_rows(std::as_const(output_), input.rows()), grad, grad_input);
  return as_const_map(grad_input);
}

template <class Scalar>
void ActivationApplyingOf<Scalar>::infer(ConstMatrixMapOf<Scalar> input, MatrixMapOf<Scalar> output) const { activation().apply(input, output); }

template <class Scalar>
ActivationLayerOf<Scalar>::ActivationLayerOf(const Options& options) : DescribedBase(options) {
  if (!options.activation) throw std::invalid_argument("Activation layer needs an activation, such as 'relu'");
}

template <class Scalar>
SoftmaxOf<Scalar>::SoftmaxOf(const Options& options) : DescribedBase(options), softmax_(make_activation("softmax")) {
  // Samples are rows of features: the features are axis 1, which is also axis -1.
  if (options.axis != -1 && options.axis != 1)
    throw std::invalid_argument("Softmax axis must be -1 or 1 (the features of 2-D samples), got " +
                                std::to_string(options.axis));
}

template class ActivationApplyingOf<float>;
template class ActivationApplyingOf<double>;
template class ActivationLayerOf<float>;
template class ActivationLayerOf<double>;
template class SoftmaxOf<float>;
template class SoftmaxOf<double>;

FASTMLP_REGISTER(ActivationLayerOf<float>);
FASTMLP_REGISTER(ActivationLayerOf<double>);
FASTMLP_REGISTER(SoftmaxOf<float>);
FASTMLP_REGISTER(SoftmaxOf<double>);

}  // namespace fastmlp
