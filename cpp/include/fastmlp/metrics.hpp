// Metrics with Keras's names, accumulated over an epoch (or an evaluation) batch by batch.
#pragma once

#include <string>
#include <vector>

#include "fastmlp/losses.hpp"

namespace fastmlp {

class Metric {
 public:
  enum class Kind {
    BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy, TopKCategoricalAccuracy,
    MeanSquaredError, MeanAbsoluteError, Precision, Recall, AUC
  };

  // `name` is the key the user wrote and the history shows; "accuracy"/"acc" resolve to the
  // binary, categorical or sparse variant from the loss and the output width, as Keras does.
  // "top_k_categorical_accuracy" counts the true class among the 5 highest scores, Keras's default;
  // "top_k_categorical_accuracy(k=3)" sets another k.
  // Throws std::invalid_argument listing the valid names when `name` is unknown.
  static Metric resolve(const std::string& name, const Loss& loss, Index output_units);
  static std::vector<std::string> names();

  const std::string& name() const { return name_; }
  Kind kind() const { return kind_; }
  int k() const { return k_; }  // top_k_categorical_accuracy only

  // Each metric keeps a few running totals ("state"): a sum of per-sample scores for the means,
  // true/false positive counts for precision and recall, a confusion count per threshold for AUC.
  int state_size() const;
  void accumulate(ConstMatrixMap y_pred, ConstMatrixMap y_true, double* state) const;
  // The metric's value from its state after `samples` samples.
  double result(const double* state, double samples) const;

 private:
  Metric(std::string name, Kind kind, int k = kDefaultTopK) : name_(std::move(name)), kind_(kind), k_(k) {}
  static constexpr int kDefaultTopK = 5;  // Keras's default k
  std::string name_;
  Kind kind_;
  int k_;
};

}  // namespace fastmlp
