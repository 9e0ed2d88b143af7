// Keras's merge layers: called on a list of tensors, they combine them into one. Concatenate joins
// their features side by side; Add, Subtract, Multiply, Average, Maximum and Minimum combine tensors
// of one width element by element.
#pragma once

#include <vector>

#include "fastmlp/layer.hpp"

namespace fastmlp {

// What every merge layer shares: it is built for the widths of its inputs, has no parameters, and
// runs only through the list interface (Layer's *_inputs functions).
template <class Scalar>
class MergeLayerOf : public LayerOf<Scalar> {
 public:
  bool takes_list() const override { return true; }
  void build(Index input_dim, Rng& rng) override;  // refused: a merge layer is called on a list
  void build_inputs(const std::vector<Index>& input_dims, Rng& rng) override;
  bool built() const override { return !widths_.empty(); }
  // Its output's width depends on all its inputs' (output_width): throws std::invalid_argument.
  Index output_dim_for(Index input_dim) const override;
  std::vector<TensorShape> tensor_shapes(Index) const override { return {}; }  // no parameters
  Index input_dim() const override { return widths_.empty() ? 0 : widths_.front(); }
  Index output_dim() const override { return output_width_; }
  size_t input_count() const override { return widths_.size(); }
  Index input_dim_of(size_t input) const override { return widths_.at(input); }
  void reserve_batch(Index max_batch) override;
  ConstMatrixMapOf<Scalar> forward(ConstMatrixMapOf<Scalar> input, bool training) override;
  ConstMatrixMapOf<Scalar> backward(ConstMatrixMapOf<Scalar> input, ConstMatrixMapOf<Scalar> grad, GradientAt at, bool need_grad_input) override;
  void infer(ConstMatrixMapOf<Scalar> input, MatrixMapOf<Scalar> output) const override;
  ConstMatrixMapOf<Scalar> forward_inputs(const LayerInputsOf<Scalar>& inputs, bool training) override;
  std::vector<ParameterOf<Scalar>> parameters() override { return {}; }

 protected:
  // Checks the widths (throwing std::invalid_argument) and returns the output's width.
  virtual Index output_width(const std::vector<Index>& widths) const;
  // How many per-input gradient buffers backward needs (0 when it hands `grad` on unchanged).
  virtual size_t gradient_buffers() const { return widths_.size(); }

  std::vector<Index> widths_;
  Index output_width_ = 0;
  RowMatrixOf<Scalar> output_;                      // (max_batch, output width)
  std::vector<RowMatrixOf<Scalar>> grad_buffers_;   // gradient_buffers() of (max_batch, input width)
};

using MergeLayer = MergeLayerOf<float>;

struct ConcatenateOptions {
  std::int64_t axis = -1;

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("axis", self.axis);
  }
};

// The inputs' features side by side: (n, a) and (n, b) give (n, a + b).
template <class Scalar>
class ConcatenateOf : public Described<ConcatenateOf<Scalar>, MergeLayerOf<Scalar>, ConcatenateOptions> {
  using DescribedBase = Described<ConcatenateOf<Scalar>, MergeLayerOf<Scalar>, ConcatenateOptions>;
  using MergeLayerOf<Scalar>::widths_;
  using MergeLayerOf<Scalar>::grad_buffers_;

 public:
  using Options = ConcatenateOptions;
  static constexpr const char* kClassName = "Concatenate";
  explicit ConcatenateOf(const Options& options = {});
  void backward_inputs(const LayerInputsOf<Scalar>& inputs, ConstMatrixMapOf<Scalar> grad, GradientAt at, const std::vector<bool>& need_grad,
                       const Scalar** grad_inputs) override;
  void infer_inputs(const LayerInputsOf<Scalar>& inputs, MatrixMapOf<Scalar> output) const override;

 protected:
  Index output_width(const std::vector<Index>& widths) const override;
};

using Concatenate = ConcatenateOf<float>;

// The element-wise merges: every input has the output's width.
template <class Scalar, class Derived>
class ElementwiseMergeOf : public Described<Derived, MergeLayerOf<Scalar>, NoOptions> {
  using DescribedBase = Described<Derived, MergeLayerOf<Scalar>, NoOptions>;

 public:
  using Options = NoOptions;
  void infer_inputs(const LayerInputsOf<Scalar>& inputs, MatrixMapOf<Scalar> output) const override { Derived::combine(inputs, output); }

 protected:
  explicit ElementwiseMergeOf(const NoOptions& options) : DescribedBase(options) {}
  Index output_width(const std::vector<Index>& widths) const override;
};

template <class Derived>
using ElementwiseMerge = ElementwiseMergeOf<float, Derived>;

template <class Scalar>
class AddOf : public ElementwiseMergeOf<Scalar, AddOf<Scalar>> {
  using MergeBase = ElementwiseMergeOf<Scalar, AddOf<Scalar>>;
  using MergeLayerOf<Scalar>::grad_buffers_;

 public:
  using Options = NoOptions;
  static constexpr const char* kClassName = "Add";
  explicit AddOf(const Options& options = {}) : MergeBase(options) {}
  static void combine(const LayerInputsOf<Scalar>& inputs, MatrixMapOf<Scalar> output);
  void backward_inputs(const LayerInputsOf<Scalar>& inputs, ConstMatrixMapOf<Scalar> grad, GradientAt at, const std::vector<bool>& need_grad,
                       const Scalar** grad_inputs) override;

 protected:
  size_t gradient_buffers() const override { return 0; }
};

using Add = AddOf<float>;

template <class Scalar>
class SubtractOf : public ElementwiseMergeOf<Scalar, SubtractOf<Scalar>> {
  using MergeBase = ElementwiseMergeOf<Scalar, SubtractOf<Scalar>>;
  using MergeLayerOf<Scalar>::grad_buffers_;

 public:
  using Options = NoOptions;
  static constexpr const char* kClassName = "Subtract";
  explicit SubtractOf(const Options& options = {}) : MergeBase(options) {}
  static void combine(const LayerInputsOf<Scalar>& inputs, MatrixMapOf<Scalar> output);
  void backward_inputs(const LayerInputsOf<Scalar>& inputs, ConstMatrixMapOf<Scalar> grad, GradientAt at, const std::vector<bool>& need_grad,
                       const Scalar** grad_inputs) override;

 protected:
  size_t gradient_buffers() const override { return 1; }
  Index output_width(const std::vector<Index>& widths) const override;
};

using Subtract = SubtractOf<float>;

template <class Scalar>
class MultiplyOf : public ElementwiseMergeOf<Scalar, MultiplyOf<Scalar>> {
  using MergeBase = ElementwiseMergeOf<Scalar, MultiplyOf<Scalar>>;
  using MergeLayerOf<Scalar>::grad_buffers_;

 public:
  using Options = NoOptions;
  static constexpr const char* kClassName = "Multiply";
  explicit MultiplyOf(const Options& options = {}) : MergeBase(options) {}
  static void combine(const LayerInputsOf<Scalar>& inputs, MatrixMapOf<Scalar> output);
  void backward_inputs(const LayerInputsOf<Scalar>& inputs, ConstMatrixMapOf<Scalar> grad, GradientAt at, const std::vector<bool>& need_grad,
                       const Scalar** grad_inputs) override;
};

using Multiply = MultiplyOf<float>;

template <class Scalar>
class AverageOf : public ElementwiseMergeOf<Scalar, AverageOf<Scalar>> {
  using MergeBase = ElementwiseMergeOf<Scalar, AverageOf<Scalar>>;
  using MergeLayerOf<Scalar>::grad_buffers_;

 public:
  using Options = NoOptions;
  static constexpr const char* kClassName = "Average";
  explicit AverageOf(const Options& options = {}) : MergeBase(options) {}
  static void combine(const LayerInputsOf<Scalar>& inputs, MatrixMapOf<Scalar> output);
  void backward_inputs(const LayerInputsOf<Scalar>& inputs, ConstMatrixMapOf<Scalar> grad, GradientAt at, const std::vector<bool>& need_grad,
                       const Scalar** grad_inputs) override;

 protected:
  size_t gradient_buffers() const override { return 1; }
};

using Average = AverageOf<float>;

// Maximum and Minimum: the gradient goes to the input that was chosen, the first one on a tie.
template <class Scalar>
class MaximumOf : public ElementwiseMergeOf<Scalar, MaximumOf<Scalar>> {
  using MergeBase = ElementwiseMergeOf<Scalar, MaximumOf<Scalar>>;
  using MergeLayerOf<Scalar>::grad_buffers_;

 public:
  using Options = NoOptions;
  static constexpr const char* kClassName = "Maximum";
  explicit MaximumOf(const Options& options = {}) : MergeBase(options) {}
  static void combine(const LayerInputsOf<Scalar>& inputs, MatrixMapOf<Scalar> output);
  void backward_inputs(const LayerInputsOf<Scalar>& inputs, ConstMatrixMapOf<Scalar> grad, GradientAt at, const std::vector<bool>& need_grad,
                       const Scalar** grad_inputs) override;
};

using Maximum = MaximumOf<float>;

template <class Scalar>
class MinimumOf : public ElementwiseMergeOf<Scalar, MinimumOf<Scalar>> {
  using MergeBase = ElementwiseMergeOf<Scalar, MinimumOf<Scalar>>;
  using MergeLayerOf<Scalar>::grad_buffers_;

 public:
  using Options = NoOptions;
  static constexpr const char* kClassName = "Minimum";
  explicit MinimumOf(const Options& options = {}) : MergeBase(options) {}
  static void combine(const LayerInputsOf<Scalar>& inputs, MatrixMapOf<Scalar> output);
  void backward_inputs(const LayerInputsOf<Scalar>& inputs, ConstMatrixMapOf<Scalar> grad, GradientAt at, const std::vector<bool>& need_grad,
                       const Scalar** grad_inputs) override;
};

using Minimum = MinimumOf<float>;

}  // namespace fastmlp
