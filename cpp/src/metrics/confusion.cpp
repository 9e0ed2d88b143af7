// The metrics counted from a confusion table: the four counts (TruePositives, ...) and Precision
// and Recall at one threshold or a list of them (one value per threshold), and the area under the
// ROC curve over many thresholds. Every output is a binary decision; a label is positive when it is
// not 0 (Keras casts labels to bool).
#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

#include "fastmlp/metric.hpp"

namespace fastmlp {
namespace {

double ratio(double a, double b) { return b > 0 ? a / b : 0.0; }  // Keras's divide_no_nan
template <class Scalar>
bool positive_label(Scalar y) { return y != 0; }

// Keras's `thresholds`: none (0.5), one number, or a list of numbers, kept in the form given so
// that the config gives it back as Keras's get_config does (a number stays a number, a list of one
// stays a list).
struct Thresholds {
  std::vector<double> values;  // empty when none was given
  bool list = false;           // given as a list

  Config to_config() const {
    if (!list) return values.empty() ? Config() : Config(values[0]);
    Config::Array items(values.begin(), values.end());
    return items;
  }
  static Thresholds from_config(const Config& config, const std::string& what) {
    Thresholds out;
    if (config.is_null()) return out;
    if (!config.is_array()) {
      if (!config.is_number())
        throw ConfigTypeError(what + " must be a number in [0, 1], a list of them, or None");
      out.values.push_back(config.as_number(what));
      return out;
    }
    out.list = true;
    const Config::Array& items = config.as_array(what);
    for (size_t i = 0; i < items.size(); ++i) out.values.push_back(items[i].as_number(what + "[" + std::to_string(i) + "]"));
    return out;
  }
};

// How Keras decides that an output is predicted positive at each of its thresholds, precomputed when
// the metric is made so that the loop only compares. Keras tests y_pred > threshold in float32,
// except for thresholds evenly spaced over [0, 1] (three or more: i / (n - 1)), where it clips y_pred
// to [0, 1] and puts it in bucket ceil(y_pred (n - 1)) - 1, positive at the thresholds up to that
// bucket. The two agree but for y_pred > 1 at threshold 1 (clipped, so never above it) and
// rounding. cell() reproduces both: positive at threshold t when y_pred > cutoffs_[t] (the threshold),
// or, evenly spaced, when ceil(clip(y_pred, 0, 1) (n - 1)) > cutoffs_[t] (the threshold's index t).
class ThresholdRule {
 public:
  ThresholdRule(const Thresholds& thresholds, const char* who) {
    if (thresholds.list && thresholds.values.empty())
      throw std::invalid_argument(std::string(who) + " thresholds must hold at least one number in [0, 1]; got []");
    // As AUC's num_thresholds: every output is compared with every threshold, batch after batch.
    if (thresholds.values.size() > 100000)
      throw std::invalid_argument(std::string(who) + " thresholds holds " + std::to_string(thresholds.values.size()) +
                                  " numbers; at most 100000");
    for (size_t i = 0; i < thresholds.values.size(); ++i) {
      const double t = thresholds.values[i];
      if (!(t >= 0 && t <= 1))
        throw std::invalid_argument(std::string(who) + " thresholds must be in [0, 1]; got " +
                                    (std::isnan(t) ? std::string("nan") : Config(t).dump()) +  // shortest: 1.5
                                    (thresholds.list ? " at index " + std::to_string(i) : std::string()));
    }
    const std::vector<double> values = thresholds.values.empty() ? std::vector<double>{0.5} : thresholds.values;
    const size_t n = values.size();
    // Keras's is_evenly_distributed_thresholds: np.allclose(thresholds, arange(n, float32) / (n - 1), atol=1e-7).
    evenly_ = n >= 3;
    for (size_t i = 0; i < n && evenly_; ++i) {
      const double even = static_cast<float>(i) / static_cast<float>(n - 1);
      evenly_ = std::abs(values[i] - even) <= 1e-7 + 1e-5 * std::abs(even);
    }
    scale_ = static_cast<double>(n - 1);
    for (size_t i = 0; i < n; ++i) cutoffs_.push_back(evenly_ ? static_cast<double>(i) : values[i]);
  }

  Index size() const { return static_cast<Index>(cutoffs_.size()); }

  // How many outputs fall in one cell of the confusion table at threshold t: predicted positive or
  // not, against a label positive or not. One vectorised pass over the batch per cell, without a
  // branch per output (on random labels one mispredicts half the time).
  // Compared in the model's scalar type: the cutoffs and the scale are rounded to it.
  template <class Scalar>
  double cell(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true, Index t, bool predicted,
              bool actual) const {
    using Flat = Eigen::Map<const Eigen::Array<Scalar, Eigen::Dynamic, 1>>;
    const Flat p(y_pred.data(), y_pred.size()), y(y_true.data(), y_true.size());
    const Scalar cutoff = static_cast<Scalar>(cutoffs_[static_cast<size_t>(t)]);
    // ceil(v) > t is v > t for a whole t, and clipping at 0 changes nothing against t >= 0.
    if (evenly_)
      return count(p.min(Scalar(1)) * static_cast<Scalar>(scale_) > cutoff, y != Scalar(0), predicted, actual);
    return count(p > cutoff, y != Scalar(0), predicted, actual);
  }

 private:
  template <class Positive, class Labels>
  static double count(const Positive& positive, const Labels& labels, bool predicted, bool actual) {
    if (predicted) return static_cast<double>(actual ? (positive && labels).count() : (positive && !labels).count());
    return static_cast<double>(actual ? (!positive && labels).count() : (!positive && !labels).count());
  }

  bool evenly_ = false;
  double scale_ = 0;             // n - 1, a whole number
  std::vector<double> cutoffs_;  // (thresholds,): the thresholds, or their indices when evenly spaced
};

// What the confusion metrics share: the threshold rule, made and validated from the options (the
// same checks for a constructor call and a config read from a model file), and one value per threshold.
template <class Derived, class OptionsT>
class ThresholdedMetric : public NamedMetric<Derived, OptionsT> {
 public:
  int result_size() const override { return static_cast<int>(rule_.size()); }

 protected:
  explicit ThresholdedMetric(const OptionsT& options)
      : NamedMetric<Derived, OptionsT>(options), rule_(options.thresholds, Derived::kClassName) {}

  ThresholdRule rule_;
};

struct ConfusionOptions : MetricName {
  Thresholds thresholds;  // none: 0.5
  std::optional<std::int64_t> top_k;
  std::optional<std::int64_t> class_id;
  explicit ConfusionOptions(std::string name) : MetricName(std::move(name)) {}

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("thresholds", self.thresholds);
    visit("top_k", self.top_k);
    visit("class_id", self.class_id);
    MetricName::fields(self, visit);
  }
};

struct PrecisionOptions : ConfusionOptions {
  PrecisionOptions() : ConfusionOptions("precision") {}
};
struct RecallOptions : ConfusionOptions {
  RecallOptions() : ConfusionOptions("recall") {}
};

// State: true positives per threshold, then false positives (Precision) or false negatives (Recall)
// per threshold.
template <class Derived, class OptionsT, bool kPrecision>
class ThresholdedRatio : public ThresholdedMetric<Derived, OptionsT> {
 public:
  int state_size() const override { return static_cast<int>(2 * this->rule_.size()); }
  template <class Scalar>
  void accumulate_of(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true, double* state) const {
    const ThresholdRule& rule = this->rule_;
    const Index n = rule.size();
    for (Index t = 0; t < n; ++t) {
      state[t] += rule.cell(y_pred, y_true, t, true, true);
      // Precision: the predicted positives that are not; Recall: the positives not predicted.
      state[n + t] += kPrecision ? rule.cell(y_pred, y_true, t, true, false) : rule.cell(y_pred, y_true, t, false, true);
    }
  }
  void result(const double* state, double, double* values) const override {
    const Index n = this->rule_.size();
    for (Index t = 0; t < n; ++t) values[t] = ratio(state[t], state[t] + state[n + t]);
  }

 protected:
  explicit ThresholdedRatio(const OptionsT& options) : ThresholdedMetric<Derived, OptionsT>(options) {
    if (options.top_k || options.class_id)
      throw std::invalid_argument(std::string(Derived::kClassName) + " top_k and class_id are not supported; leave them None");
  }
};

class Precision : public ThresholdedRatio<Precision, PrecisionOptions, true> {
 public:
  static constexpr const char* kClassName = "Precision";
  explicit Precision(const Options& options = {}) : ThresholdedRatio(options) {}
};

class Recall : public ThresholdedRatio<Recall, RecallOptions, false> {
 public:
  static constexpr const char* kClassName = "Recall";
  explicit Recall(const Options& options = {}) : ThresholdedRatio(options) {}
};

// The options of a count: the thresholds (Keras's default 0.5) and the name.
template <const char* DefaultName>
struct CountOptions : MetricName {
  Thresholds thresholds;  // none: 0.5
  CountOptions() : MetricName(DefaultName) {}

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("thresholds", self.thresholds);
    MetricName::fields(self, visit);
  }
};

// How many outputs fall in one cell of the confusion table (predicted positive against actual) at
// each threshold, summed over every output of every sample: Keras's TruePositives, FalsePositives,
// TrueNegatives and FalseNegatives. The value is the count itself, not a mean.
template <class Derived, const char* DefaultName, bool kPredicted, bool kActual>
class ConfusionCount : public ThresholdedMetric<Derived, CountOptions<DefaultName>> {
 public:
  int state_size() const override { return static_cast<int>(this->rule_.size()); }
  template <class Scalar>
  void accumulate_of(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true, double* state) const {
    for (Index t = 0; t < this->rule_.size(); ++t) state[t] += this->rule_.cell(y_pred, y_true, t, kPredicted, kActual);
  }
  void result(const double* state, double, double* values) const override {
    std::copy(state, state + this->rule_.size(), values);
  }
  bool higher_is_better() const override { return kPredicted == kActual; }

 protected:
  explicit ConfusionCount(const CountOptions<DefaultName>& options)
      : ThresholdedMetric<Derived, CountOptions<DefaultName>>(options) {}
};

constexpr char kTruePositives[] = "true_positives";
constexpr char kFalsePositives[] = "false_positives";
constexpr char kTrueNegatives[] = "true_negatives";
constexpr char kFalseNegatives[] = "false_negatives";

class TruePositives : public ConfusionCount<TruePositives, kTruePositives, true, true> {
 public:
  static constexpr const char* kClassName = "TruePositives";
  explicit TruePositives(const Options& options = {}) : ConfusionCount(options) {}
};

class FalsePositives : public ConfusionCount<FalsePositives, kFalsePositives, true, false> {
 public:
  static constexpr const char* kClassName = "FalsePositives";
  explicit FalsePositives(const Options& options = {}) : ConfusionCount(options) {}
};

class TrueNegatives : public ConfusionCount<TrueNegatives, kTrueNegatives, false, false> {
 public:
  static constexpr const char* kClassName = "TrueNegatives";
  explicit TrueNegatives(const Options& options = {}) : ConfusionCount(options) {}
};

class FalseNegatives : public ConfusionCount<FalseNegatives, kFalseNegatives, false, true> {
 public:
  static constexpr const char* kClassName = "FalseNegatives";
  explicit FalseNegatives(const Options& options = {}) : ConfusionCount(options) {}
};

struct AUCOptions : MetricName {
  std::int64_t num_thresholds = 200;
  std::string curve = "ROC";
  std::string summation_method = "interpolation";
  bool from_logits = false;
  AUCOptions() : MetricName("auc") {}

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("num_thresholds", self.num_thresholds);
    visit("curve", self.curve);
    visit("summation_method", self.summation_method);
    MetricName::fields(self, visit);
    visit("from_logits", self.from_logits);
  }
};

// The ROC curve's area by the trapezoid rule over num_thresholds thresholds: evenly spaced in
// (0, 1), plus one just below 0 and one just above 1 (Keras's "interpolation").
class AUC : public NamedMetric<AUC, AUCOptions> {
 public:
  static constexpr const char* kClassName = "AUC";
  explicit AUC(const Options& options = {}) : NamedMetric(options) {
    if (options.num_thresholds < 2 || options.num_thresholds > 100000)
      throw std::invalid_argument("AUC num_thresholds must be in [2, 100000], got " +
                                  std::to_string(options.num_thresholds));
    if (options.curve != "ROC")
      throw std::invalid_argument("AUC curve '" + options.curve + "' is not supported; use 'ROC'");
    if (options.summation_method != "interpolation")
      throw std::invalid_argument("AUC summation_method '" + options.summation_method +
                                  "' is not supported; use 'interpolation'");
  }

  // Per threshold: true positives, false positives, true negatives, false negatives.
  int state_size() const override { return static_cast<int>(4 * options_.num_thresholds); }

  template <class Scalar>
  void accumulate_of(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true, double* state) const {
    const Index count = options_.num_thresholds;
    for (Index i = 0; i < y_pred.size(); ++i) {
      double p = y_pred.data()[i];
      if (options_.from_logits) p = 1 / (1 + std::exp(-p));
      const bool actual = positive_label(y_true.data()[i]);
      for (Index t = 0; t < count; ++t) {
        const bool predicted = p > threshold(t);
        state[4 * t + (actual ? (predicted ? 0 : 3) : (predicted ? 1 : 2))] += 1;
      }
    }
  }

  void result(const double* state, double, double* values) const override {
    double area = 0;
    for (Index t = 0; t + 1 < options_.num_thresholds; ++t) {
      const double* a = state + 4 * t;
      const double* b = state + 4 * (t + 1);
      const double fpr_a = ratio(a[1], a[1] + a[2]), fpr_b = ratio(b[1], b[1] + b[2]);
      const double tpr_a = ratio(a[0], a[0] + a[3]), tpr_b = ratio(b[0], b[0] + b[3]);
      area += (fpr_a - fpr_b) * (tpr_a + tpr_b) / 2;
    }
    values[0] = area;
  }

 private:
  double threshold(Index i) const {
    const Index count = options_.num_thresholds;
    if (i == 0) return -1e-7;
    if (i == count - 1) return 1 + 1e-7;
    return static_cast<double>(i) / static_cast<double>(count - 1);
  }
};

FASTMLP_REGISTER(TruePositives, "true_positives");
FASTMLP_REGISTER(FalsePositives, "false_positives");
FASTMLP_REGISTER(TrueNegatives, "true_negatives");
FASTMLP_REGISTER(FalseNegatives, "false_negatives");
FASTMLP_REGISTER(Precision, "precision");
FASTMLP_REGISTER(Recall, "recall");
FASTMLP_REGISTER(AUC, "auc");

}  // namespace
}  // namespace fastmlp
