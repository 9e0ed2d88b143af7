// Metrics: per-sample scores averaged over an epoch, with Keras's names.
#pragma once

#include <string>
#include <vector>

#include "fastmlp/losses.hpp"

namespace fastmlp {

class Metric {
 public:
  enum class Kind { BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy, MeanSquaredError, MeanAbsoluteError };

  // `name` is the key the user wrote and the history shows; "accuracy"/"acc" resolve to the
  // binary, categorical or sparse variant from the loss and the output width, as Keras does.
  // Throws std::invalid_argument listing the valid names when `name` is unknown.
  static Metric resolve(const std::string& name, const Loss& loss, Index output_units);
  static std::vector<std::string> names();

  const std::string& name() const { return name_; }
  Kind kind() const { return kind_; }

  // Sum over rows of the per-sample score; divided by the row count it is the metric's value.
  double sum(ConstMatrixMap y_pred, ConstMatrixMap y_true) const;

 private:
  Metric(std::string name, Kind kind) : name_(std::move(name)), kind_(kind) {}
  std::string name_;
  Kind kind_;
};

}  // namespace fastmlp
