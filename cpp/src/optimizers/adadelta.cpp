// Adadelta: a <- rho a + (1 - rho) g²; d = -sqrt(D + eps) / sqrt(a + eps) g;
// D <- rho D + (1 - rho) d²; w <- w + lr d.
#include "update_math.hpp"

namespace fastmlp {
namespace {

struct AdadeltaOptions : OptimizerOptions {
  double rho = 0.95;
  double epsilon = 1e-7;
  AdadeltaOptions() : OptimizerOptions("adadelta", 0.001) {}

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    OptimizerOptions::fields(self, visit);
    visit("rho", self.rho);
    visit("epsilon", self.epsilon);
  }
};

class Adadelta : public DescribedOptimizer<Adadelta, AdadeltaOptions> {
 public:
  static constexpr const char* kClassName = "Adadelta";
  explicit Adadelta(const Options& options = {}) : DescribedOptimizer(options) {
    require_unit_interval(options.rho, "Adadelta rho", false);
    require_epsilon(options.epsilon, "Adadelta epsilon");
  }
  std::vector<std::string> slot_names() const override { return {"accumulated_grad", "accumulated_delta_var"}; }

 public:
  template <class Scalar>
  void update_of(size_t index, Scalar* param, const Scalar* grad, Index first, Index end, Scalar lr) {
    Scalar* a = slot_data<Scalar>(index, 0);
    Scalar* d2 = slot_data<Scalar>(index, 1);
    const Scalar rho = static_cast<Scalar>(options_.rho), one_minus_rho = static_cast<Scalar>(1 - options_.rho);
    const Scalar eps = static_cast<Scalar>(options_.epsilon);
    // One element at a time: the step needs the old D before D is updated, without a scratch array.
    for (Index i = first; i < end; ++i) {
      a[i] = rho * a[i] + one_minus_rho * grad[i] * grad[i];
      const Scalar delta = -std::sqrt(d2[i] + eps) / std::sqrt(a[i] + eps) * grad[i];
      d2[i] = rho * d2[i] + one_minus_rho * delta * delta;
      param[i] += lr * delta;
    }
  }
};

FASTMLP_REGISTER(Adadelta, "adadelta");

}  // namespace
}  // namespace fastmlp
