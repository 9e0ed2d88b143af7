// Identity: the input passed on unchanged (Keras's layers.Identity, a placeholder in a graph).
#include "fastmlp/layers/elementwise_layer.hpp"

namespace fastmlp {
namespace {

template <class Scalar>
class IdentityOf : public Described<IdentityOf<Scalar>, ElementwiseLayerOf<Scalar>, NoOptions> {
  using DescribedBase = Described<IdentityOf<Scalar>, ElementwiseLayerOf<Scalar>, NoOptions>;
  using DescribedBase::no_grad_input;

 public:
  static constexpr const char* kClassName = "Identity";
  explicit IdentityOf(const NoOptions& options = {}) : DescribedBase(options) {}

  ConstMatrixMapOf<Scalar> forward(ConstMatrixMapOf<Scalar> input, bool /*training*/) override { return input; }
  ConstMatrixMapOf<Scalar> backward(ConstMatrixMapOf<Scalar>, ConstMatrixMapOf<Scalar> grad, GradientAt,
                                    bool need_grad_input) override {
    return need_grad_input ? grad : no_grad_input();  // dX = dY
  }
  void infer(ConstMatrixMapOf<Scalar> input, MatrixMapOf<Scalar> output) const override { output = input; }
};

FASTMLP_REGISTER(IdentityOf<float>);
FASTMLP_REGISTER(IdentityOf<double>);

}  // namespace
}  // namespace fastmlp
