#include "fastmlp/losses.hpp"

#include <cmath>
#include <functional>
#include <stdexcept>
#include <utility>

namespace fastmlp {
namespace {

Scalar clip_probability(Scalar p) { return std::min(std::max(p, kEpsilon), 1 - kEpsilon); }

Index sparse_label(ConstMatrixMap y_true, Index row) { return static_cast<Index>(y_true(row, 0)); }

Scalar inverse(Index count) { return Scalar(1) / static_cast<Scalar>(count); }

// log softmax of one row of logits, without overflow: z - max - log Σ e^(z - max).
template <class Row>
auto log_softmax(const Row& z) {
  const Scalar top = z.maxCoeff();
  return (z.array() - top) - std::log((z.array() - top).exp().sum());
}

void require_label_smoothing(Scalar label_smoothing) {
  if (!(label_smoothing >= 0 && label_smoothing <= 1))
    throw std::invalid_argument("label_smoothing must be in [0, 1], got " + std::to_string(label_smoothing));
}

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

// ---- binary cross-entropy: -(y log p + (1 - y) log(1 - p)), p clipped ---------------------------
BinaryCrossentropy::BinaryCrossentropy(bool from_logits, Scalar label_smoothing)
    : from_logits_(from_logits), label_smoothing_(label_smoothing) {
  require_label_smoothing(label_smoothing);
}

// Smoothed targets are an expression, not a buffer: nothing is allocated per batch. With no
// smoothing they equal y exactly (y * 1 + 0).
void BinaryCrossentropy::per_sample(ConstMatrixMap y_pred, ConstMatrixMap y_true, VectorRef out) const {
  const auto y = y_true.array() * (1 - label_smoothing_) + Scalar(0.5) * label_smoothing_;
  if (from_logits_) {
    // From logits z: max(z, 0) - z y + log(1 + e^-|z|), exact for any z.
    const auto z = y_pred.array();
    out = (z.max(Scalar(0)) - z * y + (-z.abs()).exp().log1p()).rowwise().mean();
  } else {
    const auto p = y_pred.array().unaryExpr(&clip_probability);
    out = -(y * p.log() + (1 - y) * (1 - p).log()).rowwise().mean();
  }
}

void BinaryCrossentropy::gradient(ConstMatrixMap y_pred, ConstMatrixMap y_true, MatrixMap grad) const {
  const Scalar scale = inverse(y_pred.size());
  const auto y = y_true.array() * (1 - label_smoothing_) + Scalar(0.5) * label_smoothing_;
  if (from_logits_) {
    grad.array() = scale * (y_pred.array().logistic() - y);
  } else {
    const auto p = y_pred.array().unaryExpr(&clip_probability);
    grad.array() = scale * (p - y) / (p * (1 - p));
  }
}

bool BinaryCrossentropy::fuses_with(const Activation& activation) const {
  return !from_logits_ && activation.kind() == ActivationKind::Sigmoid;
}

void BinaryCrossentropy::gradient_preactivation(ConstMatrixMap y_pred, ConstMatrixMap y_true, MatrixMap grad) const {
  // σ' = p(1 - p) cancels: dL/dz = (p - y)/(n k)
  const auto y = y_true.array() * (1 - label_smoothing_) + Scalar(0.5) * label_smoothing_;
  grad.array() = inverse(y_pred.size()) * (y_pred.array() - y);
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
CategoricalCrossentropy::CategoricalCrossentropy(bool from_logits, Scalar label_smoothing)
    : from_logits_(from_logits), label_smoothing_(label_smoothing) {
  require_label_smoothing(label_smoothing);
}

void CategoricalCrossentropy::per_sample(ConstMatrixMap y_pred, ConstMatrixMap y_true, VectorRef out) const {
  const Scalar keep = 1 - label_smoothing_, spread = label_smoothing_ / static_cast<Scalar>(y_pred.cols());
  for (Index r = 0; r < y_pred.rows(); ++r) {
    const auto y = y_true.row(r).array() * keep + spread;
    if (from_logits_) {
      out(r) = -(y * log_softmax(y_pred.row(r))).sum();
    } else {
      const auto q = (y_pred.row(r).array() / y_pred.row(r).sum()).unaryExpr(&clip_probability);
      out(r) = -(y * q.log()).sum();
    }
  }
}

void CategoricalCrossentropy::gradient(ConstMatrixMap y_pred, ConstMatrixMap y_true, MatrixMap grad) const {
  const Scalar inv_n = inverse(y_pred.rows());
  const Scalar keep = 1 - label_smoothing_, spread = label_smoothing_ / static_cast<Scalar>(y_pred.cols());
  for (Index r = 0; r < y_pred.rows(); ++r) {
    const auto y = y_true.row(r).array() * keep + spread;
    const Scalar labels = y.sum();
    if (from_logits_) {
      grad.row(r).array() = inv_n * (log_softmax(y_pred.row(r)).exp() * labels - y);
    } else {
      // L = -Σ y_k log(p_k / S)  =>  dL/dp_j = -y_j / p_j + Σy / S
      const Scalar s = y_pred.row(r).sum();
      const auto q = (y_pred.row(r).array() / s).unaryExpr(&clip_probability);
      grad.row(r).array() = inv_n * (-y / (q * s) + labels / s);
    }
  }
}

bool CategoricalCrossentropy::fuses_with(const Activation& activation) const {
  return !from_logits_ && activation.kind() == ActivationKind::Softmax;
}

void CategoricalCrossentropy::gradient_preactivation(ConstMatrixMap y_pred, ConstMatrixMap y_true,
                                                     MatrixMap grad) const {
  // Through the softmax Jacobian: dL/dz = p Σy - y, which is p - y for one-hot rows.
  const Scalar keep = 1 - label_smoothing_, spread = label_smoothing_ / static_cast<Scalar>(y_pred.cols());
  const auto y = y_true.array() * keep + spread;
  const auto labels = y_true.rowwise().sum().array() * keep + label_smoothing_;  // Σ of the smoothed row
  grad = inverse(y_pred.rows()) * ((y_pred.array().colwise() * labels) - y).matrix();
}

// ---- sparse categorical cross-entropy: -log q[label] ---------------------------------------------
void SparseCategoricalCrossentropy::per_sample(ConstMatrixMap y_pred, ConstMatrixMap y_true, VectorRef out) const {
  for (Index r = 0; r < y_pred.rows(); ++r) {
    const Index label = sparse_label(y_true, r);
    out(r) = from_logits_ ? -log_softmax(y_pred.row(r))(label)
                          : -std::log(clip_probability(y_pred(r, label) / y_pred.row(r).sum()));
  }
}

void SparseCategoricalCrossentropy::gradient(ConstMatrixMap y_pred, ConstMatrixMap y_true, MatrixMap grad) const {
  const Scalar inv_n = inverse(y_pred.rows());
  for (Index r = 0; r < y_pred.rows(); ++r) {
    const Index label = sparse_label(y_true, r);
    if (from_logits_) {
      grad.row(r).array() = inv_n * log_softmax(y_pred.row(r)).exp();  // (softmax(z) - onehot) / n
      grad(r, label) -= inv_n;
    } else {
      const Scalar s = y_pred.row(r).sum();
      grad.row(r).setConstant(inv_n / s);  // the Σy / S term, with Σy = 1
      grad(r, label) -= inv_n / (clip_probability(y_pred(r, label) / s) * s);
    }
  }
}

bool SparseCategoricalCrossentropy::fuses_with(const Activation& activation) const {
  return !from_logits_ && activation.kind() == ActivationKind::Softmax;
}

void SparseCategoricalCrossentropy::gradient_preactivation(ConstMatrixMap y_pred, ConstMatrixMap y_true,
                                                           MatrixMap grad) const {
  const Scalar inv_n = inverse(y_pred.rows());
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

// ---- elementwise losses: the mean over outputs of f(p, y) --------------------------------------
ElementwiseLoss::ElementwiseLoss(ElementwiseLossKind kind, Scalar parameter) : kind_(kind), parameter_(parameter) {
  if (kind == ElementwiseLossKind::Huber && !(parameter > 0))
    throw std::invalid_argument("huber delta must be > 0, got " + std::to_string(parameter));
}

std::string ElementwiseLoss::name() const {
  switch (kind_) {
    case ElementwiseLossKind::MeanSquaredError: return "mean_squared_error";
    case ElementwiseLossKind::MeanAbsoluteError: return "mean_absolute_error";
    case ElementwiseLossKind::MeanAbsolutePercentageError: return "mean_absolute_percentage_error";
    case ElementwiseLossKind::MeanSquaredLogarithmicError: return "mean_squared_logarithmic_error";
    case ElementwiseLossKind::Hinge: return "hinge";
    case ElementwiseLossKind::SquaredHinge: return "squared_hinge";
    case ElementwiseLossKind::LogCosh: return "log_cosh";
    case ElementwiseLossKind::Huber: return "huber";
    case ElementwiseLossKind::Poisson: return "poisson";
  }
  return "";
}

namespace {

// Keras's hinge losses read {0, 1} labels as {-1, 1}, deciding over the whole batch.
Scalar hinge_label_scale(ConstMatrixMap y_true) {
  return ((y_true.array() == 0) || (y_true.array() == 1)).all() ? Scalar(2) : Scalar(1);
}

// f(p, y) and df/dp for each elementwise loss; y has been mapped to ±1 for the hinges.
struct ElementwiseFormula {
  ElementwiseLossKind kind;
  Scalar delta;

  Scalar value(Scalar p, Scalar y) const {
    const Scalar e = p - y;
    switch (kind) {
      case ElementwiseLossKind::MeanSquaredError: return e * e;
      case ElementwiseLossKind::MeanAbsoluteError: return std::abs(e);
      case ElementwiseLossKind::MeanAbsolutePercentageError: return 100 * std::abs(e) / std::max(std::abs(y), kEpsilon);
      case ElementwiseLossKind::MeanSquaredLogarithmicError: {
        const Scalar d = std::log1p(std::max(p, kEpsilon)) - std::log1p(std::max(y, kEpsilon));
        return d * d;
      }
      case ElementwiseLossKind::Hinge: return std::max(1 - y * p, Scalar(0));
      case ElementwiseLossKind::SquaredHinge: { const Scalar h = std::max(1 - y * p, Scalar(0)); return h * h; }
      // log cosh(e) = e + softplus(-2e) - log 2, which never overflows.
      case ElementwiseLossKind::LogCosh: {
        const Scalar t = -2 * e;
        return e + std::max(t, Scalar(0)) + std::log1p(std::exp(-std::abs(t))) - Scalar(0.69314718055994530942);
      }
      case ElementwiseLossKind::Huber:
        return std::abs(e) <= delta ? Scalar(0.5) * e * e : delta * std::abs(e) - Scalar(0.5) * delta * delta;
      case ElementwiseLossKind::Poisson: return p - y * std::log(p + kEpsilon);
    }
    return 0;
  }

  Scalar derivative(Scalar p, Scalar y) const {
    const Scalar e = p - y;
    const Scalar sign = Scalar((e > 0) - (e < 0));
    switch (kind) {
      case ElementwiseLossKind::MeanSquaredError: return 2 * e;
      case ElementwiseLossKind::MeanAbsoluteError: return sign;
      case ElementwiseLossKind::MeanAbsolutePercentageError: return 100 * sign / std::max(std::abs(y), kEpsilon);
      case ElementwiseLossKind::MeanSquaredLogarithmicError: {
        if (p < kEpsilon) return 0;  // the clip at epsilon is flat
        const Scalar d = std::log1p(p) - std::log1p(std::max(y, kEpsilon));
        return 2 * d / (1 + p);
      }
      case ElementwiseLossKind::Hinge: return 1 - y * p > 0 ? -y : Scalar(0);
      case ElementwiseLossKind::SquaredHinge: return -2 * y * std::max(1 - y * p, Scalar(0));
      case ElementwiseLossKind::LogCosh: return std::tanh(e);
      case ElementwiseLossKind::Huber: return std::min(std::max(e, -delta), delta);
      case ElementwiseLossKind::Poisson: return 1 - y / (p + kEpsilon);
    }
    return 0;
  }
};

bool is_hinge(ElementwiseLossKind kind) {
  return kind == ElementwiseLossKind::Hinge || kind == ElementwiseLossKind::SquaredHinge;
}

}  // namespace

void ElementwiseLoss::per_sample(ConstMatrixMap y_pred, ConstMatrixMap y_true, VectorRef out) const {
  const auto p = y_pred.array();
  const auto y = y_true.array();
  switch (kind_) {  // the two common ones vectorised; the rest through the scalar formula
    case ElementwiseLossKind::MeanSquaredError: out = (p - y).square().rowwise().mean(); return;
    case ElementwiseLossKind::MeanAbsoluteError: out = (p - y).abs().rowwise().mean(); return;
    default: break;
  }
  const ElementwiseFormula f{kind_, parameter_};
  const Scalar scale = is_hinge(kind_) ? hinge_label_scale(y_true) : Scalar(1);
  const Scalar shift = scale == 2 ? Scalar(1) : Scalar(0);
  out = p.binaryExpr(y * scale - shift, [&f](Scalar a, Scalar b) { return f.value(a, b); }).rowwise().mean();
}

void ElementwiseLoss::gradient(ConstMatrixMap y_pred, ConstMatrixMap y_true, MatrixMap grad) const {
  const Scalar inv = inverse(y_pred.size());
  const auto p = y_pred.array();
  const auto y = y_true.array();
  if (kind_ == ElementwiseLossKind::MeanSquaredError) {
    grad.array() = (2 * inv) * (p - y);  // d/dp mean((p - y)²) = 2 (p - y) / (n k)
    return;
  }
  const ElementwiseFormula f{kind_, parameter_};
  const Scalar scale = is_hinge(kind_) ? hinge_label_scale(y_true) : Scalar(1);
  const Scalar shift = scale == 2 ? Scalar(1) : Scalar(0);
  grad.array() = inv * p.binaryExpr(y * scale - shift, [&f](Scalar a, Scalar b) { return f.derivative(a, b); });
}

// ---- categorical hinge ----------------------------------------------------------------------------
void CategoricalHinge::per_sample(ConstMatrixMap y_pred, ConstMatrixMap y_true, VectorRef out) const {
  for (Index r = 0; r < y_pred.rows(); ++r) {
    const Scalar positive = y_true.row(r).dot(y_pred.row(r));
    const Scalar negative = ((1 - y_true.row(r).array()) * y_pred.row(r).array()).maxCoeff();
    out(r) = std::max(negative - positive + 1, Scalar(0));
  }
}

void CategoricalHinge::gradient(ConstMatrixMap y_pred, ConstMatrixMap y_true, MatrixMap grad) const {
  const Scalar inv_n = inverse(y_pred.rows());
  grad.setZero();
  for (Index r = 0; r < y_pred.rows(); ++r) {
    Index worst;
    const Scalar positive = y_true.row(r).dot(y_pred.row(r));
    const Scalar negative = ((1 - y_true.row(r).array()) * y_pred.row(r).array()).maxCoeff(&worst);
    if (negative - positive + 1 <= 0) continue;
    grad.row(r) = -inv_n * y_true.row(r);
    grad(r, worst) += inv_n * (1 - y_true(r, worst));
  }
}

// ---- Kullback-Leibler divergence ----------------------------------------------------------------
void KLDivergence::per_sample(ConstMatrixMap y_pred, ConstMatrixMap y_true, VectorRef out) const {
  const auto y = y_true.array().max(kEpsilon).min(Scalar(1));
  const auto p = y_pred.array().max(kEpsilon).min(Scalar(1));
  out = (y * (y / p).log()).rowwise().sum();
}

void KLDivergence::gradient(ConstMatrixMap y_pred, ConstMatrixMap y_true, MatrixMap grad) const {
  const auto y = y_true.array().max(kEpsilon).min(Scalar(1));
  const auto p = y_pred.array();
  const auto inside = (p >= kEpsilon) && (p <= 1);  // the clip is flat outside [epsilon, 1]
  grad.array() = inside.select(-inverse(y_pred.rows()) * y / p.max(kEpsilon), Scalar(0));
}

// ---- cosine similarity ---------------------------------------------------------------------------
namespace {
// Keras's l2_normalize: x / sqrt(max(Σx², 1e-12)).
Scalar inverse_norm(Scalar squared_norm) { return 1 / std::sqrt(std::max(squared_norm, Scalar(1e-12))); }
}  // namespace

void CosineSimilarity::per_sample(ConstMatrixMap y_pred, ConstMatrixMap y_true, VectorRef out) const {
  for (Index r = 0; r < y_pred.rows(); ++r)
    out(r) = -y_true.row(r).dot(y_pred.row(r)) * inverse_norm(y_true.row(r).squaredNorm()) *
             inverse_norm(y_pred.row(r).squaredNorm());
}

void CosineSimilarity::gradient(ConstMatrixMap y_pred, ConstMatrixMap y_true, MatrixMap grad) const {
  const Scalar inv_n = inverse(y_pred.rows());
  for (Index r = 0; r < y_pred.rows(); ++r) {
    const Scalar inv_p = inverse_norm(y_pred.row(r).squaredNorm());
    const Scalar inv_y = inverse_norm(y_true.row(r).squaredNorm());
    const Scalar cosine = y_true.row(r).dot(y_pred.row(r)) * inv_p * inv_y;
    // d/dp (-ŷ·p/|p|) = -(ŷ - cos p̂) / |p|
    grad.row(r) = -inv_n * inv_p * (y_true.row(r) * inv_y - cosine * inv_p * y_pred.row(r));
  }
}

// ---- names ----------------------------------------------------------------------------------------
namespace {

using LossFactory = std::function<std::shared_ptr<Loss>()>;

LossFactory elementwise(ElementwiseLossKind kind) {
  return [kind] { return std::make_shared<ElementwiseLoss>(kind); };
}

const std::vector<std::pair<std::string, LossFactory>>& named_losses() {
  using K = ElementwiseLossKind;
  static const std::vector<std::pair<std::string, LossFactory>> all = {
      {"mean_squared_error", elementwise(K::MeanSquaredError)},
      {"mse", elementwise(K::MeanSquaredError)},
      {"mean_absolute_error", elementwise(K::MeanAbsoluteError)},
      {"mae", elementwise(K::MeanAbsoluteError)},
      {"mean_absolute_percentage_error", elementwise(K::MeanAbsolutePercentageError)},
      {"mape", elementwise(K::MeanAbsolutePercentageError)},
      {"mean_squared_logarithmic_error", elementwise(K::MeanSquaredLogarithmicError)},
      {"msle", elementwise(K::MeanSquaredLogarithmicError)},
      {"hinge", elementwise(K::Hinge)},
      {"squared_hinge", elementwise(K::SquaredHinge)},
      {"categorical_hinge", [] { return std::make_shared<CategoricalHinge>(); }},
      {"log_cosh", elementwise(K::LogCosh)},
      {"logcosh", elementwise(K::LogCosh)},
      {"huber", elementwise(K::Huber)},
      {"huber_loss", elementwise(K::Huber)},
      {"binary_crossentropy", [] { return std::make_shared<BinaryCrossentropy>(); }},
      {"categorical_crossentropy", [] { return std::make_shared<CategoricalCrossentropy>(); }},
      {"sparse_categorical_crossentropy", [] { return std::make_shared<SparseCategoricalCrossentropy>(); }},
      {"kl_divergence", [] { return std::make_shared<KLDivergence>(); }},
      {"kld", [] { return std::make_shared<KLDivergence>(); }},
      {"kullback_leibler_divergence", [] { return std::make_shared<KLDivergence>(); }},
      {"poisson", elementwise(K::Poisson)},
      {"cosine_similarity", [] { return std::make_shared<CosineSimilarity>(); }},
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
