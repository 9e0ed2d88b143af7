// L1/L2 penalties added to the loss, as Keras's regularizers are: l1 Σ|w| + l2 Σw².
#pragma once

#include <cmath>

#include "fastmlp/types.hpp"

namespace fastmlp {

struct Regularizer {
  double l1 = 0;
  double l2 = 0;

  bool active() const { return l1 != 0 || l2 != 0; }

  template <class Matrix>
  double penalty(const Matrix& values) const {
    if (!active()) return 0;
    return l1 * values.cwiseAbs().template cast<double>().sum() + l2 * values.squaredNorm();
  }

  // grad += d(penalty)/d(values) = l1 sign(values) + 2 l2 values
  template <class Matrix, class Gradient>
  void add_gradient(const Matrix& values, Gradient&& grad) const {
    if (l1 != 0) grad.array() += static_cast<Scalar>(l1) * values.array().sign();
    if (l2 != 0) grad.array() += static_cast<Scalar>(2 * l2) * values.array();
  }
};

}  // namespace fastmlp
