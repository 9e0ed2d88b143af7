// Dense: A = f(X W + b), with W stored (inputs, units) as Keras stores it.
#pragma once

#include "fastmlp/activations.hpp"
#include "fastmlp/initializers.hpp"
#include "fastmlp/layer.hpp"

namespace fastmlp {

class Dense : public Layer {
 public:
  explicit Dense(Index units, Activation activation = Activation(), bool use_bias = true,
                 Initializer kernel_initializer = Initializer::glorot_uniform(),
                 Initializer bias_initializer = Initializer::zeros());

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

  const Activation& activation() const { return activation_; }
  bool use_bias() const { return use_bias_; }
  // Allocated once by build() and never reallocated, so views handed out stay valid.
  RowMatrix& kernel() { return kernel_; }
  RowMatrix& bias() { return bias_; }
  const RowMatrix& kernel_gradient() const { return kernel_grad_; }
  const RowMatrix& bias_gradient() const { return bias_grad_; }

 private:
  // output = f(input W + b), written in place.
  void affine_activate(ConstMatrixMap input, MatrixMap output) const;

  Index units_;
  Index inputs_ = 0;
  Activation activation_;
  bool use_bias_;
  Initializer kernel_initializer_, bias_initializer_;

  RowMatrix kernel_;       // (inputs, units)
  RowMatrix bias_;         // (1, units); empty without use_bias
  RowMatrix kernel_grad_;  // (inputs, units)
  RowMatrix bias_grad_;    // (1, units)
  RowMatrix output_;       // (max_batch, units)  A = f(Z), all that backward needs
  RowMatrix grad_preact_;  // (max_batch, units)  dZ
  RowMatrix grad_input_;   // (max_batch, inputs) dX
};

}  // namespace fastmlp
