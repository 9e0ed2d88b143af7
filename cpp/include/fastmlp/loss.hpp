// Losses: per-sample values and the gradient of their batch mean with respect to the network output.
//
// Each loss is a class in its own file under cpp/src/losses/, registered under Keras's class name
// ("CategoricalCrossentropy") and its function names and aliases ("categorical_crossentropy", "mse").
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "fastmlp/activation.hpp"
#include "fastmlp/registry.hpp"
#include "fastmlp/types.hpp"

namespace fastmlp {

// Keras's epsilon: probabilities are clipped to [kEpsilon, 1 - kEpsilon] before taking logs.
constexpr Scalar kEpsilon = 1e-7f;

using VectorRefOf<Scalar> = Eigen::Ref<VectorOf<Scalar>>;

class Loss : public Configurable {
 public:
  using Base = Loss;
  static constexpr const char* kKind = "loss";

  // The loss of each sample (row), written to `out` (n): the mean over outputs of an elementwise
  // loss, or a row-wise loss such as cross-entropy. The batch loss is the mean of these (Keras's
  // "sum_over_batch_size" reduction), or with sample weights Σ w_i l_i / n.
  virtual void per_sample(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true, VectorRefOf<Scalar> out) const = 0;

  // Gradient of the (unweighted) batch mean with respect to y_pred (n, units). The 1/n of the mean
  // is applied here, once, and nowhere else in the backward pass.
  virtual void gradient(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true, MatrixMapOf<Scalar> grad) const = 0;

  // Whether gradient_preactivation() is available for an output layer ending in `activation`.
  virtual bool fuses_with(const Activation& /*activation*/) const { return false; }

  // Gradient with respect to the input Z of the final softmax/sigmoid, computed directly as
  // (p - y)/n: exact and stable where going through -y/p and the activation's Jacobian is not.
  virtual void gradient_preactivation(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true, MatrixMapOf<Scalar> grad) const;

  // Columns y_true must have for a network with `output_units` outputs (1 for sparse labels).
  virtual Index target_columns(Index output_units) const { return output_units; }

  // Throws std::invalid_argument when y_true holds values the loss cannot accept (such as a
  // class label out of range), naming the first offending row.
  virtual void check_targets(ConstMatrixMapOf<Scalar> y_true, Index output_units) const;
};

using LossPtr = std::shared_ptr<const Loss>;

// A loss by name or alias ("mse", "CategoricalCrossentropy", ...) with parameters from `config`
// ({"from_logits": true}); throws ConfigError listing the valid names or naming a bad parameter.
LossPtr make_loss(const std::string& name, const Config& config = {});

}  // namespace fastmlp
