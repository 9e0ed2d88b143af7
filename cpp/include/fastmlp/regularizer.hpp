// Weight penalties added to the loss, as Keras's regularizers are: l1 Σ|w| + l2 Σw².
#pragma once

#include <memory>
#include <string>

#include "fastmlp/registry.hpp"
#include "fastmlp/types.hpp"

namespace fastmlp {

class Regularizer : public Configurable {
 public:
  using Base = Regularizer;
  static constexpr const char* kKind = "regularizer";

  // A virtual function cannot be a template, so each is declared once per scalar type; a
  // regularizer writes it once, as a template, and RegularizerImpl forwards both to it.
  //
  // The penalty of `values` (a weight tensor, or a layer's output for a batch), summed in double.
  virtual double penalty(ConstMatrixMapOf<float> values) const = 0;
  virtual double penalty(ConstMatrixMapOf<double> values) const = 0;
  // grad += d(penalty)/d(values)
  virtual void add_gradient(ConstMatrixMapOf<float> values, MatrixMapOf<float> grad) const = 0;
  virtual void add_gradient(ConstMatrixMapOf<double> values, MatrixMapOf<double> grad) const = 0;
};

// What a regularizer derives from (through Described): it gives the per-scalar functions by calling
// Derived's templates penalty_of and add_gradient_of, which therefore are public.
template <class Derived>
class RegularizerImpl : public Regularizer {
 public:
  double penalty(ConstMatrixMapOf<float> values) const override { return self().penalty_of(values); }
  double penalty(ConstMatrixMapOf<double> values) const override { return self().penalty_of(values); }
  void add_gradient(ConstMatrixMapOf<float> values, MatrixMapOf<float> grad) const override {
    self().add_gradient_of(values, grad);
  }
  void add_gradient(ConstMatrixMapOf<double> values, MatrixMapOf<double> grad) const override {
    self().add_gradient_of(values, grad);
  }

 private:
  const Derived& self() const { return static_cast<const Derived&>(*this); }
};

using RegularizerPtr = std::shared_ptr<const Regularizer>;

// A regularizer by name ("l2", "L1L2", ...) with parameters from `config` ({"l2": 0.01}).
RegularizerPtr make_regularizer(const std::string& name, const Config& config = {});

// The penalty of an optional regularizer (none: 0), and its gradient; for code that holds one.
template <class Scalar>
inline double penalty_of(const RegularizerPtr& regularizer, ConstMatrixMapOf<Scalar> values) {
  return regularizer ? regularizer->penalty(values) : 0.0;
}
template <class Scalar>
inline void add_gradient_of(const RegularizerPtr& regularizer, ConstMatrixMapOf<Scalar> values, MatrixMapOf<Scalar> grad) {
  if (regularizer) regularizer->add_gradient(values, grad);
}

}  // namespace fastmlp
