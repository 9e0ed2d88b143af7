// Losses: per-sample values and the gradient of their batch mean with respect to the network output.
//
// Each loss is a class in its own file under cpp/src/losses/, registered under Keras's class name
// ("CategoricalCrossentropy") and its function names and aliases ("categorical_crossentropy", "mse").
// A loss is not a template: one object serves models in float and in double (as Keras's losses
// serve any dtype), so each function on matrices is declared once per scalar type.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "fastmlp/activation.hpp"
#include "fastmlp/registry.hpp"
#include "fastmlp/types.hpp"

namespace fastmlp {

// Keras's epsilon, 1e-7 in both precisions: probabilities are clipped to [epsilon, 1 - epsilon]
// before taking logs.
template <class Scalar>
constexpr Scalar kEpsilonOf = Scalar(1e-7);

template <class Scalar>
using VectorRefOf = Eigen::Ref<VectorOf<Scalar>>;
using VectorRef = VectorRefOf<float>;

class Loss : public Configurable {
 public:
  using Base = Loss;
  static constexpr const char* kKind = "loss";

  // The loss of each sample (row), written to `out` (n): the mean over outputs of an elementwise
  // loss, or a row-wise loss such as cross-entropy. The batch loss is the mean of these (Keras's
  // "sum_over_batch_size" reduction), or with sample weights Σ w_i l_i / n.
  virtual void per_sample(ConstMatrixMapOf<float> y_pred, ConstMatrixMapOf<float> y_true,
                          VectorRefOf<float> out) const = 0;
  virtual void per_sample(ConstMatrixMapOf<double> y_pred, ConstMatrixMapOf<double> y_true,
                          VectorRefOf<double> out) const = 0;

  // Gradient of the (unweighted) batch mean with respect to y_pred (n, units). The 1/n of the mean
  // is applied here, once, and nowhere else in the backward pass.
  virtual void gradient(ConstMatrixMapOf<float> y_pred, ConstMatrixMapOf<float> y_true,
                        MatrixMapOf<float> grad) const = 0;
  virtual void gradient(ConstMatrixMapOf<double> y_pred, ConstMatrixMapOf<double> y_true,
                        MatrixMapOf<double> grad) const = 0;

  // Whether gradient_preactivation() is available for an output layer ending in `activation`.
  virtual bool fuses_with(const Activation& /*activation*/) const { return false; }

  // Gradient with respect to the input Z of the final softmax/sigmoid, computed directly as
  // (p - y)/n: exact and stable where going through -y/p and the activation's Jacobian is not.
  // By default (a loss that fuses with nothing) it throws std::logic_error.
  virtual void gradient_preactivation(ConstMatrixMapOf<float> y_pred, ConstMatrixMapOf<float> y_true,
                                      MatrixMapOf<float> grad) const = 0;
  virtual void gradient_preactivation(ConstMatrixMapOf<double> y_pred, ConstMatrixMapOf<double> y_true,
                                      MatrixMapOf<double> grad) const = 0;

  // A loss of the whole batch rather than a mean over its samples (Keras's Dice and Tversky with
  // axis=None sum over every value of the batch): per_sample() writes the batch's loss into every
  // row, so that their mean is it, and gradient() the gradient of that loss. A model then scales it
  // by the batch's mean sample weight (as Keras weights one value), and data-parallel training
  // refuses it, since no rank holds the whole batch.
  virtual bool whole_batch() const { return false; }

  // Columns y_true must have for a network with `output_units` outputs (1 for sparse labels).
  virtual Index target_columns(Index output_units) const { return output_units; }

  // Throws std::invalid_argument when y_true holds values the loss cannot accept (such as a
  // class label out of range), naming the first offending row. By default it checks the number of
  // columns and that every target is finite.
  virtual void check_targets(ConstMatrixMapOf<float> y_true, Index output_units) const = 0;
  virtual void check_targets(ConstMatrixMapOf<double> y_true, Index output_units) const = 0;

 protected:
  // The defaults of the two above, for both scalar types (defined in loss.cpp): a loss that has its
  // own declares a template of the same name, which hides these; one that adds checks calls
  // Loss::check_targets_of first.
  template <class Scalar>
  void gradient_preactivation_of(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true,
                                 MatrixMapOf<Scalar> grad) const;
  template <class Scalar>
  void check_targets_of(ConstMatrixMapOf<Scalar> y_true, Index output_units) const;
};

// What a loss derives from (through Described): it gives every virtual function above for both
// scalar types by calling Derived's templates per_sample_of and gradient_of (which therefore are
// public), and gradient_preactivation_of and check_targets_of: Derived's own where it declares them,
// else Loss's defaults.
template <class Derived>
class LossImpl : public Loss {
 public:
  void per_sample(ConstMatrixMapOf<float> y_pred, ConstMatrixMapOf<float> y_true,
                  VectorRefOf<float> out) const override {
    self().per_sample_of(y_pred, y_true, out);
  }
  void per_sample(ConstMatrixMapOf<double> y_pred, ConstMatrixMapOf<double> y_true,
                  VectorRefOf<double> out) const override {
    self().per_sample_of(y_pred, y_true, out);
  }
  void gradient(ConstMatrixMapOf<float> y_pred, ConstMatrixMapOf<float> y_true,
                MatrixMapOf<float> grad) const override {
    self().gradient_of(y_pred, y_true, grad);
  }
  void gradient(ConstMatrixMapOf<double> y_pred, ConstMatrixMapOf<double> y_true,
                MatrixMapOf<double> grad) const override {
    self().gradient_of(y_pred, y_true, grad);
  }
  void gradient_preactivation(ConstMatrixMapOf<float> y_pred, ConstMatrixMapOf<float> y_true,
                              MatrixMapOf<float> grad) const override {
    self().gradient_preactivation_of(y_pred, y_true, grad);
  }
  void gradient_preactivation(ConstMatrixMapOf<double> y_pred, ConstMatrixMapOf<double> y_true,
                              MatrixMapOf<double> grad) const override {
    self().gradient_preactivation_of(y_pred, y_true, grad);
  }
  void check_targets(ConstMatrixMapOf<float> y_true, Index output_units) const override {
    self().check_targets_of(y_true, output_units);
  }
  void check_targets(ConstMatrixMapOf<double> y_true, Index output_units) const override {
    self().check_targets_of(y_true, output_units);
  }

 private:
  const Derived& self() const { return static_cast<const Derived&>(*this); }
};

using LossPtr = std::shared_ptr<const Loss>;

// A loss by name or alias ("mse", "CategoricalCrossentropy", ...) with parameters from `config`
// ({"from_logits": true}); throws ConfigError listing the valid names or naming a bad parameter.
LossPtr make_loss(const std::string& name, const Config& config = {});

}  // namespace fastmlp
