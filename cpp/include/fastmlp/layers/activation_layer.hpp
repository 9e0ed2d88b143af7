// Activation as a layer of its own: Dense(10) followed by Activation("softmax"), as Keras allows.
#pragma once

#include "fastmlp/activation.hpp"
#include "fastmlp/layers/elementwise_layer.hpp"

namespace fastmlp {

struct ActivationLayerOptions {
  ActivationPtr activation;

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("activation", self.activation, options::required);
  }
};

class ActivationLayer : public Described<ActivationLayer, ElementwiseLayer, ActivationLayerOptions> {
 public:
  static constexpr const char* kClassName = "Activation";
  explicit ActivationLayer(const Options& options);
  explicit ActivationLayer(ActivationPtr activation) : ActivationLayer(Options{std::move(activation)}) {}

  const Activation* final_activation() const override { return options_.activation.get(); }
  ConstMatrixMap forward(ConstMatrixMap input, bool training) override;
  ConstMatrixMap backward(ConstMatrixMap input, ConstMatrixMap grad, GradientAt at, bool need_grad_input) override;
  void infer(ConstMatrixMap input, MatrixMap output) const override;
};

}  // namespace fastmlp
