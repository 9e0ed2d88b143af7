// Dropout: during training, zero each input with probability `rate` and scale the survivors by
// 1 / (1 - rate) (inverted dropout), so that inference is the identity.
#pragma once

#include "fastmlp/elementwise_layer.hpp"

namespace fastmlp {

class Dropout : public ElementwiseLayer {
 public:
  // seed < 0: drawn from the model's generator when the layer is built.
  explicit Dropout(double rate, std::int64_t seed = -1);
  std::string type_name() const override { return "Dropout"; }
  double rate() const { return rate_; }
  std::int64_t seed() const { return seed_; }
  ConstMatrixMap forward(ConstMatrixMap input, bool training) override;
  ConstMatrixMap backward(ConstMatrixMap input, ConstMatrixMap grad, GradientAt at, bool need_grad_input) override;
  void infer(ConstMatrixMap input, MatrixMap output) const override { output = input; }
  Rng* generator() override { return &rng_; }

 protected:
  void on_build(Rng& rng) override;
  void on_reserve(Index max_batch) override { mask_.resize(max_batch, width_); }

 private:
  double rate_;
  std::int64_t seed_;
  Rng rng_;
  bool active_ = false;  // whether the last forward pass dropped anything
  RowMatrix mask_;       // (max_batch, width)  0 or 1 / (1 - rate)
};

// GaussianNoise: during training, add N(0, stddev²) noise to every input (data augmentation).
class GaussianNoise : public ElementwiseLayer {
 public:
  explicit GaussianNoise(double stddev, std::int64_t seed = -1);
  std::string type_name() const override { return "GaussianNoise"; }
  double stddev() const { return stddev_; }
  std::int64_t seed() const { return seed_; }
  ConstMatrixMap forward(ConstMatrixMap input, bool training) override;
  ConstMatrixMap backward(ConstMatrixMap input, ConstMatrixMap grad, GradientAt at, bool need_grad_input) override;
  void infer(ConstMatrixMap input, MatrixMap output) const override { output = input; }
  Rng* generator() override { return &rng_; }

 protected:
  void on_build(Rng& rng) override;

 private:
  double stddev_;
  std::int64_t seed_;
  Rng rng_;
};

}  // namespace fastmlp
