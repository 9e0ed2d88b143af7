// BatchNormalization over the features: y = gamma (x - mean) / sqrt(var + epsilon) + beta, with the
// batch's statistics in training and the moving averages at inference, Keras's defaults. A frozen
// layer (trainable false) always runs in inference mode, as in Keras.
#pragma once

#include "fastmlp/constraint.hpp"
#include "fastmlp/initializer.hpp"
#include "fastmlp/layers/elementwise_layer.hpp"
#include "fastmlp/regularizer.hpp"

namespace fastmlp {

struct BatchNormalizationOptions {
  std::int64_t axis = -1;
  double momentum = 0.99;
  double epsilon = 1e-3;
  bool center = true;
  bool scale = true;
  InitializerPtr beta_initializer = make_initializer("Zeros");
  InitializerPtr gamma_initializer = make_initializer("Ones");
  InitializerPtr moving_mean_initializer = make_initializer("Zeros");
  InitializerPtr moving_variance_initializer = make_initializer("Ones");
  RegularizerPtr beta_regularizer;
  RegularizerPtr gamma_regularizer;
  ConstraintPtr beta_constraint;
  ConstraintPtr gamma_constraint;

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("axis", self.axis);
    visit("momentum", self.momentum);
    visit("epsilon", self.epsilon);
    visit("center", self.center);
    visit("scale", self.scale);
    visit("beta_initializer", self.beta_initializer);
    visit("gamma_initializer", self.gamma_initializer);
    visit("moving_mean_initializer", self.moving_mean_initializer);
    visit("moving_variance_initializer", self.moving_variance_initializer);
    visit("beta_regularizer", self.beta_regularizer);
    visit("gamma_regularizer", self.gamma_regularizer);
    visit("beta_constraint", self.beta_constraint);
    visit("gamma_constraint", self.gamma_constraint);
  }
};

template <class Scalar>
class BatchNormalizationOf : public Described<BatchNormalizationOf<Scalar>, ElementwiseLayerOf<Scalar>, BatchNormalizationOptions> {
  using DescribedBase = Described<BatchNormalizationOf<Scalar>, ElementwiseLayerOf<Scalar>, BatchNormalizationOptions>;
  using ElementwiseLayerOf<Scalar>::width_;
  using ElementwiseLayerOf<Scalar>::output_;
  using ElementwiseLayerOf<Scalar>::grad_input_;
  using ElementwiseLayerOf<Scalar>::no_grad_input;
  using DescribedBase::options_;

 public:
  using Options = BatchNormalizationOptions;
  static constexpr const char* kClassName = "BatchNormalization";
  explicit BatchNormalizationOf(const Options& options = {});

  ConstMatrixMapOf<Scalar> forward(ConstMatrixMapOf<Scalar> input, bool training) override;
  ConstMatrixMapOf<Scalar> backward(ConstMatrixMapOf<Scalar> input, ConstMatrixMapOf<Scalar> grad, GradientAt at, bool need_grad_input) override;
  void infer(ConstMatrixMapOf<Scalar> input, MatrixMapOf<Scalar> output) const override;
  std::vector<ParameterOf<Scalar>> parameters() override;
  std::vector<TensorShape> tensor_shapes(Index width) const override;
  std::vector<ParameterOf<Scalar>> non_trainable() override;
  double weight_penalty() const override;

 protected:
  void on_build(Rng& rng) override;
  void on_reserve(Index max_batch) override { normalized_.resize(max_batch, width_); }

 private:
  bool training_pass_ = false;  // whether the last forward used batch statistics
  RowMatrixOf<Scalar> gamma_, beta_, gamma_grad_, beta_grad_;  // (1, width)
  RowMatrixOf<Scalar> moving_mean_, moving_variance_;           // (1, width)
  RowVectorOf<Scalar> batch_mean_, batch_variance_;             // (1, width)  statistics of the last batch
  RowVectorOf<Scalar> inv_std_;                                 // (1, width)  1 / sqrt(var + epsilon) of the batch
  RowVectorOf<Scalar> coefficient_;                             // (1, width)  γ / (n σ), for backward
  RowMatrixOf<Scalar> normalized_;                              // (max_batch, width)  x̂
};

using BatchNormalization = BatchNormalizationOf<float>;

}  // namespace fastmlp
