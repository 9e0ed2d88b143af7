// GaussianNoise: during training, add N(0, stddev²) noise to every input (data augmentation); the
// identity at inference.
#pragma once

#include <optional>

#include "fastmlp/layers/elementwise_layer.hpp"
#include "fastmlp/layers/layer_seed.hpp"

namespace fastmlp {

struct GaussianNoiseOptions {
  double stddev = 0.0;
  std::optional<std::int64_t> seed;  // none: drawn from the model's generator when the layer is built

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("stddev", self.stddev, options::required);
    visit("seed", self.seed);
  }
};

class GaussianNoise : public Described<GaussianNoise, ElementwiseLayer, GaussianNoiseOptions> {
 public:
  static constexpr const char* kClassName = "GaussianNoise";
  explicit GaussianNoise(const Options& options);

  ConstMatrixMap forward(ConstMatrixMap input, bool training) override;
  ConstMatrixMap backward(ConstMatrixMap input, ConstMatrixMap grad, GradientAt at, bool need_grad_input) override;
  void infer(ConstMatrixMap input, MatrixMap output) const override { output = input; }
  Rng* generator() override { return &rng_; }

 protected:
  void on_build(Rng& rng) override;

 private:
  Rng rng_;
};

}  // namespace fastmlp
