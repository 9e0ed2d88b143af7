// PReLU: max(0, x) + alpha ∘ min(0, x) with a learnable slope per unit (Keras: alpha starts at 0).
#pragma once

#include "fastmlp/constraint.hpp"
#include "fastmlp/initializer.hpp"
#include "fastmlp/layers/elementwise_layer.hpp"
#include "fastmlp/regularizer.hpp"

namespace fastmlp {

struct PReLUOptions {
  InitializerPtr alpha_initializer = make_initializer("Zeros");
  RegularizerPtr alpha_regularizer;
  ConstraintPtr alpha_constraint;

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("alpha_initializer", self.alpha_initializer);
    visit("alpha_regularizer", self.alpha_regularizer);
    visit("alpha_constraint", self.alpha_constraint);
  }
};

template <class Scalar>
class PReLUOf : public Described<PReLUOf<Scalar>, ElementwiseLayerOf<Scalar>, PReLUOptions> {
  using DescribedBase = Described<PReLUOf<Scalar>, ElementwiseLayerOf<Scalar>, PReLUOptions>;
  using ElementwiseLayerOf<Scalar>::width_;
  using ElementwiseLayerOf<Scalar>::output_;
  using ElementwiseLayerOf<Scalar>::grad_input_;
  using ElementwiseLayerOf<Scalar>::no_grad_input;
  using DescribedBase::options_;

 public:
  using Options = PReLUOptions;
  static constexpr const char* kClassName = "PReLU";
  explicit PReLUOf(const Options& options = {});

  ConstMatrixMapOf<Scalar> forward(ConstMatrixMapOf<Scalar> input, bool training) override;
  ConstMatrixMapOf<Scalar> backward(ConstMatrixMapOf<Scalar> input, ConstMatrixMapOf<Scalar> grad, GradientAt at, bool need_grad_input) override;
  void infer(ConstMatrixMapOf<Scalar> input, MatrixMapOf<Scalar> output) const override;
  std::vector<ParameterOf<Scalar>> parameters() override { return {{"alpha", &alpha_, &alpha_grad_, options_.alpha_constraint, 1}}; }
  std::vector<TensorShape> tensor_shapes(Index width) const override { return {{"alpha", 1, width}}; }
  double weight_penalty() const override { return penalty_of(options_.alpha_regularizer, map_of(alpha_)); }
  RowMatrixOf<Scalar>& alpha() { return alpha_; }

 protected:
  void on_build(Rng& rng) override;

 private:
  RowMatrixOf<Scalar> alpha_;       // (1, width)
  RowMatrixOf<Scalar> alpha_grad_;  // (1, width)
};

using PReLU = PReLUOf<float>;

}  // namespace fastmlp
