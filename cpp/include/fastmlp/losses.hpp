// Losses: per-sample values and the gradient of their batch mean with respect to the network output.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "fastmlp/activations.hpp"
#include "fastmlp/types.hpp"

namespace fastmlp {

// Keras's epsilon: probabilities are clipped to [kEpsilon, 1 - kEpsilon] before taking logs.
constexpr Scalar kEpsilon = 1e-7f;

class Loss {
 public:
  virtual ~Loss() = default;
  virtual std::string name() const = 0;

  // Sum over the rows of the per-sample loss (each the mean over outputs, as in Keras); the batch
  // loss is this divided by the number of rows, Keras's "sum_over_batch_size" reduction.
  virtual double sum(ConstMatrixMap y_pred, ConstMatrixMap y_true) const = 0;

  // Gradient of the batch mean with respect to y_pred (n, units). The 1/n of the mean is applied
  // here, once, and nowhere else in the backward pass.
  virtual void gradient(ConstMatrixMap y_pred, ConstMatrixMap y_true, MatrixMap grad) const = 0;

  // Whether gradient_preactivation() is available for an output layer ending in `activation`.
  virtual bool fuses_with(const Activation& /*activation*/) const { return false; }

  // Gradient with respect to the input Z of the final softmax/sigmoid, computed directly as
  // (p - y)/n: exact and stable where going through -y/p and the activation's Jacobian is not.
  virtual void gradient_preactivation(ConstMatrixMap y_pred, ConstMatrixMap y_true, MatrixMap grad) const;

  // Columns y_true must have for a network with `output_units` outputs (1 for sparse labels).
  virtual Index target_columns(Index output_units) const { return output_units; }

  // Throws std::invalid_argument when y_true holds values the loss cannot accept (such as a
  // class label out of range), naming the first offending row.
  virtual void check_targets(ConstMatrixMap y_true, Index output_units) const;
};

class MeanSquaredError : public Loss {
 public:
  std::string name() const override { return "mean_squared_error"; }
  double sum(ConstMatrixMap y_pred, ConstMatrixMap y_true) const override;
  void gradient(ConstMatrixMap y_pred, ConstMatrixMap y_true, MatrixMap grad) const override;
};

class MeanAbsoluteError : public Loss {
 public:
  std::string name() const override { return "mean_absolute_error"; }
  double sum(ConstMatrixMap y_pred, ConstMatrixMap y_true) const override;
  void gradient(ConstMatrixMap y_pred, ConstMatrixMap y_true, MatrixMap grad) const override;
};

class BinaryCrossentropy : public Loss {
 public:
  std::string name() const override { return "binary_crossentropy"; }
  double sum(ConstMatrixMap y_pred, ConstMatrixMap y_true) const override;
  void gradient(ConstMatrixMap y_pred, ConstMatrixMap y_true, MatrixMap grad) const override;
  bool fuses_with(const Activation& activation) const override;
  void gradient_preactivation(ConstMatrixMap y_pred, ConstMatrixMap y_true, MatrixMap grad) const override;
  void check_targets(ConstMatrixMap y_true, Index output_units) const override;
};

class CategoricalCrossentropy : public Loss {
 public:
  std::string name() const override { return "categorical_crossentropy"; }
  double sum(ConstMatrixMap y_pred, ConstMatrixMap y_true) const override;
  void gradient(ConstMatrixMap y_pred, ConstMatrixMap y_true, MatrixMap grad) const override;
  bool fuses_with(const Activation& activation) const override;
  void gradient_preactivation(ConstMatrixMap y_pred, ConstMatrixMap y_true, MatrixMap grad) const override;
};

// Integer class labels, one column, instead of one-hot rows.
class SparseCategoricalCrossentropy : public Loss {
 public:
  std::string name() const override { return "sparse_categorical_crossentropy"; }
  double sum(ConstMatrixMap y_pred, ConstMatrixMap y_true) const override;
  void gradient(ConstMatrixMap y_pred, ConstMatrixMap y_true, MatrixMap grad) const override;
  bool fuses_with(const Activation& activation) const override;
  void gradient_preactivation(ConstMatrixMap y_pred, ConstMatrixMap y_true, MatrixMap grad) const override;
  Index target_columns(Index /*output_units*/) const override { return 1; }
  void check_targets(ConstMatrixMap y_true, Index output_units) const override;
};

// Keras's names and aliases ("mse", "mae", ...). Throws std::invalid_argument listing valid names.
std::shared_ptr<Loss> make_loss(const std::string& name);
std::vector<std::string> loss_names();

}  // namespace fastmlp
