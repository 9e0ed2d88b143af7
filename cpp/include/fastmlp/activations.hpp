// Elementwise (and row-wise, for softmax) activation functions with their backward passes.
#pragma once

#include <limits>
#include <string>
#include <vector>

#include "fastmlp/types.hpp"

namespace fastmlp {

enum class ActivationKind {
  Linear, Sigmoid, Tanh, Relu, LeakyRelu, Elu, Selu, Softplus, Softsign, Softmax, Silu, Gelu, HardSigmoid, Exponential
};

class Activation {
 public:
  explicit Activation(ActivationKind kind = ActivationKind::Linear);
  // alpha: the negative slope of leaky_relu (Keras's default 0.2), the saturation of elu (1.0).
  Activation(ActivationKind kind, Scalar alpha);
  // Keras's relu(x, negative_slope, max_value, threshold): x above the threshold (clipped to
  // max_value), negative_slope * (x - threshold) below it.
  static Activation relu(Scalar negative_slope, Scalar max_value, Scalar threshold);
  // Keras's gelu(x, approximate): x Φ(x) exactly (erf), or its tanh approximation
  // 0.5 x (1 + tanh(sqrt(2/π) (x + 0.044715 x³))).
  static Activation gelu(bool approximate);

  // Throws std::invalid_argument listing the valid names when `name` is unknown.
  static Activation from_name(const std::string& name);
  static std::vector<std::string> names();
  static Scalar default_alpha_for(ActivationKind kind);

  ActivationKind kind() const { return kind_; }
  Scalar alpha() const { return alpha_; }
  Scalar max_value() const { return max_value_; }
  Scalar threshold() const { return threshold_; }
  bool approximate() const { return approximate_; }
  const std::string& name() const;

  // Whether backward() needs Z itself. Most activations have a derivative expressed through their
  // output A = f(Z), so a layer keeps only A; silu, gelu and the relu variants with a threshold,
  // a cap or a slope do not, and their layer keeps Z as well.
  bool needs_preactivation() const;

  // In place: `values` holds X W on entry and f(X W + b) on exit. Adding the bias (1, cols) in the
  // same pass as the activation reads the batch once instead of twice; bias may be null.
  void apply(MatrixMap values, const Scalar* bias = nullptr) const;

  // grad_input = grad_output ∘ f'(Z). `preactivation` is read only when needs_preactivation().
  void backward(ConstMatrixMap preactivation, ConstMatrixMap output, ConstMatrixMap grad_output,
                MatrixMap grad_input) const;

 private:
  void apply_rows(MatrixMap values, const Scalar* bias) const;
  void backward_rows(ConstMatrixMap preactivation, ConstMatrixMap output, ConstMatrixMap grad_output,
                     MatrixMap grad_input) const;

  ActivationKind kind_;
  Scalar alpha_;
  Scalar max_value_ = std::numeric_limits<Scalar>::infinity();
  Scalar threshold_ = 0;
  bool approximate_ = false;  // gelu only
};

}  // namespace fastmlp
