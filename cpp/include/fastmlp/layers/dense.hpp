// Dense: A = f(X W + b), with W stored (inputs, units) as Keras stores it. A has `units` columns,
// or fewer for an activation that changes the width (glu: units / 2), as in Keras.
#pragma once

#include "fastmlp/activation.hpp"
#include "fastmlp/constraint.hpp"
#include "fastmlp/initializer.hpp"
#include "fastmlp/layer.hpp"
#include "fastmlp/regularizer.hpp"

namespace fastmlp {

struct DenseOptions {
  std::int64_t units = 0;
  ActivationPtr activation = linear_activation();
  bool use_bias = true;
  InitializerPtr kernel_initializer = make_initializer("GlorotUniform");
  InitializerPtr bias_initializer = make_initializer("Zeros");
  RegularizerPtr kernel_regularizer;    // none: no penalty
  RegularizerPtr bias_regularizer;
  RegularizerPtr activity_regularizer;  // on the layer's output A
  ConstraintPtr kernel_constraint;      // none: the optimizer's update stands
  ConstraintPtr bias_constraint;

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("units", self.units, options::required);
    visit("activation", self.activation);
    visit("use_bias", self.use_bias);
    visit("kernel_initializer", self.kernel_initializer);
    visit("bias_initializer", self.bias_initializer);
    visit("kernel_regularizer", self.kernel_regularizer);
    visit("bias_regularizer", self.bias_regularizer);
    visit("activity_regularizer", self.activity_regularizer);
    visit("kernel_constraint", self.kernel_constraint);
    visit("bias_constraint", self.bias_constraint);
  }
};

template <class Scalar>
class DenseOf : public Described<DenseOf<Scalar>, LayerOf<Scalar>, DenseOptions> {
  using DescribedBase = Described<DenseOf<Scalar>, LayerOf<Scalar>, DenseOptions>;
  using DescribedBase::options_;

 public:
  using Options = DenseOptions;
  static constexpr const char* kClassName = "Dense";

  explicit DenseOf(const Options& options);
  // The common case in C++: Dense(16, make_activation("relu")).
  explicit DenseOf(Index units, ActivationPtr activation = linear_activation());

  void build(Index input_dim, Rng& rng) override;
  Index output_dim_for(Index) const override { return outputs_; }
  std::vector<TensorShape> tensor_shapes(Index input_dim) const override;
  bool built() const override { return inputs_ > 0; }
  Index input_dim() const override { return inputs_; }
  Index output_dim() const override { return outputs_; }
  void reserve_batch(Index max_batch) override;
  ConstMatrixMapOf<Scalar> forward(ConstMatrixMapOf<Scalar> input, bool training) override;
  ConstMatrixMapOf<Scalar> backward(ConstMatrixMapOf<Scalar> input, ConstMatrixMapOf<Scalar> grad, GradientAt at,
                          bool need_grad_input) override;
  void infer(ConstMatrixMapOf<Scalar> input, MatrixMapOf<Scalar> output) const override;
  // A sparse batch X (n, inputs): Z = X W over its stored entries; dW = Xᵀ dZ likewise; no dX.
  bool takes_sparse() const override { return true; }
  ConstMatrixMapOf<Scalar> forward_sparse(const CsrRowsOf<Scalar>& input, bool training) override;
  void backward_sparse(const CsrRowsOf<Scalar>& input, ConstMatrixMapOf<Scalar> grad, GradientAt at) override;
  void infer_sparse(const CsrRowsOf<Scalar>& input, MatrixMapOf<Scalar> output) const override;
  const Activation* final_activation() const override { return options_.activation.get(); }
  std::vector<ParameterOf<Scalar>> parameters() override;
  double weight_penalty() const override;
  // Keras 3.15 divides the penalty of the output by the batch size.
  double activity_penalty(ConstMatrixMapOf<Scalar> output) const override {
    return output.rows() > 0 ? penalty_of(options_.activity_regularizer, output) / static_cast<double>(output.rows())
                             : 0.0;
  }
  bool has_activity_penalty() const override { return options_.activity_regularizer != nullptr; }

  // The weight penalties may change between steps (as a Keras layer's attributes may); the activity
  // penalty may not, because it decides which buffers reserve_batch() allocates.
  void set_kernel_regularizer(RegularizerPtr regularizer) { options_.kernel_regularizer = std::move(regularizer); }
  void set_bias_regularizer(RegularizerPtr regularizer) { options_.bias_regularizer = std::move(regularizer); }
  // Allocated once by build() and never reallocated, so views handed out stay valid.
  RowMatrixOf<Scalar>& kernel() { return kernel_; }
  RowMatrixOf<Scalar>& bias() { return bias_; }

 private:
  const Activation& activation() const { return *options_.activation; }
  // output = f(input W + b), written in place; the input dense or sparse.
  void affine_activate(ConstMatrixMapOf<Scalar> input, MatrixMapOf<Scalar> output, const Activation& activation) const;
  void affine_activate(const CsrRowsOf<Scalar>& input, MatrixMapOf<Scalar> output, const Activation& activation) const;
  // The training pass's output (n, units), given how to write input W + b into a buffer.
  template <class Affine>
  ConstMatrixMapOf<Scalar> forward_with(Index rows, const Affine& affine);
  // output = f(X W + b) for inference, through a thread's own Z when f changes the width.
  template <class Affine>
  void infer_with(Index rows, MatrixMapOf<Scalar> output, const Affine& affine) const;
  // The bias and regularizer gradients, after dW is written (dense and sparse backward share them).
  void finish_gradients(ConstMatrixMapOf<Scalar> grad_z);
  // dL/dZ from the gradient handed to backward(), adding the activity penalty's share.
  ConstMatrixMapOf<Scalar> preactivation_gradient(ConstMatrixMapOf<Scalar> grad, GradientAt at);

  Index units_;
  Index outputs_;  // the activation's output width for `units_` features
  Index inputs_ = 0;

  RowMatrixOf<Scalar> kernel_;         // (inputs, units)
  RowMatrixOf<Scalar> bias_;           // (1, units); empty without use_bias
  RowMatrixOf<Scalar> kernel_grad_;    // (inputs, units)
  RowMatrixOf<Scalar> bias_grad_;      // (1, units)
  RowMatrixOf<Scalar> preact_;         // (max_batch, units)    Z = XW + b, kept only if the activation needs it
  RowMatrixOf<Scalar> output_;         // (max_batch, outputs)  A = f(Z)
  RowMatrixOf<Scalar> grad_preact_;    // (max_batch, units)    dZ
  RowMatrixOf<Scalar> activity_grad_;  // (max_batch, outputs)  dA plus the activity penalty's gradient, if any
  RowMatrixOf<Scalar> grad_input_;     // (max_batch, inputs) dX
};

using Dense = DenseOf<float>;

}  // namespace fastmlp
