// Dense: A = f(X W + b), with W stored (inputs, units) as Keras stores it.
#pragma once

#include "fastmlp/activations.hpp"
#include "fastmlp/initializers.hpp"
#include "fastmlp/layer.hpp"
#include "fastmlp/regularizers.hpp"

namespace fastmlp {

struct DenseRegularizers {
  Regularizer kernel;
  Regularizer bias;
  Regularizer activity;  // on the layer's output A
};

class Dense : public Layer {
 public:
  explicit Dense(Index units, Activation activation = Activation(), bool use_bias = true,
                 Initializer kernel_initializer = Initializer::glorot_uniform(),
                 Initializer bias_initializer = Initializer::zeros(), DenseRegularizers regularizers = {});

  std::string type_name() const override { return "Dense"; }
  void build(Index input_dim, Rng& rng) override;
  bool built() const override { return inputs_ > 0; }
  Index input_dim() const override { return inputs_; }
  Index output_dim() const override { return units_; }
  void reserve_batch(Index max_batch) override;
  ConstMatrixMap forward(ConstMatrixMap input, bool training) override;
  ConstMatrixMap backward(ConstMatrixMap input, ConstMatrixMap grad, GradientAt at,
                          bool need_grad_input) override;
  void infer(ConstMatrixMap input, MatrixMap output) const override;
  const Activation* final_activation() const override { return &activation_; }
  std::vector<Parameter> parameters() override;
  double weight_penalty() const override;
  double activity_penalty(ConstMatrixMap output) const override { return regularizers_.activity.penalty(output); }
  bool has_activity_penalty() const override { return regularizers_.activity.active(); }

  const Activation& activation() const { return activation_; }
  bool use_bias() const { return use_bias_; }
  const DenseRegularizers& regularizers() const { return regularizers_; }
  // The weight penalties may change between steps (as a Keras layer's attributes may); the activity
  // penalty may not, because it decides which buffers reserve_batch() allocates.
  void set_kernel_regularizer(Regularizer regularizer) { regularizers_.kernel = regularizer; }
  void set_bias_regularizer(Regularizer regularizer) { regularizers_.bias = regularizer; }
  // Allocated once by build() and never reallocated, so views handed out stay valid.
  RowMatrix& kernel() { return kernel_; }
  RowMatrix& bias() { return bias_; }
  const RowMatrix& kernel_gradient() const { return kernel_grad_; }
  const RowMatrix& bias_gradient() const { return bias_grad_; }

 private:
  // output = f(input W + b), written in place.
  void affine_activate(ConstMatrixMap input, MatrixMap output, const Activation& activation) const;
  // dL/dZ from the gradient handed to backward(), adding the activity penalty's share.
  ConstMatrixMap preactivation_gradient(ConstMatrixMap grad, GradientAt at);

  Index units_;
  Index inputs_ = 0;
  Activation activation_;
  bool use_bias_;
  Initializer kernel_initializer_, bias_initializer_;
  DenseRegularizers regularizers_;

  RowMatrix kernel_;         // (inputs, units)
  RowMatrix bias_;           // (1, units); empty without use_bias
  RowMatrix kernel_grad_;    // (inputs, units)
  RowMatrix bias_grad_;      // (1, units)
  RowMatrix preact_;         // (max_batch, units)  Z = XW + b, kept only if the activation needs it
  RowMatrix output_;         // (max_batch, units)  A = f(Z)
  RowMatrix grad_preact_;    // (max_batch, units)  dZ
  RowMatrix activity_grad_;  // (max_batch, units)  dA plus the activity penalty's gradient, if any
  RowMatrix grad_input_;     // (max_batch, inputs) dX
};

}  // namespace fastmlp
