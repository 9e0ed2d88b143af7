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

  // The penalty of `values` (a weight tensor, or a layer's output for a batch).
  virtual double penalty(ConstMatrixMapOf<Scalar> values) const = 0;
  // grad += d(penalty)/d(values)
  virtual void add_gradient(ConstMatrixMapOf<Scalar> values, MatrixMapOf<Scalar> grad) const = 0;
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
