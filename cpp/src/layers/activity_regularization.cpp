// ActivityRegularization(l1=0.0, l2=0.0): the input passed on unchanged, with the penalty
// (l1 Σ|x| + l2 Σx²) / n of a batch of n rows added to the loss, as Keras 3.15 adds it.
#include <cmath>
#include <stdexcept>

#include "fastmlp/layers/elementwise_layer.hpp"
#include "fastmlp/regularizer.hpp"

namespace fastmlp {
namespace {

struct ActivityRegularizationOptions {
  double l1 = 0.0;
  double l2 = 0.0;

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("l1", self.l1);
    visit("l2", self.l2);
  }
};

template <class Scalar>
class ActivityRegularizationOf
    : public Described<ActivityRegularizationOf<Scalar>, ElementwiseLayerOf<Scalar>, ActivityRegularizationOptions> {
  using DescribedBase =
      Described<ActivityRegularizationOf<Scalar>, ElementwiseLayerOf<Scalar>, ActivityRegularizationOptions>;
  using DescribedBase::grad_input_;
  using DescribedBase::no_grad_input;

 public:
  static constexpr const char* kClassName = "ActivityRegularization";
  explicit ActivityRegularizationOf(const ActivityRegularizationOptions& options = {})
      : DescribedBase(options),
        penalty_(make_regularizer("L1L2", Config::Object{{"l1", options.l1}, {"l2", options.l2}})) {}

  ConstMatrixMapOf<Scalar> forward(ConstMatrixMapOf<Scalar> input, bool /*training*/) override { return input; }
  // dX = dY + d(penalty)/dX = dY + (l1 sign(x) + 2 l2 x) / n
  ConstMatrixMapOf<Scalar> backward(ConstMatrixMapOf<Scalar> input, ConstMatrixMapOf<Scalar> grad, GradientAt,
                                    bool need_grad_input) override {
    if (!need_grad_input) return no_grad_input();
    MatrixMapOf<Scalar> grad_input = top_rows(grad_input_, input.rows());
    grad_input.setZero();
    penalty_->add_gradient(input, grad_input);
    grad_input = grad + (Scalar(1) / static_cast<Scalar>(input.rows())) * grad_input;
    return as_const_map(grad_input);
  }
  void infer(ConstMatrixMapOf<Scalar> input, MatrixMapOf<Scalar> output) const override { output = input; }
  double activity_penalty(ConstMatrixMapOf<Scalar> output) const override {
    return output.rows() > 0 ? penalty_->penalty(output) / static_cast<double>(output.rows()) : 0.0;
  }
  bool has_activity_penalty() const override { return true; }

 private:
  RegularizerPtr penalty_;  // L1L2 validates l1 and l2
};

FASTMLP_REGISTER(ActivityRegularizationOf<float>);
FASTMLP_REGISTER(ActivityRegularizationOf<double>);

}  // namespace
}  // namespace fastmlp
