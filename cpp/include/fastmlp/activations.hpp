// Elementwise (and row-wise, for softmax) activation functions with their backward passes.
#pragma once

#include <string>
#include <vector>

#include "fastmlp/types.hpp"

namespace fastmlp {

enum class ActivationKind { Linear, Sigmoid, Tanh, Relu, LeakyRelu, Elu, Softplus, Softmax };

class Activation {
 public:
  // Keras's defaults: leaky_relu's negative_slope 0.2, elu's alpha 1.0.
  explicit Activation(ActivationKind kind = ActivationKind::Linear);
  // alpha: the negative slope of leaky_relu, the saturation of elu; ignored by the others.
  Activation(ActivationKind kind, Scalar alpha);

  // Throws std::invalid_argument listing the valid names when `name` is unknown.
  static Activation from_name(const std::string& name);
  static std::vector<std::string> names();
  static Scalar default_alpha_for(ActivationKind kind);

  ActivationKind kind() const { return kind_; }
  Scalar alpha() const { return alpha_; }
  const std::string& name() const;

  // In place: `values` holds X W on entry and f(X W + b) on exit. Adding the bias (1, cols) in the
  // same pass as the activation reads the batch once instead of twice; bias may be null.
  void apply(MatrixMap values, const Scalar* bias = nullptr) const;

  // grad_input = grad_output ∘ f'(Z), written with f' expressed through the output A = f(Z):
  // every activation here has that form, so a layer needs to keep only A for its backward pass.
  void backward(ConstMatrixMap output, ConstMatrixMap grad_output, MatrixMap grad_input) const;

 private:
  void apply_rows(MatrixMap values, const Scalar* bias) const;
  void backward_rows(ConstMatrixMap output, ConstMatrixMap grad_output, MatrixMap grad_input) const;

  ActivationKind kind_;
  Scalar alpha_;
};

}  // namespace fastmlp
