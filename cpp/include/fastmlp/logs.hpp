// What training and evaluation report: named values in a fixed order ("loss", then each output's
// loss with several outputs, then each metric; fit's validation adds their "val_" counterparts).
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace fastmlp {

// One log's value: a number (a loss, an accuracy), or one number per threshold for a confusion
// metric (TruePositives, Precision, ...) given a list of two or more thresholds, which Keras logs as
// a vector. Sized once, before the loop; writing into it allocates nothing.
class LogValue {
 public:
  LogValue(double number = 0) : values_(1, number) {}  // NOLINT: a number is a log value
  // A vector of `size` values (size 1: a number, as Keras reports a list of one threshold).
  static LogValue of_size(std::size_t size) {
    LogValue value;
    value.values_.assign(size, 0.0);
    return value;
  }

  bool is_vector() const { return values_.size() != 1; }
  // The number; a vector has none (read values()).
  double number() const {
    if (is_vector())
      throw std::logic_error("this log holds " + std::to_string(values_.size()) + " values, one per threshold; read values()");
    return values_[0];
  }
  const std::vector<double>& values() const { return values_; }
  double* data() { return values_.data(); }

  bool operator==(const LogValue& other) const { return values_ == other.values_; }
  bool operator!=(const LogValue& other) const { return values_ != other.values_; }

 private:
  std::vector<double> values_;  // (1,) for a number, (thresholds,) for a vector
};

using Logs = std::vector<std::pair<std::string, LogValue>>;

}  // namespace fastmlp
