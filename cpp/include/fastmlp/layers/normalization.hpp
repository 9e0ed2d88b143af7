// Normalization: y = (x - mean) / max(sqrt(variance), ε) feature by feature (ε = 1e-7, Keras's
// epsilon), or with invert the inverse, x·max(sqrt(variance), ε) + mean. The statistics are given
// (mean, variance) or learnt from data by adapt(), which Keras 3 computes over the batch axis; they
// are never trained. axis=None uses one mean and one variance for every feature.
#pragma once

#include <optional>
#include <vector>

#include "fastmlp/layers/elementwise_layer.hpp"

namespace fastmlp {

struct NormalizationOptions {
  std::optional<std::int64_t> axis = -1;
  std::optional<std::vector<double>> mean;      // one value, or one per feature
  std::optional<std::vector<double>> variance;  // given together with mean
  bool invert = false;

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("axis", self.axis);
    visit("mean", self.mean);
    visit("variance", self.variance);
    visit("invert", self.invert);
  }
};

template <class Scalar>
class NormalizationOf : public Described<NormalizationOf<Scalar>, ElementwiseLayerOf<Scalar>, NormalizationOptions> {
  using DescribedBase = Described<NormalizationOf<Scalar>, ElementwiseLayerOf<Scalar>, NormalizationOptions>;
  using ElementwiseLayerOf<Scalar>::width_;
  using ElementwiseLayerOf<Scalar>::output_;
  using ElementwiseLayerOf<Scalar>::grad_input_;
  using ElementwiseLayerOf<Scalar>::no_grad_input;
  using DescribedBase::options_;

 public:
  using Options = NormalizationOptions;
  static constexpr const char* kClassName = "Normalization";
  explicit NormalizationOf(const Options& options = {});

  ConstMatrixMapOf<Scalar> forward(ConstMatrixMapOf<Scalar> input, bool training) override;
  ConstMatrixMapOf<Scalar> backward(ConstMatrixMapOf<Scalar> input, ConstMatrixMapOf<Scalar> grad, GradientAt at, bool need_grad_input) override;
  void infer(ConstMatrixMapOf<Scalar> input, MatrixMapOf<Scalar> output) const override;
  // Without given statistics: mean, variance and count, saved with the model (Keras's weights).
  std::vector<ParameterOf<Scalar>> non_trainable() override;
  std::vector<TensorShape> tensor_shapes(Index width) const override;

  // Sets mean, variance and count from `data` (rows of samples), as Keras's adapt(): builds the layer
  // for data's width if needed. Throws std::invalid_argument when the statistics were given, or for
  // data of another width, no rows, or values that are not finite.
  void adapt(ConstMatrixMapOf<Scalar> data);
  // (1, width) each, as Keras's layer.mean and layer.variance broadcast them.
  RowMatrixOf<Scalar> mean() const;
  RowMatrixOf<Scalar> variance() const;

 protected:
  void on_build(Rng& rng) override;

 private:
  bool given() const { return options_.mean.has_value(); }
  // The mean and the factor on x (1 / max(sqrt(variance), ε), or its inverse with invert) per feature.
  void statistics(RowVectorOf<Scalar>& mean_row, RowVectorOf<Scalar>& scale) const;
  void apply(ConstMatrixMapOf<Scalar> input, MatrixMapOf<Scalar> output, const RowVectorOf<Scalar>& mean_row, const RowVectorOf<Scalar>& scale) const;

  RowMatrixOf<Scalar> mean_, variance_, count_;  // (1, width) or (1, 1) with axis=None; count (1, 1)
  RowVectorOf<Scalar> mean_row_;                 // (1, width)  the mean for every feature, this pass
  RowVectorOf<Scalar> scale_;                    // (1, width)  the factor on x, this pass
};

using Normalization = NormalizationOf<float>;

}  // namespace fastmlp
