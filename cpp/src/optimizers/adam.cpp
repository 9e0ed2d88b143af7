// Adam and AdamW as Keras computes them: the bias corrections are folded into the step size,
// alpha = lr sqrt(1 - beta_2^t) / (1 - beta_1^t), and epsilon is added to sqrt(v), not to v̂.
// amsgrad keeps the running maximum of v. AdamW is Adam with decoupled weight decay on by default.
#include "update_math.hpp"

namespace fastmlp {
namespace {

struct AdamOptions : MomentOptions {
  bool amsgrad = false;
  AdamOptions() : MomentOptions("adam") {}

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    MomentOptions::fields(self, visit);
    visit("amsgrad", self.amsgrad);
  }
};

template <class Derived, class OptionsT>
class AdamUpdate : public DescribedOptimizer<Derived, OptionsT> {
 public:
  std::vector<std::string> slot_names() const override {
    if (this->options_.amsgrad) return {"momentum", "velocity", "velocity_hat"};
    return {"momentum", "velocity"};
  }

 protected:
  explicit AdamUpdate(const OptionsT& options) : DescribedOptimizer<Derived, OptionsT>(options) {
    require_moment_options(options, Derived::kClassName);
  }

  void begin_step() override {
    const double t = static_cast<double>(this->iterations() + 1);
    correction_ = std::sqrt(1 - std::pow(this->options_.beta_2, t)) / (1 - std::pow(this->options_.beta_1, t));
  }

 public:
  template <class Scalar>
  void update_of(size_t index, Scalar* param, const Scalar* grad, Index first, Index end, Scalar lr) {
    const Index n = end - first;
    FlatArrayOf<Scalar> w(param + first, n), m(this->template slot_data<Scalar>(index, 0) + first, n),
        v(this->template slot_data<Scalar>(index, 1) + first, n);
    ConstFlatArrayOf<Scalar> g(grad + first, n);
    // 1 - beta in double, rounded once, as Keras computes it: 1 - 0.999f in float is 5e-5 too large.
    const Scalar one_minus_b1 = static_cast<Scalar>(1 - this->options_.beta_1);
    const Scalar one_minus_b2 = static_cast<Scalar>(1 - this->options_.beta_2);
    const Scalar alpha = static_cast<Scalar>(lr * correction_), eps = static_cast<Scalar>(this->options_.epsilon);
    m += (g - m) * one_minus_b1;
    v += (g.square() - v) * one_minus_b2;
    if (this->options_.amsgrad) {
      FlatArrayOf<Scalar> v_max(this->template slot_data<Scalar>(index, 2) + first, n);
      v_max = v_max.max(v);
      w -= alpha * m / (v_max.sqrt() + eps);
    } else {
      w -= alpha * m / (v.sqrt() + eps);
    }
  }

 private:
  double correction_ = 0;  // this step's sqrt(1 - beta_2^t) / (1 - beta_1^t)
};

class Adam : public AdamUpdate<Adam, AdamOptions> {
 public:
  static constexpr const char* kClassName = "Adam";
  explicit Adam(const Options& options = {}) : AdamUpdate(options) {}
};

struct AdamWOptions : AdamOptions {
  AdamWOptions() {
    name = "adamw";
    weight_decay = 0.004;
  }
};

class AdamW : public AdamUpdate<AdamW, AdamWOptions> {
 public:
  static constexpr const char* kClassName = "AdamW";
  explicit AdamW(const Options& options = {}) : AdamUpdate(options) {
    if (!options.weight_decay)
      throw std::invalid_argument("AdamW weight_decay cannot be None: it is what AdamW adds to Adam");
  }
};

FASTMLP_REGISTER(Adam, "adam");
FASTMLP_REGISTER(AdamW, "adamw");

}  // namespace
}  // namespace fastmlp
