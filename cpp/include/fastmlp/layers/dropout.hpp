// Dropout: during training, zero each input with probability `rate` and scale the survivors by
// 1 / (1 - rate) (inverted dropout), so that inference is the identity.
#pragma once

#include <optional>

#include "fastmlp/layers/random_layer.hpp"

namespace fastmlp {

struct DropoutOptions {
  double rate = 0.0;
  std::optional<std::int64_t> seed;  // none: drawn from the model's generator when the layer is built

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("rate", self.rate, options::required);
    visit("seed", self.seed);
  }
};

template <class Scalar>
class DropoutOf : public RandomLayerOf<Scalar, DropoutOf<Scalar>, DropoutOptions> {
  using RandomBase = RandomLayerOf<Scalar, DropoutOf<Scalar>, DropoutOptions>;
  using RandomBase::options_;
  using RandomBase::rng_;
  using RandomBase::width_;
  using RandomBase::output_;
  using RandomBase::grad_input_;
  using RandomBase::no_grad_input;

 public:
  using typename RandomBase::Options;
  static constexpr const char* kClassName = "Dropout";
  explicit DropoutOf(const Options& options);
  explicit DropoutOf(double rate) : DropoutOf(Options{rate, std::nullopt}) {}

  ConstMatrixMapOf<Scalar> forward(ConstMatrixMapOf<Scalar> input, bool training) override;
  ConstMatrixMapOf<Scalar> backward(ConstMatrixMapOf<Scalar> input, ConstMatrixMapOf<Scalar> grad, GradientAt at, bool need_grad_input) override;

 protected:
  void on_reserve(Index max_batch) override { mask_.resize(max_batch, width_); }

 private:
  bool active_ = false;  // whether the last forward pass dropped anything
  RowMatrixOf<Scalar> mask_;       // (max_batch, width)  0 or 1 / (1 - rate)
};

using Dropout = DropoutOf<float>;

}  // namespace fastmlp
