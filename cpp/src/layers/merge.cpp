#include "fastmlp/layers/merge.hpp"

#include <functional>
#include <stdexcept>
#include <string>

namespace fastmlp {
namespace {

std::string widths_text(const std::vector<Index>& widths) {
  std::string text;
  for (const Index w : widths) text += (text.empty() ? "" : ", ") + std::to_string(w);
  return "(" + text + ")";
}

template <class Scalar>
ConstMatrixMapOf<Scalar> input_of(const LayerInputsOf<Scalar>& inputs, size_t i, Index cols) {
  return ConstMatrixMapOf<Scalar>(inputs.data[i], inputs.rows, cols);
}

}  // namespace

// ---- MergeLayer -------------------------------------------------------------------------------------
template <class Scalar>
void MergeLayerOf<Scalar>::build(Index, Rng&) {
  throw std::invalid_argument("a " + this->class_name() + " layer is called on a list of tensors, such as " + this->class_name() +
                              "()([a, b]); it cannot follow a single layer in a Sequential model");
}

template <class Scalar>
Index MergeLayerOf<Scalar>::output_dim_for(Index) const {
  throw std::invalid_argument("a " + this->class_name() + " layer is called on a list of tensors; its output width depends "
                              "on all of their widths");
}

template <class Scalar>
void MergeLayerOf<Scalar>::build_inputs(const std::vector<Index>& input_dims, Rng&) {
  if (input_dims.empty()) throw std::invalid_argument(this->class_name() + " needs at least one input");
  for (const Index w : input_dims)
    if (w <= 0) throw std::invalid_argument(this->class_name() + " inputs must have at least one feature");
  output_width_ = output_width(input_dims);
  widths_ = input_dims;
}

template <class Scalar>
Index MergeLayerOf<Scalar>::output_width(const std::vector<Index>& widths) const {
  for (const Index w : widths)
    if (w != widths.front())
      throw std::invalid_argument(this->class_name() + " combines inputs of one width element by element, got widths " +
                                  widths_text(widths) + "; use Concatenate to join features of different widths");
  return widths.front();
}

template <class Scalar>
void MergeLayerOf<Scalar>::reserve_batch(Index max_batch) {
  if (output_.rows() == max_batch) return;
  output_.resize(max_batch, output_width_);
  grad_buffers_.resize(gradient_buffers());
  for (size_t i = 0; i < grad_buffers_.size(); ++i) grad_buffers_[i].resize(max_batch, widths_[i]);
}

template <class Scalar>
ConstMatrixMapOf<Scalar> MergeLayerOf<Scalar>::forward(ConstMatrixMapOf<Scalar>, bool) {
  throw std::logic_error(this->class_name() + " runs through forward_inputs");
}

template <class Scalar>
ConstMatrixMapOf<Scalar> MergeLayerOf<Scalar>::backward(ConstMatrixMapOf<Scalar>, ConstMatrixMapOf<Scalar>, GradientAt, bool) {
  throw std::logic_error(this->class_name() + " runs through backward_inputs");
}

template <class Scalar>
void MergeLayerOf<Scalar>::infer(ConstMatrixMapOf<Scalar>, MatrixMapOf<Scalar>) const {
  throw std::logic_error(this->class_name() + " runs through infer_inputs");
}

template <class Scalar>
ConstMatrixMapOf<Scalar> MergeLayerOf<Scalar>::forward_inputs(const LayerInputsOf<Scalar>& inputs, bool) {
  if (inputs.count != widths_.size() || inputs.data == nullptr)
    throw std::logic_error(this->class_name() + " was built for " + std::to_string(widths_.size()) + " inputs");
  if (inputs.rows > output_.rows())
    throw std::logic_error(this->class_name() + "::forward: batch exceeds the reserved rows");
  MatrixMapOf<Scalar> output = top_rows(output_, inputs.rows);
  this->infer_inputs(inputs, output);
  return as_const_map(output);
}

// ---- Concatenate ------------------------------------------------------------------------------------
template <class Scalar>
ConcatenateOf<Scalar>::ConcatenateOf(const Options& options) : DescribedBase(options) {
  // A batch of samples is 2-D: features are axis 1, which is also axis -1.
  if (options.axis != -1 && options.axis != 1)
    throw std::invalid_argument("Concatenate axis must be -1 or 1 (the features of 2-D samples), got " +
                                std::to_string(options.axis));
}

template <class Scalar>
Index ConcatenateOf<Scalar>::output_width(const std::vector<Index>& widths) const {
  Index total = 0;
  for (const Index w : widths) total += w;
  return total;
}

template <class Scalar>
void ConcatenateOf<Scalar>::infer_inputs(const LayerInputsOf<Scalar>& inputs, MatrixMapOf<Scalar> output) const {
  Index column = 0;
  for (size_t i = 0; i < inputs.count; ++i) {
    output.middleCols(column, widths_[i]) = input_of(inputs, i, widths_[i]);
    column += widths_[i];
  }
}

template <class Scalar>
void ConcatenateOf<Scalar>::backward_inputs(const LayerInputsOf<Scalar>& inputs, ConstMatrixMapOf<Scalar> grad, GradientAt, const std::vector<bool>& need_grad,
                                  const Scalar** grad_inputs) {
  Index column = 0;
  for (size_t i = 0; i < inputs.count; ++i) {
    if (need_grad[i]) {
      MatrixMapOf<Scalar> g = top_rows(grad_buffers_[i], inputs.rows);
      g = grad.middleCols(column, widths_[i]);  // dX_i = the columns of dY that X_i filled
      grad_inputs[i] = g.data();
    }
    column += widths_[i];
  }
}

// ---- element-wise merges ----------------------------------------------------------------------------
template <class Scalar, class Derived>
Index ElementwiseMergeOf<Scalar, Derived>::output_width(const std::vector<Index>& widths) const {
  return MergeLayerOf<Scalar>::output_width(widths);
}

template <class Scalar>
void AddOf<Scalar>::combine(const LayerInputsOf<Scalar>& inputs, MatrixMapOf<Scalar> output) {
  const Index cols = output.cols();
  output = input_of(inputs, 0, cols);
  for (size_t i = 1; i < inputs.count; ++i) output += input_of(inputs, i, cols);
}

template <class Scalar>
void AddOf<Scalar>::backward_inputs(const LayerInputsOf<Scalar>& inputs, ConstMatrixMapOf<Scalar> grad, GradientAt, const std::vector<bool>&,
                          const Scalar** grad_inputs) {
  for (size_t i = 0; i < inputs.count; ++i) grad_inputs[i] = grad.data();  // dX_i = dY
}

template <class Scalar>
Index SubtractOf<Scalar>::output_width(const std::vector<Index>& widths) const {
  if (widths.size() != 2)
    throw std::invalid_argument("Subtract takes exactly 2 inputs, got " + std::to_string(widths.size()));
  return MergeLayerOf<Scalar>::output_width(widths);
}

template <class Scalar>
void SubtractOf<Scalar>::combine(const LayerInputsOf<Scalar>& inputs, MatrixMapOf<Scalar> output) {
  output = input_of(inputs, 0, output.cols()) - input_of(inputs, 1, output.cols());
}

template <class Scalar>
void SubtractOf<Scalar>::backward_inputs(const LayerInputsOf<Scalar>& inputs, ConstMatrixMapOf<Scalar> grad, GradientAt, const std::vector<bool>& need_grad,
                               const Scalar** grad_inputs) {
  grad_inputs[0] = grad.data();  // d(a - b)/da = 1
  if (need_grad[1]) {
    MatrixMapOf<Scalar> negated = top_rows(grad_buffers_[0], inputs.rows);
    negated = -grad;  // d(a - b)/db = -1
    grad_inputs[1] = negated.data();
  }
}

template <class Scalar>
void MultiplyOf<Scalar>::combine(const LayerInputsOf<Scalar>& inputs, MatrixMapOf<Scalar> output) {
  const Index cols = output.cols();
  output = input_of(inputs, 0, cols);
  for (size_t i = 1; i < inputs.count; ++i) output.array() *= input_of(inputs, i, cols).array();
}

template <class Scalar>
void MultiplyOf<Scalar>::backward_inputs(const LayerInputsOf<Scalar>& inputs, ConstMatrixMapOf<Scalar> grad, GradientAt, const std::vector<bool>& need_grad,
                               const Scalar** grad_inputs) {
  const Index cols = grad.cols();
  for (size_t i = 0; i < inputs.count; ++i) {
    if (!need_grad[i]) continue;
    MatrixMapOf<Scalar> g = top_rows(grad_buffers_[i], inputs.rows);
    g = grad;  // dX_i = dY ∘ Π_{j≠i} X_j (the product of the others, not Y / X_i, which fails at 0)
    for (size_t j = 0; j < inputs.count; ++j)
      if (j != i) g.array() *= input_of(inputs, j, cols).array();
    grad_inputs[i] = g.data();
  }
}

template <class Scalar>
void AverageOf<Scalar>::combine(const LayerInputsOf<Scalar>& inputs, MatrixMapOf<Scalar> output) {
  AddOf<Scalar>::combine(inputs, output);
  output /= static_cast<Scalar>(inputs.count);
}

template <class Scalar>
void AverageOf<Scalar>::backward_inputs(const LayerInputsOf<Scalar>& inputs, ConstMatrixMapOf<Scalar> grad, GradientAt, const std::vector<bool>&,
                              const Scalar** grad_inputs) {
  MatrixMapOf<Scalar> shared = top_rows(grad_buffers_[0], inputs.rows);
  shared = grad / static_cast<Scalar>(inputs.count);  // dX_i = dY / count
  for (size_t i = 0; i < inputs.count; ++i) grad_inputs[i] = shared.data();
}

namespace {

// Maximum (Better = std::greater) or Minimum (std::less): the value of the first input that wins each
// element, and, backward, dY routed to that input alone.
template <class Better, class Scalar>
void choose(const LayerInputsOf<Scalar>& inputs, MatrixMapOf<Scalar> output) {
  const Index cols = output.cols();
  output = input_of(inputs, 0, cols);
  for (size_t i = 1; i < inputs.count; ++i) {
    const ConstMatrixMapOf<Scalar> x = input_of(inputs, i, cols);
    for (Index k = 0; k < output.size(); ++k)
      if (Better()(x.data()[k], output.data()[k])) output.data()[k] = x.data()[k];
  }
}

template <class Better, class Scalar>
void route(const LayerInputsOf<Scalar>& inputs, ConstMatrixMapOf<Scalar> grad, const std::vector<bool>& need_grad, std::vector<RowMatrixOf<Scalar>>& buffers,
           const Scalar** grad_inputs) {
  const Index cols = grad.cols(), size = inputs.rows * cols;
  for (size_t i = 0; i < inputs.count; ++i)
    if (need_grad[i]) top_rows(buffers[i], inputs.rows).setZero();
  for (Index k = 0; k < size; ++k) {
    size_t winner = 0;
    for (size_t i = 1; i < inputs.count; ++i)
      if (Better()(inputs.data[i][k], inputs.data[winner][k])) winner = i;
    if (need_grad[winner]) buffers[winner].data()[k] = grad.data()[k];
  }
  for (size_t i = 0; i < inputs.count; ++i)
    if (need_grad[i]) grad_inputs[i] = buffers[i].data();
}

}  // namespace

template <class Scalar>
void MaximumOf<Scalar>::combine(const LayerInputsOf<Scalar>& inputs, MatrixMapOf<Scalar> output) { choose<std::greater<Scalar>>(inputs, output); }
template <class Scalar>
void MaximumOf<Scalar>::backward_inputs(const LayerInputsOf<Scalar>& inputs, ConstMatrixMapOf<Scalar> grad, GradientAt, const std::vector<bool>& need_grad,
                              const Scalar** grad_inputs) {
  route<std::greater<Scalar>>(inputs, grad, need_grad, grad_buffers_, grad_inputs);
}

template <class Scalar>
void MinimumOf<Scalar>::combine(const LayerInputsOf<Scalar>& inputs, MatrixMapOf<Scalar> output) { choose<std::less<Scalar>>(inputs, output); }
template <class Scalar>
void MinimumOf<Scalar>::backward_inputs(const LayerInputsOf<Scalar>& inputs, ConstMatrixMapOf<Scalar> grad, GradientAt, const std::vector<bool>& need_grad,
                              const Scalar** grad_inputs) {
  route<std::less<Scalar>>(inputs, grad, need_grad, grad_buffers_, grad_inputs);
}

template class MergeLayerOf<float>;
template class MergeLayerOf<double>;
template class ConcatenateOf<float>;
template class ConcatenateOf<double>;
template class AddOf<float>;
template class AddOf<double>;
template class SubtractOf<float>;
template class SubtractOf<double>;
template class MultiplyOf<float>;
template class MultiplyOf<double>;
template class AverageOf<float>;
template class AverageOf<double>;
template class MaximumOf<float>;
template class MaximumOf<double>;
template class MinimumOf<float>;
template class MinimumOf<double>;

FASTMLP_REGISTER(ConcatenateOf<float>);
FASTMLP_REGISTER(ConcatenateOf<double>);
FASTMLP_REGISTER(AddOf<float>);
FASTMLP_REGISTER(AddOf<double>);
FASTMLP_REGISTER(SubtractOf<float>);
FASTMLP_REGISTER(SubtractOf<double>);
FASTMLP_REGISTER(MultiplyOf<float>);
FASTMLP_REGISTER(MultiplyOf<double>);
FASTMLP_REGISTER(AverageOf<float>);
FASTMLP_REGISTER(AverageOf<double>);
FASTMLP_REGISTER(MaximumOf<float>);
FASTMLP_REGISTER(MaximumOf<double>);
FASTMLP_REGISTER(MinimumOf<float>);
FASTMLP_REGISTER(MinimumOf<double>);

}  // namespace fastmlp
