#include "fastmlp/activation.hpp"

#include <stdexcept>
#include <string>

#include "fastmlp/parallel.hpp"

namespace fastmlp {

Index Activation::output_width(Index width) const {
  const Index per_output = inputs_per_output();
  if (width % per_output != 0)
    throw std::invalid_argument(class_name() + " splits each row into " + std::to_string(per_output) +
                                " equal parts, so its input width must be a multiple of " +
                                std::to_string(per_output) + "; got " + std::to_string(width));
  return width / per_output;
}

template <class Scalar>
void Activation::apply(MatrixMapOf<Scalar> values, const Scalar* bias) const {
  if (!keeps_width())
    throw std::logic_error(class_name() + " changes the width, so it cannot be applied in place");
  // Nothing to do, and softmax's row maximum of an empty row would read past the data.
  if ((is_linear() && bias == nullptr) || values.size() == 0) return;
  parallel_for(values.rows(), values.cols(), [&](Index first, Index end) {
    MatrixMapOf<Scalar> block = row_block(values, first, end);
    if (bias != nullptr) block.rowwise() += Eigen::Map<const RowVectorOf<Scalar>>(bias, values.cols());
    if (!is_linear()) apply_rows(block);
  });
}

template <class Scalar>
void Activation::apply(ConstMatrixMapOf<Scalar> input, MatrixMapOf<Scalar> output) const {
  if (output.rows() != input.rows() || output.cols() != output_width(input.cols()))
    throw std::invalid_argument(class_name() + ": an input of " + std::to_string(input.cols()) +
                                " features needs an output of " + std::to_string(output_width(input.cols())) +
                                ", got " + std::to_string(output.cols()));
  if (input.size() == 0) return;
  parallel_for(input.rows(), input.cols(), [&](Index first, Index end) {
    apply_rows_into(row_block(input, first, end), row_block(output, first, end));
  });
}

template <class Scalar>
void Activation::backward(ConstMatrixMapOf<Scalar> preactivation, ConstMatrixMapOf<Scalar> output,
                          ConstMatrixMapOf<Scalar> grad_output, MatrixMapOf<Scalar> grad_input) const {
  const bool with_z = needs_preactivation();
  // Sized by Z's width: it is the wider of the two for an activation that changes the width.
  parallel_for(grad_input.rows(), grad_input.cols(), [&](Index first, Index end) {
    backward_rows(with_z ? row_block(preactivation, first, end) : row_block(output, first, end),
                  row_block(output, first, end), row_block(grad_output, first, end),
                  row_block(grad_input, first, end));
  });
}

#define FASTMLP_INSTANTIATE(Scalar)                                                                          \
  template void Activation::apply(MatrixMapOf<Scalar>, const Scalar*) const;                               \
  template void Activation::apply(ConstMatrixMapOf<Scalar>, MatrixMapOf<Scalar>) const;                     \
  template void Activation::backward(ConstMatrixMapOf<Scalar>, ConstMatrixMapOf<Scalar>, ConstMatrixMapOf<Scalar>, \
                                     MatrixMapOf<Scalar>) const;
FASTMLP_INSTANTIATE(float)
FASTMLP_INSTANTIATE(double)
#undef FASTMLP_INSTANTIATE

ActivationPtr make_activation(const std::string& name, const Config& config) {
  return Registry<Activation>::instance().create(name, config);
}

ActivationPtr linear_activation() {
  static const ActivationPtr linear = make_activation("linear");
  return linear;
}

}  // namespace fastmlp
