#include "fastmlp/metrics.hpp"

#include <stdexcept>

namespace fastmlp {
namespace {

Index argmax(const Eigen::Ref<const RowVector>& row) {
  Index best;
  row.maxCoeff(&best);
  return best;
}

}  // namespace

Metric Metric::resolve(const std::string& name, const Loss& loss, Index output_units) {
  if (name == "accuracy" || name == "acc") {
    if (output_units == 1 || loss.name() == "binary_crossentropy") return {name, Kind::BinaryAccuracy};
    if (loss.target_columns(output_units) == 1) return {name, Kind::SparseCategoricalAccuracy};
    return {name, Kind::CategoricalAccuracy};
  }
  if (name == "binary_accuracy") return {name, Kind::BinaryAccuracy};
  if (name == "categorical_accuracy") return {name, Kind::CategoricalAccuracy};
  if (name == "sparse_categorical_accuracy") return {name, Kind::SparseCategoricalAccuracy};
  if (name == "mse" || name == "mean_squared_error") return {name, Kind::MeanSquaredError};
  if (name == "mae" || name == "mean_absolute_error") return {name, Kind::MeanAbsoluteError};
  std::string valid;
  for (const auto& n : names()) valid += (valid.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown metric '" + name + "'; valid names are: " + valid);
}

std::vector<std::string> Metric::names() {
  return {"accuracy", "acc", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
          "mse", "mean_squared_error", "mae", "mean_absolute_error"};
}

double Metric::sum(ConstMatrixMap y_pred, ConstMatrixMap y_true) const {
  const Index n = y_pred.rows();
  double total = 0;
  switch (kind_) {
    case Kind::BinaryAccuracy:  // Keras: mean over outputs of (p > 0.5) == y
      return ((y_pred.array() > Scalar(0.5)).cast<Scalar>() == y_true.array()).cast<double>().sum() /
             static_cast<double>(y_pred.cols());
    case Kind::CategoricalAccuracy:
      for (Index r = 0; r < n; ++r) total += argmax(y_pred.row(r)) == argmax(y_true.row(r));
      return total;
    case Kind::SparseCategoricalAccuracy:
      for (Index r = 0; r < n; ++r) total += argmax(y_pred.row(r)) == static_cast<Index>(y_true(r, 0));
      return total;
    case Kind::MeanSquaredError:
      return (y_pred - y_true).squaredNorm() / static_cast<double>(y_pred.cols());
    case Kind::MeanAbsoluteError:
      return (y_pred - y_true).cwiseAbs().sum() / static_cast<double>(y_pred.cols());
  }
  return total;
}

}  // namespace fastmlp
