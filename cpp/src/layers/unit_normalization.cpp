// UnitNormalization(axis=-1): each sample scaled to unit L2 norm, as Keras computes it:
// y = x * min(1 / sqrt(Σx²), 1 / epsilon) with epsilon = 1e-12.
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "fastmlp/layers/elementwise_layer.hpp"

namespace fastmlp {
namespace {

struct UnitNormalizationOptions {
  std::int64_t axis = -1;

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("axis", self.axis);
  }
};

template <class Scalar>
class UnitNormalizationOf
    : public Described<UnitNormalizationOf<Scalar>, ElementwiseLayerOf<Scalar>, UnitNormalizationOptions> {
  using DescribedBase = Described<UnitNormalizationOf<Scalar>, ElementwiseLayerOf<Scalar>, UnitNormalizationOptions>;
  using DescribedBase::grad_input_;
  using DescribedBase::no_grad_input;
  using DescribedBase::output_;

 public:
  static constexpr const char* kClassName = "UnitNormalization";
  explicit UnitNormalizationOf(const UnitNormalizationOptions& options = {}) : DescribedBase(options) {
    if (options.axis != -1 && options.axis != 1)
      throw std::invalid_argument("UnitNormalization axis must be -1 or 1 (the features of 2-D samples), got " +
                                  std::to_string(options.axis));
  }

  ConstMatrixMapOf<Scalar> forward(ConstMatrixMapOf<Scalar> input, bool /*training*/) override {
    MatrixMapOf<Scalar> output = top_rows(output_, input.rows());
    infer(input, output);
    return as_const_map(output);
  }
  // With s = 1 / |x| (uncapped): y = x s and dX = s (dY - y (y·dY)); where the cap 1/epsilon holds,
  // s is a constant and dX = s dY.
  ConstMatrixMapOf<Scalar> backward(ConstMatrixMapOf<Scalar> input, ConstMatrixMapOf<Scalar> grad, GradientAt,
                                    bool need_grad_input) override {
    if (!need_grad_input) return no_grad_input();
    MatrixMapOf<Scalar> grad_input = top_rows(grad_input_, input.rows());
    for (Index r = 0; r < input.rows(); ++r) {
      const double squared = input.row(r).template cast<double>().squaredNorm();
      if (squared * kCap * kCap <= 1) {  // 1 / sqrt(squared) >= 1 / epsilon
        grad_input.row(r) = static_cast<Scalar>(kCap) * grad.row(r);
        continue;
      }
      const double scale = 1 / std::sqrt(squared);
      const double along = scale * scale * input.row(r).template cast<double>().dot(grad.row(r).template cast<double>());
      grad_input.row(r) = (static_cast<Scalar>(scale) * (grad.row(r).array() - input.row(r).array() *
                                                                                     static_cast<Scalar>(along)))
                              .matrix();
    }
    return as_const_map(grad_input);
  }
  void infer(ConstMatrixMapOf<Scalar> input, MatrixMapOf<Scalar> output) const override {
    for (Index r = 0; r < input.rows(); ++r) {
      const double squared = input.row(r).template cast<double>().squaredNorm();
      const double scale = squared * kCap * kCap <= 1 ? kCap : 1 / std::sqrt(squared);
      output.row(r) = static_cast<Scalar>(scale) * input.row(r);
    }
  }

 private:
  static constexpr double kCap = 1e12;  // 1 / epsilon, Keras's epsilon for this layer being 1e-12
};

FASTMLP_REGISTER(UnitNormalizationOf<float>);
FASTMLP_REGISTER(UnitNormalizationOf<double>);

}  // namespace
}  // namespace fastmlp
