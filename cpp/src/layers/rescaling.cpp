// Rescaling(scale, offset=0.0): x * scale + offset, as Keras's preprocessing layer (pixels in
// [0, 255] to [0, 1] with scale=1/255), with its gradient dX = scale dY.
#include <cmath>
#include <stdexcept>

#include "fastmlp/layers/elementwise_layer.hpp"

namespace fastmlp {
namespace {

struct RescalingOptions {
  double scale = 1.0;
  double offset = 0.0;

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("scale", self.scale, options::required);
    visit("offset", self.offset);
  }
};

template <class Scalar>
class RescalingOf : public Described<RescalingOf<Scalar>, ElementwiseLayerOf<Scalar>, RescalingOptions> {
  using DescribedBase = Described<RescalingOf<Scalar>, ElementwiseLayerOf<Scalar>, RescalingOptions>;
  using DescribedBase::grad_input_;
  using DescribedBase::no_grad_input;
  using DescribedBase::options_;
  using DescribedBase::output_;

 public:
  static constexpr const char* kClassName = "Rescaling";
  explicit RescalingOf(const RescalingOptions& options) : DescribedBase(options) {
    if (!std::isfinite(options.scale) || !std::isfinite(options.offset))
      throw std::invalid_argument("Rescaling scale and offset must be finite numbers");
  }

  ConstMatrixMapOf<Scalar> forward(ConstMatrixMapOf<Scalar> input, bool /*training*/) override {
    MatrixMapOf<Scalar> output = top_rows(output_, input.rows());
    infer(input, output);
    return as_const_map(output);
  }
  ConstMatrixMapOf<Scalar> backward(ConstMatrixMapOf<Scalar> input, ConstMatrixMapOf<Scalar> grad, GradientAt,
                                    bool need_grad_input) override {
    if (!need_grad_input) return no_grad_input();
    MatrixMapOf<Scalar> grad_input = top_rows(grad_input_, input.rows());
    grad_input = static_cast<Scalar>(options_.scale) * grad;  // dX = scale dY
    return as_const_map(grad_input);
  }
  void infer(ConstMatrixMapOf<Scalar> input, MatrixMapOf<Scalar> output) const override {
    output.array() = input.array() * static_cast<Scalar>(options_.scale) + static_cast<Scalar>(options_.offset);
  }
};

FASTMLP_REGISTER(RescalingOf<float>);
FASTMLP_REGISTER(RescalingOf<double>);

}  // namespace
}  // namespace fastmlp
