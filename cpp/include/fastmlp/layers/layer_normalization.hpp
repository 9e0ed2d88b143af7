// LayerNormalization (Ba et al. 2016), as Keras 3 computes it over each sample's features:
//   y = gamma (x - mean) / sqrt(var + epsilon) + beta,
// or with rms_scaling, y = gamma x / sqrt(var + epsilon) (Keras divides by the variance's root
// without centering x). Unlike BatchNormalization it keeps no statistics across samples, so it
// computes the same in training and at inference.
#pragma once

#include "fastmlp/constraint.hpp"
#include "fastmlp/initializer.hpp"
#include "fastmlp/layers/elementwise_layer.hpp"
#include "fastmlp/regularizer.hpp"

namespace fastmlp {

struct LayerNormalizationOptions {
  std::int64_t axis = -1;
  double epsilon = 1e-3;
  bool center = true;
  bool scale = true;
  bool rms_scaling = false;
  InitializerPtr beta_initializer = make_initializer("Zeros");
  InitializerPtr gamma_initializer = make_initializer("Ones");
  RegularizerPtr beta_regularizer;
  RegularizerPtr gamma_regularizer;
  ConstraintPtr beta_constraint;
  ConstraintPtr gamma_constraint;

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("axis", self.axis);
    visit("epsilon", self.epsilon);
    visit("center", self.center);
    visit("scale", self.scale);
    visit("rms_scaling", self.rms_scaling);
    visit("beta_initializer", self.beta_initializer);
    visit("gamma_initializer", self.gamma_initializer);
    visit("beta_regularizer", self.beta_regularizer);
    visit("gamma_regularizer", self.gamma_regularizer);
    visit("beta_constraint", self.beta_constraint);
    visit("gamma_constraint", self.gamma_constraint);
  }
};

template <class Scalar>
class LayerNormalizationOf : public Described<LayerNormalizationOf<Scalar>, ElementwiseLayerOf<Scalar>, LayerNormalizationOptions> {
  using DescribedBase = Described<LayerNormalizationOf<Scalar>, ElementwiseLayerOf<Scalar>, LayerNormalizationOptions>;
  using ElementwiseLayerOf<Scalar>::width_;
  using ElementwiseLayerOf<Scalar>::output_;
  using ElementwiseLayerOf<Scalar>::grad_input_;
  using ElementwiseLayerOf<Scalar>::no_grad_input;
  using DescribedBase::options_;

 public:
  using Options = LayerNormalizationOptions;
  static constexpr const char* kClassName = "LayerNormalization";
  explicit LayerNormalizationOf(const Options& options = {});

  ConstMatrixMapOf<Scalar> forward(ConstMatrixMapOf<Scalar> input, bool training) override;
  ConstMatrixMapOf<Scalar> backward(ConstMatrixMapOf<Scalar> input, ConstMatrixMapOf<Scalar> grad, GradientAt at, bool need_grad_input) override;
  void infer(ConstMatrixMapOf<Scalar> input, MatrixMapOf<Scalar> output) const override;
  std::vector<ParameterOf<Scalar>> parameters() override;
  std::vector<TensorShape> tensor_shapes(Index width) const override;
  double weight_penalty() const override;

 protected:
  void on_build(Rng& rng) override;
  void on_reserve(Index max_batch) override;

 private:
  // Keras creates gamma with scale or rms_scaling, and beta with center unless rms_scaling.
  bool has_gamma() const { return options_.scale || options_.rms_scaling; }
  bool has_beta() const { return options_.center && !options_.rms_scaling; }
  // y for rows of `input`, keeping x̂ and the rows' statistics in the given buffers.
  void normalize(ConstMatrixMapOf<Scalar> input, MatrixMapOf<Scalar> output, MatrixMapOf<Scalar> x_hat, Scalar* means, Scalar* inv_stds) const;

  RowMatrixOf<Scalar> gamma_, beta_, gamma_grad_, beta_grad_;  // (1, width) when the layer has them, else empty
  RowMatrixOf<Scalar> normalized_;                              // (max_batch, width)  x̂: (x - mean) s, or x s with rms_scaling
  VectorOf<Scalar> row_mean_;                                   // (max_batch)  each sample's mean
  VectorOf<Scalar> row_inv_std_;                                // (max_batch)  s = 1 / sqrt(var + epsilon)
};

using LayerNormalization = LayerNormalizationOf<float>;

}  // namespace fastmlp
