// GaussianNoise: during training, add N(0, stddev²) noise to every input (data augmentation); the
// identity at inference.
#pragma once

#include <optional>

#include "fastmlp/layers/random_layer.hpp"

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

template <class Scalar>
class GaussianNoiseOf : public RandomLayerOf<Scalar, GaussianNoiseOf<Scalar>, GaussianNoiseOptions> {
  using RandomBase = RandomLayerOf<Scalar, GaussianNoiseOf<Scalar>, GaussianNoiseOptions>;
  using RandomBase::options_;
  using RandomBase::rng_;
  using RandomBase::width_;
  using RandomBase::output_;
  using RandomBase::grad_input_;
  using RandomBase::no_grad_input;

 public:
  using typename RandomBase::Options;
  static constexpr const char* kClassName = "GaussianNoise";
  explicit GaussianNoiseOf(const Options& options);

  ConstMatrixMapOf<Scalar> forward(ConstMatrixMapOf<Scalar> input, bool training) override;
  ConstMatrixMapOf<Scalar> backward(ConstMatrixMapOf<Scalar> input, ConstMatrixMapOf<Scalar> grad, GradientAt at, bool need_grad_input) override;
};

using GaussianNoise = GaussianNoiseOf<float>;

}  // namespace fastmlp
