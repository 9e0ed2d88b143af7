// SGD, optionally with (Nesterov) momentum, in Keras's formulation:
// m <- momentum m - lr g;  w <- w + m  (Nesterov: w <- w + momentum m - lr g).
#include "update_math.hpp"

namespace fastmlp {
namespace {

struct SGDOptions : OptimizerOptions {
  double momentum = 0.0;
  bool nesterov = false;
  SGDOptions() : OptimizerOptions("SGD", 0.01) {}

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    OptimizerOptions::fields(self, visit);
    visit("momentum", self.momentum);
    visit("nesterov", self.nesterov);
  }
};

class SGD : public DescribedOptimizer<SGD, SGDOptions> {
 public:
  static constexpr const char* kClassName = "SGD";
  explicit SGD(const Options& options = {}) : DescribedOptimizer(options) {
    require_unit_interval(options.momentum, "SGD momentum", true);
  }

  std::vector<std::string> slot_names() const override {
    if (options_.momentum == 0) return {};
    return {"momentum"};
  }

 public:
  template <class Scalar>
  void update_of(size_t index, Scalar* param, const Scalar* grad, Index first, Index end, Scalar lr) {
    const Index n = end - first;
    FlatArrayOf<Scalar> w(param + first, n);
    ConstFlatArrayOf<Scalar> g(grad + first, n);
    if (options_.momentum == 0) {
      w -= lr * g;
      return;
    }
    const Scalar mu = static_cast<Scalar>(options_.momentum);
    FlatArrayOf<Scalar> m(slot_data<Scalar>(index, 0) + first, n);
    m = mu * m - lr * g;
    if (options_.nesterov)
      w += mu * m - lr * g;
    else
      w += m;
  }
};

FASTMLP_REGISTER(SGD, "sgd");

}  // namespace
}  // namespace fastmlp
