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

class Flatten : public Described<Flatten, ElementwiseLayer, FlattenOptions> {
 public:
  static constexpr const char* kClassName = "Flatten";
  explicit Flatten(const Options& options = {});

  ConstMatrixMap forward(ConstMatrixMap input, bool) override { return input; }
  ConstMatrixMap backward(ConstMatrixMap, ConstMatrixMap grad, GradientAt, bool need_grad_input) override {
    return need_grad_input ? grad : no_grad_input();
  }
  void infer(ConstMatrixMap input, MatrixMap output) const override { output = input; }
};

}  // namespace fastmlp
