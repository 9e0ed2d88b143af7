// RMSprop as Keras computes it: v <- rho v + (1 - rho) g²; step = lr g / sqrt(v + epsilon), with
// epsilon inside the square root; `centered` subtracts the squared running mean of g from v.
#include "update_math.hpp"

namespace fastmlp {
namespace {

struct RMSpropOptions : OptimizerOptions {
  double rho = 0.9;
  double momentum = 0.0;
  double epsilon = 1e-7;
  bool centered = false;
  RMSpropOptions() : OptimizerOptions("rmsprop", 0.001) {}

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    OptimizerOptions::fields(self, visit);
    visit("rho", self.rho);
    visit("momentum", self.momentum);
    visit("epsilon", self.epsilon);
    visit("centered", self.centered);
  }
};

class RMSprop : public DescribedOptimizer<RMSprop, RMSpropOptions> {
 public:
  static constexpr const char* kClassName = "RMSprop";
  explicit RMSprop(const Options& options = {}) : DescribedOptimizer(options) {
    require_unit_interval(options.rho, "RMSprop rho", false);
    require_unit_interval(options.momentum, "RMSprop momentum", true);
    require_epsilon(options.epsilon, "RMSprop epsilon");
  }

  // velocity, then the momentum buffer and the mean gradient when those options are on
  std::vector<std::string> slot_names() const override {
    std::vector<std::string> names{"velocity"};
    if (options_.momentum > 0) names.emplace_back("momentum");
    if (options_.centered) names.emplace_back("average_gradient");
    return names;
  }

 public:
  template <class Scalar>
  void update_of(size_t index, Scalar* param, const Scalar* grad, Index first, Index end, Scalar lr) {
    const Index n = end - first;
    FlatArrayOf<Scalar> w(param + first, n), v(slot_data<Scalar>(index, 0) + first, n);
    ConstFlatArrayOf<Scalar> g(grad + first, n);
    const Scalar rho = static_cast<Scalar>(options_.rho), one_minus_rho = static_cast<Scalar>(1 - options_.rho);
    const Scalar eps = static_cast<Scalar>(options_.epsilon);
    v = rho * v + one_minus_rho * g.square();
    auto apply = [&](const auto& increment) {
      if (options_.momentum > 0) {
        FlatArrayOf<Scalar> m(slot_data<Scalar>(index, 1) + first, n);
        m = static_cast<Scalar>(options_.momentum) * m + increment;
        w -= m;
      } else {
        w -= increment;
      }
    };
    if (options_.centered) {
      FlatArrayOf<Scalar> mean_grad(slot_data<Scalar>(index, options_.momentum > 0 ? 2 : 1) + first, n);
      mean_grad = rho * mean_grad + one_minus_rho * g;
      apply(lr * g / (v - mean_grad.square() + eps).sqrt());
    } else {
      apply(lr * g / (v + eps).sqrt());
    }
  }
};

FASTMLP_REGISTER(RMSprop, "rmsprop");

}  // namespace
}  // namespace fastmlp
