// Adamax: m <- m + (g - m)(1 - beta_1); u <- max(beta_2 u, |g|);
// w <- w - lr m / ((1 - beta_1^t)(u + epsilon)).
#include "update_math.hpp"

namespace fastmlp {
namespace {

struct AdamaxOptions : MomentOptions {
  AdamaxOptions() : MomentOptions("adamax") {}
};

class Adamax : public DescribedOptimizer<Adamax, AdamaxOptions> {
 public:
  static constexpr const char* kClassName = "Adamax";
  explicit Adamax(const Options& options = {}) : DescribedOptimizer(options) {
    require_moment_options(options, kClassName);
  }
  std::vector<std::string> slot_names() const override { return {"m", "u"}; }

 protected:
  void begin_step() override {
    correction_ = 1 / (1 - std::pow(options_.beta_1, static_cast<double>(iterations() + 1)));
  }

 public:
  template <class Scalar>
  void update_of(size_t index, Scalar* param, const Scalar* grad, Index first, Index end, Scalar lr) {
    const Index n = end - first;
    FlatArrayOf<Scalar> w(param + first, n), m(slot_data<Scalar>(index, 0) + first, n),
        u(slot_data<Scalar>(index, 1) + first, n);
    ConstFlatArrayOf<Scalar> g(grad + first, n);
    const Scalar one_minus_b1 = static_cast<Scalar>(1 - options_.beta_1), b2 = static_cast<Scalar>(options_.beta_2);
    m += (g - m) * one_minus_b1;
    u = (b2 * u).max(g.abs());
    w -= static_cast<Scalar>(lr * correction_) * m / (u + static_cast<Scalar>(options_.epsilon));
  }

 private:
  double correction_ = 0;  // 1 / (1 - beta_1^t)
};

FASTMLP_REGISTER(Adamax, "adamax");

}  // namespace
}  // namespace fastmlp
