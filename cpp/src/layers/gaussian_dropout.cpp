// GaussianDropout(rate, seed=None): during training, every input multiplied by noise drawn from
// N(1, rate / (1 - rate)), Keras's multiplicative dropout; the identity at inference.
#include <cmath>
#include <optional>
#include <random>
#include <stdexcept>

#include "fastmlp/layers/random_layer.hpp"

namespace fastmlp {
namespace {

struct GaussianDropoutOptions {
  double rate = 0.0;
  std::optional<std::int64_t> seed;  // none: drawn from the model's generator when the layer is built

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("rate", self.rate, options::required);
    visit("seed", self.seed);
  }
};

template <class Scalar>
class GaussianDropoutOf : public RandomLayerOf<Scalar, GaussianDropoutOf<Scalar>, GaussianDropoutOptions> {
  using RandomBase = RandomLayerOf<Scalar, GaussianDropoutOf<Scalar>, GaussianDropoutOptions>;
  using RandomBase::grad_input_;
  using RandomBase::no_grad_input;
  using RandomBase::options_;
  using RandomBase::output_;
  using RandomBase::rng_;
  using RandomBase::width_;

 public:
  static constexpr const char* kClassName = "GaussianDropout";
  explicit GaussianDropoutOf(const GaussianDropoutOptions& options) : RandomBase(options) {
    // rate 1 would make the noise's variance infinite.
    if (!(options.rate >= 0 && options.rate < 1))
      throw std::invalid_argument("GaussianDropout rate must be in [0, 1), got " + std::to_string(options.rate));
  }

  ConstMatrixMapOf<Scalar> forward(ConstMatrixMapOf<Scalar> input, bool training) override {
    applied_ = training && options_.rate > 0;
    if (!applied_) return input;
    MatrixMapOf<Scalar> noise = top_rows(noise_, input.rows());
    std::normal_distribution<Scalar> draw(1, static_cast<Scalar>(std::sqrt(options_.rate / (1 - options_.rate))));
    for (Index i = 0; i < noise.size(); ++i) noise.data()[i] = draw(rng_);
    MatrixMapOf<Scalar> output = top_rows(output_, input.rows());
    output = input.cwiseProduct(noise);
    return as_const_map(output);
  }
  // Y = X ∘ noise, so dX = dY ∘ noise.
  ConstMatrixMapOf<Scalar> backward(ConstMatrixMapOf<Scalar> input, ConstMatrixMapOf<Scalar> grad, GradientAt,
                                    bool need_grad_input) override {
    if (!need_grad_input) return no_grad_input();
    if (!applied_) return grad;
    MatrixMapOf<Scalar> grad_input = top_rows(grad_input_, input.rows());
    grad_input = grad.cwiseProduct(top_rows(std::as_const(noise_), input.rows()));
    return as_const_map(grad_input);
  }

 protected:
  void on_reserve(Index max_batch) override { noise_.resize(max_batch, width_); }

 private:
  RowMatrixOf<Scalar> noise_;  // (max_batch, width) the last training pass's multipliers
  bool applied_ = false;       // whether the last forward pass drew noise
};

FASTMLP_REGISTER(GaussianDropoutOf<float>);
FASTMLP_REGISTER(GaussianDropoutOf<double>);

}  // namespace
}  // namespace fastmlp
