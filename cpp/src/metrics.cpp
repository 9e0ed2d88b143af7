#include "fastmlp/metrics.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <string_view>

namespace fastmlp {
namespace {

Index argmax(const Eigen::Ref<const RowVector>& row) {
  Index best;
  row.maxCoeff(&best);
  return best;
}

// Keras's AUC: 200 thresholds evenly spaced in (0, 1), plus one just below 0 and one just above 1.
constexpr int kAucThresholds = 200;
double auc_threshold(int i) {
  if (i == 0) return -1e-7;
  if (i == kAucThresholds - 1) return 1 + 1e-7;
  return static_cast<double>(i) / (kAucThresholds - 1);
}

constexpr std::string_view kTopKName = "top_k_categorical_accuracy";

// k from "top_k_categorical_accuracy(k=<positive integer>)", or 0 when `name` has another form.
int parse_top_k(const std::string& name) {
  const std::string prefix = std::string(kTopKName) + "(k=";
  if (name.size() <= prefix.size() + 1 || name.compare(0, prefix.size(), prefix) != 0 || name.back() != ')') return 0;
  const std::string digits = name.substr(prefix.size(), name.size() - prefix.size() - 1);
  if (digits.empty() || digits.size() > 6 || digits.find_first_not_of("0123456789") != std::string::npos) return 0;
  return std::stoi(digits);
}

}  // namespace

Metric Metric::resolve(const std::string& name, const Loss& loss, Index output_units) {
  if (name == "accuracy" || name == "acc") {
    if (output_units == 1 || loss.name() == "binary_crossentropy") return {name, Kind::BinaryAccuracy};
    if (loss.target_columns(output_units) == 1) return {name, Kind::SparseCategoricalAccuracy};
    return {name, Kind::CategoricalAccuracy};
  }
  static const std::vector<std::pair<std::string, Kind>> named = {
      {"binary_accuracy", Kind::BinaryAccuracy},
      {"categorical_accuracy", Kind::CategoricalAccuracy},
      {"sparse_categorical_accuracy", Kind::SparseCategoricalAccuracy},
      {"top_k_categorical_accuracy", Kind::TopKCategoricalAccuracy},
      {"mse", Kind::MeanSquaredError},
      {"mean_squared_error", Kind::MeanSquaredError},
      {"mae", Kind::MeanAbsoluteError},
      {"mean_absolute_error", Kind::MeanAbsoluteError},
      {"precision", Kind::Precision},
      {"recall", Kind::Recall},
      {"auc", Kind::AUC},
  };
  const int top_k = parse_top_k(name);
  for (const auto& [key, kind] : named) {
    if (key != name && !(top_k > 0 && key == kTopKName)) continue;
    // Every metric but the sparse one compares each output with its own target, so it needs one
    // target column per output; the sparse one needs a single label column.
    const Index target_columns = loss.target_columns(output_units);
    if (kind != Kind::SparseCategoricalAccuracy && target_columns != output_units)
      throw std::invalid_argument("metric '" + name + "' needs one target per output, but " + loss.name() +
                                  " takes a single label column; use 'accuracy' or 'sparse_categorical_accuracy'");
    if (kind == Kind::SparseCategoricalAccuracy && target_columns != 1)
      throw std::invalid_argument("metric '" + name + "' needs integer labels (one target column); with " +
                                  loss.name() + " use 'accuracy' or 'categorical_accuracy'");
    return top_k > 0 ? Metric(name, kind, top_k) : Metric(name, kind);
  }
  std::string valid;
  for (const auto& n : names()) valid += (valid.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown metric '" + name + "'; valid names are: " + valid +
                              " (and top_k_categorical_accuracy(k=K) for K >= 1 other than 5)");
}

std::vector<std::string> Metric::names() {
  return {"accuracy", "acc", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
          "top_k_categorical_accuracy", "mse", "mean_squared_error", "mae", "mean_absolute_error",
          "precision", "recall", "auc"};
}

int Metric::state_size() const {
  switch (kind_) {
    case Kind::Precision:
    case Kind::Recall: return 2;
    case Kind::AUC: return 4 * kAucThresholds;
    default: return 1;
  }
}

void Metric::accumulate(ConstMatrixMap y_pred, ConstMatrixMap y_true, double* state) const {
  const Index n = y_pred.rows();
  const double cols = static_cast<double>(y_pred.cols());
  switch (kind_) {
    case Kind::BinaryAccuracy:  // Keras: mean over outputs of (p > 0.5) == y
      state[0] += ((y_pred.array() > Scalar(0.5)).cast<Scalar>() == y_true.array()).cast<double>().sum() / cols;
      return;
    case Kind::CategoricalAccuracy:
      for (Index r = 0; r < n; ++r) state[0] += argmax(y_pred.row(r)) == argmax(y_true.row(r));
      return;
    case Kind::SparseCategoricalAccuracy:
      for (Index r = 0; r < n; ++r) state[0] += argmax(y_pred.row(r)) == static_cast<Index>(y_true(r, 0));
      return;
    case Kind::TopKCategoricalAccuracy:
      for (Index r = 0; r < n; ++r) {
        // In the top k when fewer than k classes score strictly higher than the true one.
        const Scalar target = y_pred(r, argmax(y_true.row(r)));
        state[0] += (y_pred.row(r).array() > target).count() < k_;
      }
      return;
    case Kind::MeanSquaredError: state[0] += (y_pred - y_true).squaredNorm() / cols; return;
    case Kind::MeanAbsoluteError: state[0] += (y_pred - y_true).cwiseAbs().sum() / cols; return;
    case Kind::Precision:  // state: true positives, false positives (every output a binary decision)
    case Kind::Recall:     // state: true positives, false negatives
      for (Index i = 0; i < y_pred.size(); ++i) {
        const bool predicted = y_pred.data()[i] > Scalar(0.5), actual = y_true.data()[i] > Scalar(0.5);
        state[0] += predicted && actual;
        state[1] += kind_ == Kind::Precision ? (predicted && !actual) : (!predicted && actual);
      }
      return;
    case Kind::AUC:  // state: per threshold, true positives, false positives, true negatives, false negatives
      for (Index i = 0; i < y_pred.size(); ++i) {
        const double p = y_pred.data()[i];
        const bool actual = y_true.data()[i] > Scalar(0.5);
        for (int t = 0; t < kAucThresholds; ++t) {
          const bool predicted = p > auc_threshold(t);
          state[4 * t + (actual ? (predicted ? 0 : 3) : (predicted ? 1 : 2))] += 1;
        }
      }
      return;
  }
}

double Metric::result(const double* state, double samples) const {
  auto ratio = [](double a, double b) { return b > 0 ? a / b : 0.0; };  // Keras's divide_no_nan
  switch (kind_) {
    case Kind::Precision:
    case Kind::Recall: return ratio(state[0], state[0] + state[1]);
    case Kind::AUC: {
      // The ROC curve's area by the trapezoid rule over the thresholds (Keras's "interpolation").
      double area = 0;
      for (int t = 0; t + 1 < kAucThresholds; ++t) {
        const double* a = state + 4 * t;
        const double* b = state + 4 * (t + 1);
        const double fpr_a = ratio(a[1], a[1] + a[2]), fpr_b = ratio(b[1], b[1] + b[2]);
        const double tpr_a = ratio(a[0], a[0] + a[3]), tpr_b = ratio(b[0], b[0] + b[3]);
        area += (fpr_a - fpr_b) * (tpr_a + tpr_b) / 2;
      }
      return area;
    }
    default: return ratio(state[0], samples);
  }
}

}  // namespace fastmlp
