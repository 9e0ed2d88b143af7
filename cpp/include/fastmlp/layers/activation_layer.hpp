// Activation as a layer of its own: Dense(10) followed by Activation("softmax"), as Keras allows;
// and Softmax, Keras's layer for the softmax alone.
#pragma once

#include "fastmlp/activation.hpp"
#include "fastmlp/layers/elementwise_layer.hpp"

namespace fastmlp {

// A layer that applies one activation: forward, backward and inference, and the activation a loss
// may fuse its gradient with.
template <class Scalar>
class ActivationApplyingOf : public ElementwiseLayerOf<Scalar> {
 public:
  const Activation* final_activation() const override { return &activation(); }
  Index output_dim_for(Index input_dim) const override { return activation().output_width(input_dim); }
  ConstMatrixMapOf<Scalar> forward(ConstMatrixMapOf<Scalar> input, bool training) override;
  ConstMatrixMapOf<Scalar> backward(ConstMatrixMapOf<Scalar> input, ConstMatrixMapOf<Scalar> grad, GradientAt at, bool need_grad_input) override;
  void infer(ConstMatrixMapOf<Scalar> input, MatrixMapOf<Scalar> output) const override;

 protected:
  virtual const Activation& activation() const = 0;

 private:
  using ElementwiseLayerOf<Scalar>::output_;
  using ElementwiseLayerOf<Scalar>::grad_input_;
  using ElementwiseLayerOf<Scalar>::no_grad_input;
};

using ActivationApplying = ActivationApplyingOf<float>;

struct ActivationLayerOptions {
  ActivationPtr activation;

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("activation", self.activation, options::required);
  }
};

template <class Scalar>
class ActivationLayerOf : public Described<ActivationLayerOf<Scalar>, ActivationApplyingOf<Scalar>, ActivationLayerOptions> {
  using DescribedBase = Described<ActivationLayerOf<Scalar>, ActivationApplyingOf<Scalar>, ActivationLayerOptions>;

 public:
  using Options = ActivationLayerOptions;
  static constexpr const char* kClassName = "Activation";
  explicit ActivationLayerOf(const Options& options);
  explicit ActivationLayerOf(ActivationPtr activation) : ActivationLayerOf(Options{std::move(activation)}) {}

 protected:
  const Activation& activation() const override { return *this->options_.activation; }
};

using ActivationLayer = ActivationLayerOf<float>;

struct SoftmaxOptions {
  std::int64_t axis = -1;

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("axis", self.axis);
  }
};

// Softmax over the features of each sample (Keras's layers.Softmax(axis=-1)).
template <class Scalar>
class SoftmaxOf : public Described<SoftmaxOf<Scalar>, ActivationApplyingOf<Scalar>, SoftmaxOptions> {
  using DescribedBase = Described<SoftmaxOf<Scalar>, ActivationApplyingOf<Scalar>, SoftmaxOptions>;

 public:
  using Options = SoftmaxOptions;
  static constexpr const char* kClassName = "Softmax";
  explicit SoftmaxOf(const Options& options = {});

 protected:
  const Activation& activation() const override { return *softmax_; }

 private:
  ActivationPtr softmax_;
};

using Softmax = SoftmaxOf<float>;

}  // namespace fastmlp
