// Activation functions: f applied elementwise (or row-wise, for softmax), with its derivative.
//
// Each activation is a class in its own file under cpp/src/activations/, registered by name ("relu",
// Keras's names) with its parameters as options; layers hold them as ActivationPtr and never need to
// know which one they have.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "fastmlp/registry.hpp"
#include "fastmlp/types.hpp"

namespace fastmlp {

class Activation : public Configurable {
 public:
  using Base = Activation;
  static constexpr const char* kKind = "activation";
  static constexpr bool kNameWhenDefault = true;  // Keras writes "activation": "relu"

  // Whether backward() needs Z itself. Most activations have a derivative expressed through their
  // output A = f(Z), so a layer keeps only A; those that do not (silu, gelu, mish, relu with a
  // threshold, a cap or a slope) make their layer keep Z as well.
  virtual bool needs_preactivation() const { return false; }
  // The identity: layers skip it.
  virtual bool is_linear() const { return false; }

  // In place: `values` holds X W on entry and f(X W + b) on exit. Adding the bias (1, cols) in the
  // same pass as the activation reads the batch once instead of twice; bias may be null.
  void apply(MatrixMap values, const Scalar* bias = nullptr) const;

  // grad_input = grad_output ∘ f'(Z). `preactivation` is read only when needs_preactivation().
  void backward(ConstMatrixMap preactivation, ConstMatrixMap output, ConstMatrixMap grad_output,
                MatrixMap grad_input) const;

 protected:
  // f on a block of rows, in place.
  virtual void apply_rows(MatrixMap values) const = 0;
  // dZ = dA ∘ f'(Z) on a block of rows; `input` is Z when needs_preactivation(), else A.
  virtual void backward_rows(ConstMatrixMap input, ConstMatrixMap output, ConstMatrixMap grad_output,
                             MatrixMap grad_input) const = 0;
};

using ActivationPtr = std::shared_ptr<const Activation>;

// An activation by name ("relu", "swish", ...) with parameters from `config` (Keras's names:
// {"max_value": 6}); throws ConfigError listing the valid names or naming a bad parameter.
ActivationPtr make_activation(const std::string& name, const Config& config = {});
// The identity, shared: what a layer without an activation holds.
ActivationPtr linear_activation();

}  // namespace fastmlp
