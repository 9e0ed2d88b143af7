// The shared shape of layers that map each input element to one output element (units = inputs),
// and of the Activation layer, whose activation may change the width (glu): the output width is
// output_dim_for(width), which such a layer overrides.
#pragma once

#include <stdexcept>
#include <string>

#include "fastmlp/layer.hpp"

namespace fastmlp {

template <class Scalar>
class ElementwiseLayerOf : public LayerOf<Scalar> {
 public:
  void build(Index input_dim, Rng& rng) override {
    if (input_dim <= 0) throw std::invalid_argument(this->class_name() + " input dimension must be positive");
    output_dim_for(input_dim);  // throws for a width the layer cannot take (an odd one for glu)
    width_ = input_dim;
    try {
      on_build(rng);
    } catch (...) {
      width_ = 0;  // unbuilt, not half built (such as out of memory for BatchNormalization's statistics)
      throw;
    }
  }
  bool built() const override { return width_ > 0; }
  Index output_dim_for(Index input_dim) const override { return input_dim; }
  std::vector<TensorShape> tensor_shapes(Index) const override { return {}; }
  Index input_dim() const override { return width_; }
  Index output_dim() const override { return width_ > 0 ? output_dim_for(width_) : 0; }
  void reserve_batch(Index max_batch) override {
    if (output_.rows() == max_batch) return;
    grad_input_.resize(max_batch, width_);
    on_reserve(max_batch);
    output_.resize(max_batch, output_dim());  // last: a failed allocation above leaves this unreserved
  }
  std::vector<ParameterOf<Scalar>> parameters() override { return {}; }

 protected:
  virtual void on_build(Rng& /*rng*/) {}
  virtual void on_reserve(Index /*max_batch*/) {}
  // An empty gradient for the layer below, when backward() is told it is not needed.
  ConstMatrixMapOf<Scalar> no_grad_input() const { return {grad_input_.data(), 0, width_}; }

  Index width_ = 0;
  RowMatrixOf<Scalar> output_;      // (max_batch, output_dim)
  RowMatrixOf<Scalar> grad_input_;  // (max_batch, width)
};

using ElementwiseLayer = ElementwiseLayerOf<float>;

}  // namespace fastmlp
