#include "fastmlp/losses.hpp"

#include <cmath>
#include <functional>
#include <stdexcept>
#include <utility>

namespace fastmlp {
namespace {

std::string shape_text(Index rows, Index cols) {
  return "(" + std::to_string(rows) + ", " + std::to_string(cols) + ")";
}

void check_same_shape(ConstMatrixMap y_pred, ConstMatrixMap y_true, Index expected_true_cols) {
  if (y_true.rows() != y_pred.rows() || y_true.cols() != expected_true_cols)
    throw std::invalid_argument("targets of shape " + shape_text(y_true.rows(), y_true.cols()) +
                                " do not match predictions of shape " + shape_text(y_pred.rows(), y_pred.cols()));
}

Scalar clip_probability(Scalar p) { return std::min(std::max(p, kEpsilon), 1 - kEpsilon); }

// Keras normalises "probabilities" that do not sum to one before taking logs.
auto row_sums(ConstMatrixMap y_pred) { return y_pred.rowwise().sum(); }

Index sparse_label(ConstMatrixMap y_true, Index row) { return static_cast<Index>(y_true(row, 0)); }

}  // namespace

void Loss::gradient_preactivation(ConstMatrixMap, ConstMatrixMap, MatrixMap) const {
  throw std::logic_error(name() + " has no fused gradient");
}

void Loss::check_targets(ConstMatrixMap y_true, Index output_units) const {
  const Index expected = target_columns(output_units);
  if (y_true.cols() != expected)
    throw std::invalid_argument(name() + " expects targets with " + std::to_string(expected) +
                                " column(s) for a model with " + std::to_string(output_units) +
                                " output unit(s), got " + std::to_string(y_true.cols()));
  if (!y_true.allFinite()) throw std::invalid_argument("targets contain NaN or infinity");
}

// ---- mean squared error: mean over outputs of (p - y)² ----------------------------------------
double MeanSquaredError::sum(ConstMatrixMap y_pred, ConstMatrixMap y_true) const {
  check_same_shape(y_pred, y_true, y_pred.cols());
  return (y_pred - y_true).squaredNorm() / static_cast<double>(y_pred.cols());
}

void MeanSquaredError::gradient(ConstMatrixMap y_pred, ConstMatrixMap y_true, MatrixMap grad) const {
  const Scalar scale = Scalar(2) / static_cast<Scalar>(y_pred.rows() * y_pred.cols());
  grad = scale * (y_pred - y_true);  // d/dp mean((p - y)²) = 2 (p - y) / (n k)
}

// ---- mean absolute error: mean over outputs of |p - y| ------------------------------------------
double MeanAbsoluteError::sum(ConstMatrixMap y_pred, ConstMatrixMap y_true) const {
  check_same_shape(y_pred, y_true, y_pred.cols());
  return (y_pred - y_true).cwiseAbs().sum() / static_cast<double>(y_pred.cols());
}

void MeanAbsoluteError::gradient(ConstMatrixMap y_pred, ConstMatrixMap y_true, MatrixMap grad) const {
  const Scalar scale = Scalar(1) / static_cast<Scalar>(y_pred.rows() * y_pred.cols());
  grad = scale * (y_pred - y_true).array().sign().matrix();
}

// ---- binary cross-entropy: -(y log p + (1 - y) log(1 - p)), p clipped ---------------------------
double BinaryCrossentropy::sum(ConstMatrixMap y_pred, ConstMatrixMap y_true) const {
  check_same_shape(y_pred, y_true, y_pred.cols());
  const auto p = y_pred.array().unaryExpr(&clip_probability);
  const auto y = y_true.array();
  return -(y * p.log() + (1 - y) * (1 - p).log()).sum() / static_cast<double>(y_pred.cols());
}

void BinaryCrossentropy::gradient(ConstMatrixMap y_pred, ConstMatrixMap y_true, MatrixMap grad) const {
  const Scalar scale = Scalar(1) / static_cast<Scalar>(y_pred.rows() * y_pred.cols());
  const auto p = y_pred.array().unaryExpr(&clip_probability);
  grad.array() = scale * (p - y_true.array()) / (p * (1 - p));
}

bool BinaryCrossentropy::fuses_with(const Activation& activation) const {
  return activation.kind() == ActivationKind::Sigmoid;
}

void BinaryCrossentropy::gradient_preactivation(ConstMatrixMap y_pred, ConstMatrixMap y_true, MatrixMap grad) const {
  const Scalar scale = Scalar(1) / static_cast<Scalar>(y_pred.rows() * y_pred.cols());
  grad = scale * (y_pred - y_true);  // σ'(z) = p(1 - p) cancels the denominator: dL/dz = (p - y)/(n k)
}

void BinaryCrossentropy::check_targets(ConstMatrixMap y_true, Index output_units) const {
  Loss::check_targets(y_true, output_units);
  for (Index r = 0; r < y_true.rows(); ++r)
    for (Index c = 0; c < y_true.cols(); ++c)
      if (y_true(r, c) < 0 || y_true(r, c) > 1)
        throw std::invalid_argument("binary_crossentropy targets must lie in [0, 1]; row " + std::to_string(r) +
                                    " holds " + std::to_string(y_true(r, c)));
}

// ---- categorical cross-entropy: -Σ y log q with q = p / Σp clipped ------------------------------
double CategoricalCrossentropy::sum(ConstMatrixMap y_pred, ConstMatrixMap y_true) const {
  check_same_shape(y_pred, y_true, y_pred.cols());
  double total = 0;
  const auto sums = row_sums(y_pred);
  for (Index r = 0; r < y_pred.rows(); ++r) {
    const auto q = (y_pred.row(r).array() / sums(r)).unaryExpr(&clip_probability);
    total -= (y_true.row(r).array() * q.log()).sum();
  }
  return total;
}

void CategoricalCrossentropy::gradient(ConstMatrixMap y_pred, ConstMatrixMap y_true, MatrixMap grad) const {
  const Scalar inv_n = Scalar(1) / static_cast<Scalar>(y_pred.rows());
  for (Index r = 0; r < y_pred.rows(); ++r) {
    const Scalar s = y_pred.row(r).sum();
    const auto q = (y_pred.row(r).array() / s).unaryExpr(&clip_probability);
    // L = -Σ y_k log(p_k / S)  =>  dL/dp_j = -y_j / p_j + Σy / S
    grad.row(r).array() = inv_n * (-y_true.row(r).array() / (q * s) + y_true.row(r).sum() / s);
  }
}

bool CategoricalCrossentropy::fuses_with(const Activation& activation) const {
  return activation.kind() == ActivationKind::Softmax;
}

void CategoricalCrossentropy::gradient_preactivation(ConstMatrixMap y_pred, ConstMatrixMap y_true,
                                                     MatrixMap grad) const {
  const Scalar inv_n = Scalar(1) / static_cast<Scalar>(y_pred.rows());
  // Through the softmax Jacobian: dL/dz = p Σy - y, which is p - y for one-hot rows.
  grad = inv_n * ((y_pred.array().colwise() * y_true.rowwise().sum().array()) - y_true.array()).matrix();
}

// ---- sparse categorical cross-entropy: -log q[label] ---------------------------------------------
double SparseCategoricalCrossentropy::sum(ConstMatrixMap y_pred, ConstMatrixMap y_true) const {
  check_same_shape(y_pred, y_true, 1);
  double total = 0;
  for (Index r = 0; r < y_pred.rows(); ++r)
    total -= std::log(clip_probability(y_pred(r, sparse_label(y_true, r)) / y_pred.row(r).sum()));
  return total;
}

void SparseCategoricalCrossentropy::gradient(ConstMatrixMap y_pred, ConstMatrixMap y_true, MatrixMap grad) const {
  const Scalar inv_n = Scalar(1) / static_cast<Scalar>(y_pred.rows());
  for (Index r = 0; r < y_pred.rows(); ++r) {
    const Scalar s = y_pred.row(r).sum();
    const Index label = sparse_label(y_true, r);
    grad.row(r).setConstant(inv_n / s);  // the Σy / S term, with Σy = 1
    grad(r, label) -= inv_n / (clip_probability(y_pred(r, label) / s) * s);
  }
}

bool SparseCategoricalCrossentropy::fuses_with(const Activation& activation) const {
  return activation.kind() == ActivationKind::Softmax;
}

void SparseCategoricalCrossentropy::gradient_preactivation(ConstMatrixMap y_pred, ConstMatrixMap y_true,
                                                           MatrixMap grad) const {
  const Scalar inv_n = Scalar(1) / static_cast<Scalar>(y_pred.rows());
  grad = inv_n * y_pred;  // dL/dz = (p - onehot(label)) / n
  for (Index r = 0; r < y_pred.rows(); ++r) grad(r, sparse_label(y_true, r)) -= inv_n;
}

void SparseCategoricalCrossentropy::check_targets(ConstMatrixMap y_true, Index output_units) const {
  Loss::check_targets(y_true, output_units);
  for (Index r = 0; r < y_true.rows(); ++r) {
    const Scalar label = y_true(r, 0);
    if (label < 0 || label >= static_cast<Scalar>(output_units) || label != std::floor(label))
      throw std::invalid_argument("sparse_categorical_crossentropy labels must be integers in [0, " +
                                  std::to_string(output_units) + "); row " + std::to_string(r) + " holds " +
                                  std::to_string(label));
  }
}

// ---- names ----------------------------------------------------------------------------------------
namespace {

const std::vector<std::pair<std::string, std::function<std::shared_ptr<Loss>()>>>& named_losses() {
  static const std::vector<std::pair<std::string, std::function<std::shared_ptr<Loss>()>>> all = {
      {"mean_squared_error", [] { return std::make_shared<MeanSquaredError>(); }},
      {"mse", [] { return std::make_shared<MeanSquaredError>(); }},
      {"mean_absolute_error", [] { return std::make_shared<MeanAbsoluteError>(); }},
      {"mae", [] { return std::make_shared<MeanAbsoluteError>(); }},
      {"binary_crossentropy", [] { return std::make_shared<BinaryCrossentropy>(); }},
      {"categorical_crossentropy", [] { return std::make_shared<CategoricalCrossentropy>(); }},
      {"sparse_categorical_crossentropy", [] { return std::make_shared<SparseCategoricalCrossentropy>(); }},
  };
  return all;
}

}  // namespace

std::shared_ptr<Loss> make_loss(const std::string& name) {
  for (const auto& [key, make] : named_losses())
    if (key == name) return make();
  std::string valid;
  for (const auto& entry : named_losses()) valid += (valid.empty() ? "" : ", ") + entry.first;
  throw std::invalid_argument("unknown loss '" + name + "'; valid names are: " + valid);
}

std::vector<std::string> loss_names() {
  std::vector<std::string> all;
  for (const auto& entry : named_losses()) all.push_back(entry.first);
  return all;
}

}  // namespace fastmlp
