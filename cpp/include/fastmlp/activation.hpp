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

  // How many input features make one output feature: 1 for every activation that keeps the width,
  // 2 for glu, which gates one half of each row with the other. The one place an activation states
  // its width; layers size their outputs (and model files their checks) through output_width().
  virtual Index inputs_per_output() const { return 1; }
  bool keeps_width() const { return inputs_per_output() == 1; }
  // The output width for rows of `width` features; throws std::invalid_argument when `width` does
  // not split evenly (an odd width for glu).
  Index output_width(Index width) const;

  // In place, for activations that keep the width: `values` holds X W on entry and f(X W + b) on
  // exit. Adding the bias (1, cols) in the same pass as the activation reads the batch once instead
  // of twice; bias may be null.
  template <class Scalar>
  void apply(MatrixMapOf<Scalar> values, const Scalar* bias = nullptr) const;

  // Out of place: output (rows, output_width(cols)) = f(input). The way to apply an activation that
  // changes the width; for the others it is a copy followed by the in-place apply.
  template <class Scalar>
  void apply(ConstMatrixMapOf<Scalar> input, MatrixMapOf<Scalar> output) const;

  // grad_input (rows, input width) from grad_output (rows, output width): dZ = dA ∘ f'(Z) for the
  // elementwise ones, the row's Jacobian applied for the others. `preactivation` is read only when
  // needs_preactivation().
  template <class Scalar>
  void backward(ConstMatrixMapOf<Scalar> preactivation, ConstMatrixMapOf<Scalar> output,
                ConstMatrixMapOf<Scalar> grad_output, MatrixMapOf<Scalar> grad_input) const;

 protected:
  // A virtual function cannot be a template, so each row function is declared once per scalar
  // type; an activation writes it once, as a template, and ActivationImpl forwards both to it.
  //
  // f on a block of rows, in place (activations that keep the width).
  virtual void apply_rows(MatrixMapOf<float> values) const = 0;
  virtual void apply_rows(MatrixMapOf<double> values) const = 0;
  // f on a block of rows, out of place; by default a copy and the in-place version. An activation
  // that changes the width overrides it.
  virtual void apply_rows_into(ConstMatrixMapOf<float> input, MatrixMapOf<float> output) const {
    output = input;
    apply_rows(output);
  }
  virtual void apply_rows_into(ConstMatrixMapOf<double> input, MatrixMapOf<double> output) const {
    output = input;
    apply_rows(output);
  }
  // dZ = dA ∘ f'(Z) on a block of rows; `input` is Z when needs_preactivation(), else A.
  virtual void backward_rows(ConstMatrixMapOf<float> input, ConstMatrixMapOf<float> output,
                             ConstMatrixMapOf<float> grad_output, MatrixMapOf<float> grad_input) const = 0;
  virtual void backward_rows(ConstMatrixMapOf<double> input, ConstMatrixMapOf<double> output,
                             ConstMatrixMapOf<double> grad_output, MatrixMapOf<double> grad_input) const = 0;
};

// What an activation derives from (through Described): it gives the per-scalar row functions by
// calling Derived's templates apply_rows_of and backward_rows_of, which therefore are public.
template <class Derived>
class ActivationImpl : public Activation {
 protected:
  void apply_rows(MatrixMapOf<float> values) const override { self().apply_rows_of(values); }
  void apply_rows(MatrixMapOf<double> values) const override { self().apply_rows_of(values); }
  void backward_rows(ConstMatrixMapOf<float> input, ConstMatrixMapOf<float> output, ConstMatrixMapOf<float> grad_output,
                     MatrixMapOf<float> grad_input) const override {
    self().backward_rows_of(input, output, grad_output, grad_input);
  }
  void backward_rows(ConstMatrixMapOf<double> input, ConstMatrixMapOf<double> output,
                     ConstMatrixMapOf<double> grad_output, MatrixMapOf<double> grad_input) const override {
    self().backward_rows_of(input, output, grad_output, grad_input);
  }

 private:
  const Derived& self() const { return static_cast<const Derived&>(*this); }
};

using ActivationPtr = std::shared_ptr<const Activation>;

// An activation by name ("relu", "swish", ...) with parameters from `config` (Keras's names:
// {"max_value": 6}); throws ConfigError listing the valid names or naming a bad parameter.
ActivationPtr make_activation(const std::string& name, const Config& config = {});
// The identity, shared: what a layer without an activation holds.
ActivationPtr linear_activation();

}  // namespace fastmlp
