#include "fastmlp/activation.hpp"

#include "fastmlp/parallel.hpp"

namespace fastmlp {

void Activation::apply(MatrixMap values, const Scalar* bias) const {
  // Nothing to do, and softmax's row maximum of an empty row would read past the data.
  if ((is_linear() && bias == nullptr) || values.size() == 0) return;
  parallel_for(values.rows(), values.cols(), [&](Index first, Index end) {
    MatrixMap block = row_block(values, first, end);
    if (bias != nullptr) block.rowwise() += Eigen::Map<const RowVector>(bias, values.cols());
    if (!is_linear()) apply_rows(block);
  });
}

void Activation::backward(ConstMatrixMap preactivation, ConstMatrixMap output, ConstMatrixMap grad_output,
                          MatrixMap grad_input) const {
  const bool with_z = needs_preactivation();
  parallel_for(output.rows(), output.cols(), [&](Index first, Index end) {
    backward_rows(with_z ? row_block(preactivation, first, end) : row_block(output, first, end),
                  row_block(output, first, end), row_block(grad_output, first, end),
                  row_block(grad_input, first, end));
  });
}

ActivationPtr make_activation(const std::string& name, const Config& config) {
  return Registry<Activation>::instance().create(name, config);
}

ActivationPtr linear_activation() {
  static const ActivationPtr linear = make_activation("linear");
  return linear;
}

}  // namespace fastmlp
