// AlphaDropout: dropout for self-normalizing (selu) networks. While training, each input is kept
// with probability 1 - rate or set to selu's negative saturation value α' = -scale·alpha, and the
// result is moved back to the input's mean and variance by a·x + b, Keras's formula:
//   a = ((1 - rate)(1 + rate·α'²))^(-1/2),  b = -a·α'·rate.
// Inference is the identity.
#pragma once

#include "fastmlp/layers/dropout.hpp"  // its options: rate and seed, as Dropout's
#include "fastmlp/layers/random_layer.hpp"

namespace fastmlp {

template <class Scalar>
class AlphaDropoutOf : public RandomLayerOf<Scalar, AlphaDropoutOf<Scalar>, DropoutOptions> {
  using RandomBase = RandomLayerOf<Scalar, AlphaDropoutOf<Scalar>, DropoutOptions>;
  using RandomBase::options_;
  using RandomBase::rng_;
  using RandomBase::width_;
  using RandomBase::output_;
  using RandomBase::grad_input_;
  using RandomBase::no_grad_input;

 public:
  using typename RandomBase::Options;
  static constexpr const char* kClassName = "AlphaDropout";
  explicit AlphaDropoutOf(const Options& options);

  ConstMatrixMapOf<Scalar> forward(ConstMatrixMapOf<Scalar> input, bool training) override;
  ConstMatrixMapOf<Scalar> backward(ConstMatrixMapOf<Scalar> input, ConstMatrixMapOf<Scalar> grad, GradientAt at, bool need_grad_input) override;

 protected:
  void on_reserve(Index max_batch) override {
    scale_.resize(max_batch, width_);
    offset_.resize(max_batch, width_);
  }

 private:
  bool active_ = false;  // whether the last forward pass dropped anything
  RowMatrixOf<Scalar> scale_;      // (max_batch, width)  a for a kept input, 0 for a dropped one
  RowMatrixOf<Scalar> offset_;     // (max_batch, width)  b, or a·α' + b for a dropped one
};

using AlphaDropout = AlphaDropoutOf<float>;

}  // namespace fastmlp
