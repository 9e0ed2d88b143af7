// The accuracy metrics: the fraction of samples (or of outputs) predicted right.
#include <cmath>

#include "fastmlp/metric.hpp"

namespace fastmlp {
namespace {

template <class Scalar>
Index argmax(const Eigen::Ref<const RowVectorOf<Scalar>>& row) {
  Index best;
  row.maxCoeff(&best);
  return best;
}

struct ThresholdOptions : MetricName {
  double threshold = 0.5;
  ThresholdOptions() : MetricName("binary_accuracy") {}

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    MetricName::fields(self, visit);
    visit("threshold", self.threshold);
  }
};

// BinaryAccuracy: the mean over outputs of (p > threshold) == y.
class BinaryAccuracy : public NamedMetric<BinaryAccuracy, ThresholdOptions> {
 public:
  static constexpr const char* kClassName = "BinaryAccuracy";
  explicit BinaryAccuracy(const Options& options = {}) : NamedMetric(options) {
    if (!std::isfinite(options.threshold))
      throw std::invalid_argument("BinaryAccuracy threshold must be finite, got " + std::to_string(options.threshold));
  }
  template <class Scalar>
  void accumulate_of(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true, double* state) const {
    const Scalar threshold = static_cast<Scalar>(options_.threshold);
    state[0] += ((y_pred.array() > threshold).template cast<Scalar>() == y_true.array()).template cast<double>().sum() /
                static_cast<double>(y_pred.cols());
  }
};

constexpr char kCategoricalAccuracy[] = "categorical_accuracy";
constexpr char kSparseCategoricalAccuracy[] = "sparse_categorical_accuracy";
constexpr char kAccuracy[] = "accuracy";

// CategoricalAccuracy: argmax(p) == argmax(y) for one-hot rows.
class CategoricalAccuracy : public NamedMetric<CategoricalAccuracy, NameOnly<kCategoricalAccuracy>> {
 public:
  static constexpr const char* kClassName = "CategoricalAccuracy";
  explicit CategoricalAccuracy(const Options& options = {}) : NamedMetric(options) {}
  template <class Scalar>
  void accumulate_of(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true, double* state) const {
    for (Index r = 0; r < y_pred.rows(); ++r) state[0] += argmax<Scalar>(y_pred.row(r)) == argmax<Scalar>(y_true.row(r));
  }
};

// SparseCategoricalAccuracy: argmax(p) == the integer label.
class SparseCategoricalAccuracy : public NamedMetric<SparseCategoricalAccuracy, NameOnly<kSparseCategoricalAccuracy>> {
 public:
  static constexpr const char* kClassName = "SparseCategoricalAccuracy";
  explicit SparseCategoricalAccuracy(const Options& options = {}) : NamedMetric(options) {}
  template <class Scalar>
  void accumulate_of(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true, double* state) const {
    // Compared as floats: converting a label that is not a valid index (NaN, 1e30) to an integer is
    // undefined behaviour, and y_true may have changed since it was checked.
    for (Index r = 0; r < y_pred.rows(); ++r)
      state[0] += static_cast<Scalar>(argmax<Scalar>(y_pred.row(r))) == y_true(r, 0);
  }

  bool reads_labels() const override { return true; }
};

struct TopKOptions : MetricName {
  std::int64_t k = 5;
  TopKOptions() : MetricName("top_k_categorical_accuracy") {}

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("k", self.k);
    MetricName::fields(self, visit);
  }
};

// TopKCategoricalAccuracy: the true class is among the k highest scores.
class TopKCategoricalAccuracy : public NamedMetric<TopKCategoricalAccuracy, TopKOptions> {
 public:
  static constexpr const char* kClassName = "TopKCategoricalAccuracy";
  explicit TopKCategoricalAccuracy(const Options& options = {}) : NamedMetric(options) {
    if (options.k < 1) throw std::invalid_argument("TopKCategoricalAccuracy k must be >= 1, got " + std::to_string(options.k));
  }
  template <class Scalar>
  void accumulate_of(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true, double* state) const {
    for (Index r = 0; r < y_pred.rows(); ++r) {
      // In the top k when fewer than k classes score strictly higher than the true one.
      const Scalar target = y_pred(r, argmax<Scalar>(y_true.row(r)));
      state[0] += (y_pred.row(r).array() > target).count() < options_.k;
    }
  }
};

// "accuracy": the binary, categorical or sparse accuracy that the loss and the output width call
// for, as Keras resolves the string "accuracy"; shown under this metric's name.
class Accuracy : public NamedMetric<Accuracy, NameOnly<kAccuracy>> {
 public:
  static constexpr const char* kClassName = "Accuracy";
  explicit Accuracy(const Options& options = {}) : NamedMetric(options) {}

  MetricPtr resolved_for(const MetricPtr&, const Loss& loss, Index output_units) const override {
    if (output_units == 1 || loss.class_name() == "BinaryCrossentropy") {
      ThresholdOptions options;
      options.name = name();
      return std::make_shared<BinaryAccuracy>(options);
    }
    if (loss.target_columns(output_units) == 1) {
      SparseCategoricalAccuracy::Options options;
      options.name = name();
      return std::make_shared<SparseCategoricalAccuracy>(options);
    }
    CategoricalAccuracy::Options options;
    options.name = name();
    return std::make_shared<CategoricalAccuracy>(options);
  }
  template <class Scalar>
  void accumulate_of(ConstMatrixMapOf<Scalar>, ConstMatrixMapOf<Scalar>, double*) const {
    throw std::logic_error("Accuracy is resolved to a concrete accuracy before it accumulates");
  }
};

FASTMLP_REGISTER(Accuracy, "accuracy", "acc");
FASTMLP_REGISTER(BinaryAccuracy, "binary_accuracy");
FASTMLP_REGISTER(CategoricalAccuracy, "categorical_accuracy");
FASTMLP_REGISTER(SparseCategoricalAccuracy, "sparse_categorical_accuracy");
FASTMLP_REGISTER(TopKCategoricalAccuracy, "top_k_categorical_accuracy");

}  // namespace
}  // namespace fastmlp
