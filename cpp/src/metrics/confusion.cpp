// The metrics counted from a confusion table: the four counts (TruePositives, ...) and Precision
// and Recall at a threshold, and the area under the ROC curve over many thresholds. Every output is
// a binary decision.
#include <cmath>
#include <optional>

#include "fastmlp/metric.hpp"

namespace fastmlp {
namespace {

double ratio(double a, double b) { return b > 0 ? a / b : 0.0; }  // Keras's divide_no_nan

struct ConfusionOptions : MetricName {
  std::optional<double> thresholds;  // none: 0.5
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

void require_confusion_options(const ConfusionOptions& options, const char* who) {
  if (options.thresholds && !(*options.thresholds >= 0 && *options.thresholds <= 1))
    throw std::invalid_argument(std::string(who) + " thresholds must be one number in [0, 1], got " +
                                std::to_string(*options.thresholds));
  if (options.top_k || options.class_id)
    throw std::invalid_argument(std::string(who) + " top_k and class_id are not supported; leave them None");
}

struct PrecisionOptions : ConfusionOptions {
  PrecisionOptions() : ConfusionOptions("precision") {}
};
struct RecallOptions : ConfusionOptions {
  RecallOptions() : ConfusionOptions("recall") {}
};

// State: true positives, then false positives (Precision) or false negatives (Recall).
template <class Derived, class OptionsT, bool kPrecision>
class ThresholdedRatio : public NamedMetric<Derived, OptionsT> {
 public:
  int state_size() const override { return 2; }
  void accumulate(ConstMatrixMap y_pred, ConstMatrixMap y_true, double* state) const override {
    const Scalar threshold = static_cast<Scalar>(this->options_.thresholds.value_or(0.5));
    for (Index i = 0; i < y_pred.size(); ++i) {
      const bool predicted = y_pred.data()[i] > threshold, actual = y_true.data()[i] > Scalar(0.5);
      state[0] += predicted && actual;
      state[1] += kPrecision ? (predicted && !actual) : (!predicted && actual);
    }
  }
  double result(const double* state, double) const override { return ratio(state[0], state[0] + state[1]); }

 protected:
  explicit ThresholdedRatio(const OptionsT& options) : NamedMetric<Derived, OptionsT>(options) {
    require_confusion_options(options, Derived::kClassName);
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

// The options of a count: one threshold (Keras's default 0.5) and the name.
template <const char* DefaultName>
struct CountOptions : MetricName {
  std::optional<double> thresholds;  // none: 0.5
  CountOptions() : MetricName(DefaultName) {}

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("thresholds", self.thresholds);
    MetricName::fields(self, visit);
  }
};

// How many outputs fall in one cell of the confusion table (predicted > threshold against actual),
// summed over every output of every sample: Keras's TruePositives, FalsePositives, TrueNegatives
// and FalseNegatives. The value is the count itself, not a mean.
template <class Derived, const char* DefaultName, bool kPredicted, bool kActual>
class ConfusionCount : public NamedMetric<Derived, CountOptions<DefaultName>> {
 public:
  void accumulate(ConstMatrixMap y_pred, ConstMatrixMap y_true, double* state) const override {
    const Scalar threshold = static_cast<Scalar>(this->options_.thresholds.value_or(0.5));
    for (Index i = 0; i < y_pred.size(); ++i)
      state[0] += (y_pred.data()[i] > threshold) == kPredicted && (y_true.data()[i] > Scalar(0.5)) == kActual;
  }
  double result(const double* state, double) const override { return state[0]; }
  bool higher_is_better() const override { return kPredicted == kActual; }

 protected:
  explicit ConfusionCount(const CountOptions<DefaultName>& options)
      : NamedMetric<Derived, CountOptions<DefaultName>>(options) {
    if (options.thresholds && !(*options.thresholds >= 0 && *options.thresholds <= 1))
      throw std::invalid_argument(std::string(Derived::kClassName) + " thresholds must be one number in [0, 1], got " +
                                  std::to_string(*options.thresholds));
  }
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

  void accumulate(ConstMatrixMap y_pred, ConstMatrixMap y_true, double* state) const override {
    const Index count = options_.num_thresholds;
    for (Index i = 0; i < y_pred.size(); ++i) {
      double p = y_pred.data()[i];
      if (options_.from_logits) p = 1 / (1 + std::exp(-p));
      const bool actual = y_true.data()[i] > Scalar(0.5);
      for (Index t = 0; t < count; ++t) {
        const bool predicted = p > threshold(t);
        state[4 * t + (actual ? (predicted ? 0 : 3) : (predicted ? 1 : 2))] += 1;
      }
    }
  }

  double result(const double* state, double) const override {
    double area = 0;
    for (Index t = 0; t + 1 < options_.num_thresholds; ++t) {
      const double* a = state + 4 * t;
      const double* b = state + 4 * (t + 1);
      const double fpr_a = ratio(a[1], a[1] + a[2]), fpr_b = ratio(b[1], b[1] + b[2]);
      const double tpr_a = ratio(a[0], a[0] + a[3]), tpr_b = ratio(b[0], b[0] + b[3]);
      area += (fpr_a - fpr_b) * (tpr_a + tpr_b) / 2;
    }
    return area;
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
