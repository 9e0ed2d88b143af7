// Nadam (Adam with Nesterov momentum) with Keras's momentum schedule u_t = beta_1 (1 - 0.5 * 0.96^t)
// and its running product.
#include "update_math.hpp"

namespace fastmlp {
namespace {

struct NadamOptions : MomentOptions {
  NadamOptions() : MomentOptions("nadam") {}
};

class Nadam : public DescribedOptimizer<Nadam, NadamOptions> {
 public:
  static constexpr const char* kClassName = "Nadam";
  explicit Nadam(const Options& options = {}) : DescribedOptimizer(options) {
    require_moment_options(options, kClassName);
  }
  std::vector<std::string> slot_names() const override { return {"momentum", "velocity"}; }
  // The running product of u_t (Keras's _u_product).
  Config extra_state() const override { return Config::Object{{"u_product", u_product_}}; }

 protected:
  void restore_extra_state(const Config& extra) override {
    if (const Config* product = extra.find("u_product")) {
      const double value = product->as_number("Nadam u_product");
      if (!(value > 0 && value <= 1))
        throw std::invalid_argument("Nadam u_product must be in (0, 1], got " + std::to_string(value));
      u_product_ = value;
    }
  }

  void begin_step() override {
    const double t = static_cast<double>(iterations() + 1);
    const double u_t = options_.beta_1 * (1 - 0.5 * std::pow(0.96, t));
    const double u_next = options_.beta_1 * (1 - 0.5 * std::pow(0.96, t + 1));
    u_product_ *= u_t;  // Keras advances the product once per step, before the updates
    u_t_ = u_t;
    u_next_ = u_next;
    u_product_t_ = u_product_;
    u_product_next_ = u_product_ * u_next;
    v_correction_ = 1 / (1 - std::pow(options_.beta_2, t));
  }

 public:
  template <class Scalar>
  void update_of(size_t index, Scalar* param, const Scalar* grad, Index first, Index end, Scalar lr) {
    const Index n = end - first;
    FlatArrayOf<Scalar> w(param + first, n), m(slot_data<Scalar>(index, 0) + first, n),
        v(slot_data<Scalar>(index, 1) + first, n);
    ConstFlatArrayOf<Scalar> g(grad + first, n);
    const Scalar one_minus_b1 = static_cast<Scalar>(1 - options_.beta_1);
    const Scalar one_minus_b2 = static_cast<Scalar>(1 - options_.beta_2);
    // This step's factors, rounded to the parameters' type.
    const Scalar u_t = static_cast<Scalar>(u_t_), u_next = static_cast<Scalar>(u_next_);
    const Scalar u_product_t = static_cast<Scalar>(u_product_t_), u_product_next = static_cast<Scalar>(u_product_next_);
    const Scalar v_correction = static_cast<Scalar>(v_correction_);
    m += (g - m) * one_minus_b1;
    v += (g.square() - v) * one_minus_b2;
    const auto m_hat = u_next * m / (1 - u_product_next) + (1 - u_t) * g / (1 - u_product_t);
    w -= lr * m_hat / ((v * v_correction).sqrt() + static_cast<Scalar>(options_.epsilon));
  }

 private:
  double u_product_ = 1.0;
  // This step's u_t, u_{t+1}, the products through t and t+1, and 1 / (1 - beta_2^t).
  double u_t_ = 0, u_next_ = 0, u_product_t_ = 0, u_product_next_ = 0, v_correction_ = 0;
};

FASTMLP_REGISTER(Nadam, "nadam");

}  // namespace
}  // namespace fastmlp
