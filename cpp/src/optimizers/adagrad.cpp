// Adagrad: a <- a + g²; w <- w - lr g / sqrt(a + epsilon), a starting at initial_accumulator_value.
#include "update_math.hpp"

namespace fastmlp {
namespace {

struct AdagradOptions : OptimizerOptions {
  double initial_accumulator_value = 0.1;
  double epsilon = 1e-7;
  AdagradOptions() : OptimizerOptions("adagrad", 0.001) {}

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    OptimizerOptions::fields(self, visit);
    visit("initial_accumulator_value", self.initial_accumulator_value);
    visit("epsilon", self.epsilon);
  }
};

class Adagrad : public DescribedOptimizer<Adagrad, AdagradOptions> {
 public:
  static constexpr const char* kClassName = "Adagrad";
  explicit Adagrad(const Options& options = {}) : DescribedOptimizer(options) {
    require_epsilon(options.initial_accumulator_value, "Adagrad initial_accumulator_value");
    require_epsilon(options.epsilon, "Adagrad epsilon");
  }
  std::vector<std::string> slot_names() const override { return {"accumulator"}; }

 protected:
  double initial_slot_value(int) const override { return options_.initial_accumulator_value; }

 public:
  template <class Scalar>
  void update_of(size_t index, Scalar* param, const Scalar* grad, Index first, Index end, Scalar lr) {
    const Index n = end - first;
    FlatArrayOf<Scalar> w(param + first, n), a(slot_data<Scalar>(index, 0) + first, n);
    ConstFlatArrayOf<Scalar> g(grad + first, n);
    a += g.square();
    w -= lr * g / (a + static_cast<Scalar>(options_.epsilon)).sqrt();
  }
};

FASTMLP_REGISTER(Adagrad, "adagrad");

}  // namespace
}  // namespace fastmlp
