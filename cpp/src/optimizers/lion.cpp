// Lion (Chen et al. 2023), as Keras 3 computes it:
//   w <- w - lr sign(beta_1 m + (1 - beta_1) g);  m <- beta_2 m + (1 - beta_2) g.
// The step's size comes from the sign alone, so Lion wants a learning rate 3-10x below AdamW's.
#include "update_math.hpp"

namespace fastmlp {
namespace {

struct LionOptions : OptimizerOptions {
  double beta_1 = 0.9;
  double beta_2 = 0.99;
  LionOptions() : OptimizerOptions("lion", 0.001) {}

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    OptimizerOptions::fields(self, visit);
    visit("beta_1", self.beta_1);
    visit("beta_2", self.beta_2);
  }
};

class Lion : public DescribedOptimizer<Lion, LionOptions> {
 public:
  static constexpr const char* kClassName = "Lion";
  explicit Lion(const Options& options = {}) : DescribedOptimizer(options) {
    // beta_1 = 0 would make Lion sign-SGD, which Keras refuses too.
    if (!(options.beta_1 > 0 && options.beta_1 <= 1))
      throw std::invalid_argument("Lion beta_1 must be in (0, 1], got " + std::to_string(options.beta_1));
    require_unit_interval(options.beta_2, "Lion beta_2", true);
  }
  std::vector<std::string> slot_names() const override { return {"momentum"}; }

 public:
  template <class Scalar>
  void update_of(size_t index, Scalar* param, const Scalar* grad, Index first, Index end, Scalar lr) {
    const Index n = end - first;
    FlatArrayOf<Scalar> w(param + first, n), m(slot_data<Scalar>(index, 0) + first, n);
    ConstFlatArrayOf<Scalar> g(grad + first, n);
    const Scalar b1 = static_cast<Scalar>(options_.beta_1), b2 = static_cast<Scalar>(options_.beta_2);
    w -= lr * (m * b1 + g * (1 - b1)).sign();
    m = m * b2 + g * (1 - b2);
  }
};

FASTMLP_REGISTER(Lion, "lion");

}  // namespace
}  // namespace fastmlp
