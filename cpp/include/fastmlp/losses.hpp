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

using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;
using VectorRef = Eigen::Ref<Vector>;

class Loss {
 public:
  virtual ~Loss() = default;
  virtual std::string name() const = 0;

  // The loss of each sample (row), written to `out` (n): the mean over outputs of an elementwise
  // loss, or a row-wise loss such as cross-entropy. The batch loss is the mean of these (Keras's
  // "sum_over_batch_size" reduction), or with sample weights Σ w_i l_i / n.
  virtual void per_sample(ConstMatrixMap y_pred, ConstMatrixMap y_true, VectorRef out) const = 0;

  // Gradient of the (unweighted) batch mean with respect to y_pred (n, units). The 1/n of the mean
  // is applied here, once, and nowhere else in the backward pass.
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

// Cross-entropies take probabilities by default; with from_logits the network's output is taken as
// logits (a linear last layer), as in Keras, and the sigmoid/softmax is folded into the loss.
class BinaryCrossentropy : public Loss {
 public:
  // label_smoothing moves every target towards the uniform distribution, as Keras does:
  // y (1 - s) + s / 2 for each binary output, y (1 - s) + s / classes for one-hot rows.
  explicit BinaryCrossentropy(bool from_logits = false, Scalar label_smoothing = 0);
  std::string name() const override { return "binary_crossentropy"; }
  bool from_logits() const { return from_logits_; }
  Scalar label_smoothing() const { return label_smoothing_; }
  void per_sample(ConstMatrixMap y_pred, ConstMatrixMap y_true, VectorRef out) const override;
  void gradient(ConstMatrixMap y_pred, ConstMatrixMap y_true, MatrixMap grad) const override;
  bool fuses_with(const Activation& activation) const override;
  void gradient_preactivation(ConstMatrixMap y_pred, ConstMatrixMap y_true, MatrixMap grad) const override;
  void check_targets(ConstMatrixMap y_true, Index output_units) const override;

 private:
  bool from_logits_;
  Scalar label_smoothing_;
};

class CategoricalCrossentropy : public Loss {
 public:
  explicit CategoricalCrossentropy(bool from_logits = false, Scalar label_smoothing = 0);
  std::string name() const override { return "categorical_crossentropy"; }
  bool from_logits() const { return from_logits_; }
  Scalar label_smoothing() const { return label_smoothing_; }
  void per_sample(ConstMatrixMap y_pred, ConstMatrixMap y_true, VectorRef out) const override;
  void gradient(ConstMatrixMap y_pred, ConstMatrixMap y_true, MatrixMap grad) const override;
  bool fuses_with(const Activation& activation) const override;
  void gradient_preactivation(ConstMatrixMap y_pred, ConstMatrixMap y_true, MatrixMap grad) const override;

 private:
  bool from_logits_;
  Scalar label_smoothing_;
};

// Integer class labels, one column, instead of one-hot rows.
class SparseCategoricalCrossentropy : public Loss {
 public:
  explicit SparseCategoricalCrossentropy(bool from_logits = false) : from_logits_(from_logits) {}
  std::string name() const override { return "sparse_categorical_crossentropy"; }
  bool from_logits() const { return from_logits_; }
  void per_sample(ConstMatrixMap y_pred, ConstMatrixMap y_true, VectorRef out) const override;
  void gradient(ConstMatrixMap y_pred, ConstMatrixMap y_true, MatrixMap grad) const override;
  bool fuses_with(const Activation& activation) const override;
  void gradient_preactivation(ConstMatrixMap y_pred, ConstMatrixMap y_true, MatrixMap grad) const override;
  Index target_columns(Index /*output_units*/) const override { return 1; }
  void check_targets(ConstMatrixMap y_true, Index output_units) const override;

 private:
  bool from_logits_;
};

// The losses whose value is the mean over outputs of an elementwise f(p, y): see losses.cpp for each
// formula. `parameter` is Huber's delta and is ignored by the others.
enum class ElementwiseLossKind {
  MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredLogarithmicError,
  Hinge, SquaredHinge, LogCosh, Huber, Poisson
};

class ElementwiseLoss : public Loss {
 public:
  explicit ElementwiseLoss(ElementwiseLossKind kind, Scalar parameter = 1.0f);
  std::string name() const override;
  ElementwiseLossKind kind() const { return kind_; }
  Scalar parameter() const { return parameter_; }
  void per_sample(ConstMatrixMap y_pred, ConstMatrixMap y_true, VectorRef out) const override;
  void gradient(ConstMatrixMap y_pred, ConstMatrixMap y_true, MatrixMap grad) const override;

 private:
  ElementwiseLossKind kind_;
  Scalar parameter_;
};

// max(max((1 - y) p) - Σ y p + 1, 0) per sample, for one-hot y.
class CategoricalHinge : public Loss {
 public:
  std::string name() const override { return "categorical_hinge"; }
  void per_sample(ConstMatrixMap y_pred, ConstMatrixMap y_true, VectorRef out) const override;
  void gradient(ConstMatrixMap y_pred, ConstMatrixMap y_true, MatrixMap grad) const override;
};

// Σ y log(y / p) per sample, y and p clipped to [epsilon, 1].
class KLDivergence : public Loss {
 public:
  std::string name() const override { return "kl_divergence"; }
  void per_sample(ConstMatrixMap y_pred, ConstMatrixMap y_true, VectorRef out) const override;
  void gradient(ConstMatrixMap y_pred, ConstMatrixMap y_true, MatrixMap grad) const override;
};

// -Σ ŷ p̂ per sample with ŷ, p̂ the rows scaled to unit length: -1 when aligned.
class CosineSimilarity : public Loss {
 public:
  std::string name() const override { return "cosine_similarity"; }
  void per_sample(ConstMatrixMap y_pred, ConstMatrixMap y_true, VectorRef out) const override;
  void gradient(ConstMatrixMap y_pred, ConstMatrixMap y_true, MatrixMap grad) const override;
};

// Keras's names and aliases ("mse", "mae", "kld", ...). Throws std::invalid_argument listing valid names.
std::shared_ptr<Loss> make_loss(const std::string& name);
std::vector<std::string> loss_names();

}  // namespace fastmlp
