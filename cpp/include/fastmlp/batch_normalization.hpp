// BatchNormalization over the features: y = gamma (x - mean) / sqrt(var + epsilon) + beta, with the
// batch's statistics in training and the moving averages at inference, Keras's defaults.
#pragma once

#include "fastmlp/elementwise_layer.hpp"

namespace fastmlp {

class BatchNormalization : public ElementwiseLayer {
 public:
  explicit BatchNormalization(double momentum = 0.99, double epsilon = 1e-3, bool center = true, bool scale = true);
  std::string type_name() const override { return "BatchNormalization"; }
  ConstMatrixMap forward(ConstMatrixMap input, bool training) override;
  ConstMatrixMap backward(ConstMatrixMap input, ConstMatrixMap grad, GradientAt at, bool need_grad_input) override;
  void infer(ConstMatrixMap input, MatrixMap output) const override;
  std::vector<Parameter> parameters() override;
  std::vector<Parameter> non_trainable() override;
  double momentum() const { return momentum_; }
  double epsilon() const { return epsilon_; }
  bool center() const { return center_; }
  bool scale() const { return scale_; }

 protected:
  void on_build(Rng& rng) override;
  void on_reserve(Index max_batch) override { normalized_.resize(max_batch, width_); }

 private:
  double momentum_, epsilon_;
  bool center_, scale_;
  bool training_pass_ = false;  // whether the last forward used batch statistics
  RowMatrix gamma_, beta_, gamma_grad_, beta_grad_;  // (1, width)
  RowMatrix moving_mean_, moving_variance_;           // (1, width)
  RowVector batch_mean_, batch_variance_;             // (1, width)  statistics of the last batch
  RowVector inv_std_;                                 // (1, width)  1 / sqrt(var + epsilon) of the batch
  RowVector coefficient_;                             // (1, width)  γ / (n σ), for backward
  RowMatrix normalized_;                              // (max_batch, width)  x̂
};

}  // namespace fastmlp
