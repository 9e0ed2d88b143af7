// Flatten: samples of several dimensions ((28, 28) images) become rows of features. The core only
// ever sees flat rows (the model keeps the sample shape), so in C++ it is the identity; it exists so
// that a model's layers, names and files are those the user declared.
#pragma once

#include <optional>
#include <string>

#include "fastmlp/layers/elementwise_layer.hpp"

namespace fastmlp {

struct FlattenOptions {
  std::optional<std::string> data_format;  // Keras's argument; flattening rows needs no reordering

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("data_format", self.data_format);
  }
};

template <class Scalar>
class FlattenOf : public Described<FlattenOf<Scalar>, ElementwiseLayerOf<Scalar>, FlattenOptions> {
  using DescribedBase = Described<FlattenOf<Scalar>, ElementwiseLayerOf<Scalar>, FlattenOptions>;
  using ElementwiseLayerOf<Scalar>::width_;
  using ElementwiseLayerOf<Scalar>::output_;
  using ElementwiseLayerOf<Scalar>::grad_input_;
  using ElementwiseLayerOf<Scalar>::no_grad_input;
  using DescribedBase::options_;

 public:
  using Options = FlattenOptions;
  static constexpr const char* kClassName = "Flatten";
  explicit FlattenOf(const Options& options = {});

  ConstMatrixMapOf<Scalar> forward(ConstMatrixMapOf<Scalar> input, bool) override { return input; }
  ConstMatrixMapOf<Scalar> backward(ConstMatrixMapOf<Scalar>, ConstMatrixMapOf<Scalar> grad, GradientAt, bool need_grad_input) override {
    return need_grad_input ? grad : no_grad_input();
  }
  void infer(ConstMatrixMapOf<Scalar> input, MatrixMapOf<Scalar> output) const override { output = input; }
};

using Flatten = FlattenOf<float>;

}  // namespace fastmlp
