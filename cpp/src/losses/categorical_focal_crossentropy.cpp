// CategoricalFocalCrossentropy (Lin et al. 2017), as Keras computes it over one-hot rows:
//   Σ_j alpha_j (1 - q_j)^gamma (-y_j log q_j),   q = p / Σp clipped to [1e-7, 1 - 1e-7],
// with p = softmax(output) under from_logits. alpha is one number for every class (Keras's 0.25) or
// a list of one per class. label_smoothing s trains on y (1 - s) + s / classes.
#include <algorithm>
#include <cmath>
#include <vector>

#include "loss_math.hpp"

namespace fastmlp {
namespace {

// Keras's alpha: a number for every class, or a list of one per class. Written back as given.
struct ClassAlpha {
  std::vector<double> values{0.25};
  bool per_class = false;

  Config to_config() const {
    if (!per_class) return Config(values.front());
    Config::Array items;
    for (double value : values) items.emplace_back(value);
    return items;
  }
  static ClassAlpha from_config(const Config& config, const std::string& what) {
    ClassAlpha alpha;
    if (!config.is_array()) {
      alpha.values = {config.as_number(what)};
      return alpha;
    }
    const Config::Array& items = config.as_array(what);
    if (items.empty()) throw ConfigError(what + " must be a number or a list of one number per class");
    alpha.per_class = true;
    alpha.values.clear();
    for (size_t i = 0; i < items.size(); ++i) alpha.values.push_back(items[i].as_number(what + "[" + std::to_string(i) + "]"));
    return alpha;
  }
};

struct CategoricalFocalCrossentropyOptions {
  ClassAlpha alpha;
  double gamma = 2.0;
  bool from_logits = false;
  double label_smoothing = 0.0;
  std::int64_t axis = -1;

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("alpha", self.alpha);
    visit("gamma", self.gamma);
    visit("from_logits", self.from_logits);
    visit("label_smoothing", self.label_smoothing);
    visit("axis", self.axis);
  }
};

class CategoricalFocalCrossentropy
    : public Described<CategoricalFocalCrossentropy, LossImpl<CategoricalFocalCrossentropy>,
                       CategoricalFocalCrossentropyOptions> {
 public:
  static constexpr const char* kClassName = "CategoricalFocalCrossentropy";

  explicit CategoricalFocalCrossentropy(const Options& options = {}) : Described(options) {
    require_label_smoothing(options.label_smoothing, kClassName);
    require_feature_axis(options.axis, kClassName);
    for (double alpha : options.alpha.values)
      if (!std::isfinite(alpha))
        throw std::invalid_argument("CategoricalFocalCrossentropy alpha must be finite, got " + number_text(alpha));
    if (!(options.gamma >= 0 && std::isfinite(options.gamma)))
      throw std::invalid_argument("CategoricalFocalCrossentropy gamma must be a finite number >= 0, got " +
                                  number_text(options.gamma));
  }

  template <class Scalar>
  void per_sample_of(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true, VectorRefOf<Scalar> out) const {
    require_alpha_width(y_pred.cols());
    const Index k = y_pred.cols();
    for (Index r = 0; r < y_pred.rows(); ++r) {
      const Row row = row_of(y_pred, r);
      // Under from_logits, p = softmax(z) = exp(z - log Σ e^z), the sum taken from the largest logit.
      double shift = 0;
      if (options_.from_logits) {
        const double top = static_cast<double>(y_pred.row(r).maxCoeff());
        double sum = 0;
        for (Index j = 0; j < k; ++j) sum += std::exp(static_cast<double>(y_pred(r, j)) - top);
        shift = top + std::log(sum);
      }
      double total = 0;
      for (Index j = 0; j < k; ++j) {
        const double p = options_.from_logits ? std::exp(static_cast<double>(y_pred(r, j)) - shift) : y_pred(r, j);
        const double q = clip(row.probability(p)), y = target(y_true(r, j), k);
        total += alpha(j) * std::pow(1 - q, options_.gamma) * (-y * std::log(q));
      }
      out(r) = static_cast<Scalar>(total);
    }
  }

  // With g_j = dL/dq_j (0 where q_j is clipped, as Keras's clip passes no gradient there):
  //   dL/dp_i = (g_i - Σ_j g_j q_j) / S         (q = p / S)
  //   dL/dz_i = p_i (dL/dp_i - Σ_j p_j dL/dp_j)  (p = softmax(z), under from_logits)
  // Every term is a function of p_i and numbers of the row, so the softmax is kept in the gradient's
  // own row and overwritten element by element.
  template <class Scalar>
  void gradient_of(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true, MatrixMapOf<Scalar> grad) const {
    require_alpha_width(y_pred.cols());
    const Index k = y_pred.cols();
    const double inv_n = 1.0 / static_cast<double>(y_pred.rows());
    for (Index r = 0; r < y_pred.rows(); ++r) {
      const Row row = row_of(y_pred, r);
      if (options_.from_logits) grad.row(r) = log_softmax(y_pred.row(r)).exp().matrix();
      const auto p = [&](Index j) { return static_cast<double>(options_.from_logits ? grad(r, j) : y_pred(r, j)); };
      const auto dq = [&](Index j) { return slope(row.probability(p(j)), target(y_true(r, j), k), alpha(j)); };
      double dot = 0;
      for (Index j = 0; j < k; ++j) dot += dq(j) * row.probability(p(j));
      const auto dp = [&](Index j) { return (dq(j) - dot) / row.sum; };
      double through = 0;
      if (options_.from_logits)
        for (Index j = 0; j < k; ++j) through += p(j) * dp(j);
      for (Index j = 0; j < k; ++j)
        grad(r, j) = static_cast<Scalar>(inv_n * (options_.from_logits ? p(j) * (dp(j) - through) : dp(j)));
    }
  }

  template <class Scalar>
  void check_targets_of(ConstMatrixMapOf<Scalar> y_true, Index output_units) const {
    Loss::check_targets_of(y_true, output_units);
    require_alpha_width(output_units);
  }

 private:
  // A row's probabilities q_j = p_j / S, with p the outputs or their softmax.
  struct Row {
    double sum;
    double probability(double p) const { return p / sum; }
  };
  template <class Scalar>
  Row row_of(ConstMatrixMapOf<Scalar> y_pred, Index r) const {
    return {options_.from_logits ? 1.0 : y_pred.row(r).template cast<double>().sum()};
  }

  static double clip(double q) { return std::min(std::max(q, 1e-7), 1 - 1e-7); }
  double alpha(Index j) const {
    return options_.alpha.per_class ? options_.alpha.values[static_cast<size_t>(j)] : options_.alpha.values.front();
  }
  double target(double y, Index classes) const {
    return y * (1 - options_.label_smoothing) + options_.label_smoothing / static_cast<double>(classes);
  }
  // d/dq of alpha (1 - q)^gamma (-y log q) at the unclipped q: 0 outside [epsilon, 1 - epsilon].
  double slope(double q, double y, double alpha) const {
    if (!(q > 1e-7 && q < 1 - 1e-7)) return 0;
    const double gamma = options_.gamma;
    return alpha * y * (gamma * std::pow(1 - q, gamma - 1) * std::log(q) - std::pow(1 - q, gamma) / q);
  }
  void require_alpha_width(Index classes) const {
    if (options_.alpha.per_class && static_cast<Index>(options_.alpha.values.size()) != classes)
      throw std::invalid_argument("CategoricalFocalCrossentropy alpha lists " +
                                  std::to_string(options_.alpha.values.size()) + " classes; the model has " +
                                  std::to_string(classes) + " outputs");
  }
};

FASTMLP_REGISTER(CategoricalFocalCrossentropy, "categorical_focal_crossentropy");

}  // namespace
}  // namespace fastmlp
