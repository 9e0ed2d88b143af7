#include "fastmlp/layers/normalization.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace fastmlp {
namespace {

constexpr double kEpsilon = 1e-7;  // Keras's backend.epsilon()

}  // namespace

template <class Scalar>
NormalizationOf<Scalar>::NormalizationOf(const Options& options) : DescribedBase(options) {
  if (options.axis && *options.axis != -1 && *options.axis != 1)
    throw std::invalid_argument("Normalization axis must be -1, 1 (per feature) or None (one statistic), got " +
                                std::to_string(*options.axis));
  if (options.mean.has_value() != options.variance.has_value())
    throw std::invalid_argument("Normalization needs both mean and variance, or neither (then call adapt())");
  if (options.mean) {
    if (options.mean->empty() || options.variance->empty())
      throw std::invalid_argument("Normalization mean and variance must not be empty");
    for (const double v : *options.variance)
      if (!(v >= 0) || !std::isfinite(v))
        throw std::invalid_argument("Normalization variance must be finite and >= 0, got " + std::to_string(v));
    for (const double m : *options.mean)
      if (!std::isfinite(m)) throw std::invalid_argument("Normalization mean must be finite");
  }
}

template <class Scalar>
void NormalizationOf<Scalar>::on_build(Rng&) {
  const Index stats = options_.axis ? width_ : 1;
  mean_.setZero(1, stats);
  variance_.setOnes(1, stats);
  count_.setZero(1, 1);
  if (given()) {
    const auto fill = [&](const std::vector<double>& values, RowMatrixOf<Scalar>& target, const char* what) {
      if (values.size() != 1 && static_cast<Index>(values.size()) != stats)
        throw std::invalid_argument(std::string("Normalization ") + what + " has " + std::to_string(values.size()) +
                                    " values; the layer's input has " + std::to_string(width_) + " features");
      for (Index j = 0; j < stats; ++j) target(0, j) = static_cast<Scalar>(values[values.size() == 1 ? 0 : j]);
    };
    fill(*options_.mean, mean_, "mean");
    fill(*options_.variance, variance_, "variance");
  }
}

// Read from the statistics on every pass: loading weights or set_weights may have changed them.
template <class Scalar>
void NormalizationOf<Scalar>::statistics(RowVectorOf<Scalar>& mean_row, RowVectorOf<Scalar>& scale) const {
  mean_row.resize(width_);
  scale.resize(width_);
  for (Index j = 0; j < width_; ++j) {
    const Index s = mean_.cols() == 1 ? 0 : j;
    const double spread = std::max(std::sqrt(static_cast<double>(variance_(0, s))), kEpsilon);
    mean_row(j) = mean_(0, s);
    scale(j) = static_cast<Scalar>(options_.invert ? spread : 1 / spread);
  }
}

template <class Scalar>
void NormalizationOf<Scalar>::apply(ConstMatrixMapOf<Scalar> input, MatrixMapOf<Scalar> output, const RowVectorOf<Scalar>& mean_row, const RowVectorOf<Scalar>& scale) const {
  if (options_.invert)
    output = (input.array().rowwise() * scale.array()).rowwise() + mean_row.array();  // x·σ + μ
  else
    output = (input.array().rowwise() - mean_row.array()).rowwise() * scale.array();  // (x - μ) / σ
}

template <class Scalar>
void NormalizationOf<Scalar>::infer(ConstMatrixMapOf<Scalar> input, MatrixMapOf<Scalar> output) const {
  RowVectorOf<Scalar> mean_row, scale;  // local: inference shares no buffer between threads
  statistics(mean_row, scale);
  apply(input, output, mean_row, scale);
}

template <class Scalar>
ConstMatrixMapOf<Scalar> NormalizationOf<Scalar>::forward(ConstMatrixMapOf<Scalar> input, bool /*training*/) {
  statistics(mean_row_, scale_);  // sized at the first pass, then only rewritten
  MatrixMapOf<Scalar> output = top_rows(output_, input.rows());
  apply(input, output, mean_row_, scale_);
  return as_const_map(output);
}

template <class Scalar>
ConstMatrixMapOf<Scalar> NormalizationOf<Scalar>::backward(ConstMatrixMapOf<Scalar>, ConstMatrixMapOf<Scalar> grad, GradientAt, bool need_grad_input) {
  if (!need_grad_input) return no_grad_input();
  MatrixMapOf<Scalar> grad_input = top_rows(grad_input_, grad.rows());
  grad_input = grad.array().rowwise() * scale_.array();  // dX = dY / σ (dY · σ with invert)
  return as_const_map(grad_input);
}

template <class Scalar>
std::vector<TensorShape> NormalizationOf<Scalar>::tensor_shapes(Index width) const {
  if (given()) return {};  // the statistics are in its config; a file holds no tensors for it
  const Index stats = options_.axis ? width : 1;  // as on_build sizes them
  return {{"mean", 1, stats}, {"variance", 1, stats}, {"count", 1, 1}};
}

template <class Scalar>
std::vector<ParameterOf<Scalar>> NormalizationOf<Scalar>::non_trainable() {
  if (given() || !this->built()) return {};
  return {{"mean", &mean_, nullptr}, {"variance", &variance_, nullptr}, {"count", &count_, nullptr}};
}

template <class Scalar>
void NormalizationOf<Scalar>::adapt(ConstMatrixMapOf<Scalar> data) {
  if (given())
    throw std::invalid_argument("Normalization was given its mean and variance; adapt() would replace them, so "
                                "it is refused (create the layer without them to adapt it)");
  if (data.rows() == 0) throw std::invalid_argument("Normalization.adapt: the data has no rows");
  if (!data.allFinite()) throw std::invalid_argument("Normalization.adapt: the data contains NaN or infinity");
  if (!this->built()) {
    Rng unused(0);
    this->build(data.cols(), unused);
  }
  if (data.cols() != width_)
    throw std::invalid_argument("Normalization.adapt: the layer has " + std::to_string(width_) +
                                " features, the data " + std::to_string(data.cols()));
  // In double: a float running sum over many rows loses the variance's digits.
  const Eigen::MatrixXd x = data.template cast<double>();
  if (options_.axis) {
    const Eigen::RowVectorXd mean = x.colwise().mean();
    mean_ = mean.cast<Scalar>();
    variance_ = ((x.rowwise() - mean).array().square().colwise().mean()).cast<Scalar>();
  } else {
    const double mean = x.mean();
    mean_.setConstant(1, 1, static_cast<Scalar>(mean));
    variance_.setConstant(1, 1, static_cast<Scalar>((x.array() - mean).square().mean()));
  }
  count_(0, 0) = static_cast<Scalar>(data.rows());
}

template <class Scalar>
RowMatrixOf<Scalar> NormalizationOf<Scalar>::mean() const {
  RowVectorOf<Scalar> mean_row, scale;
  statistics(mean_row, scale);
  return mean_row;
}

template <class Scalar>
RowMatrixOf<Scalar> NormalizationOf<Scalar>::variance() const {
  RowMatrixOf<Scalar> values(1, width_);
  for (Index j = 0; j < width_; ++j) values(0, j) = variance_(0, variance_.cols() == 1 ? 0 : j);
  return values;
}

template class NormalizationOf<float>;
template class NormalizationOf<double>;

FASTMLP_REGISTER(NormalizationOf<float>);
FASTMLP_REGISTER(NormalizationOf<double>);

}  // namespace fastmlp
