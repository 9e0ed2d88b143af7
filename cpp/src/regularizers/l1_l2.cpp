// L1, L2 and L1L2: l1 Σ|w| + l2 Σw², each with Keras's parameters and defaults (L1(l1=0.01),
// L2(l2=0.01), L1L2(l1=0, l2=0)).
#include <cmath>
#include <stdexcept>

#include "fastmlp/regularizer.hpp"

namespace fastmlp {

RegularizerPtr make_regularizer(const std::string& name, const Config& config) {
  return Registry<Regularizer>::instance().create(name, config);
}

namespace {

void require_strength(double value, const char* who, const char* name) {
  if (!(std::isfinite(value) && value >= 0))
    throw std::invalid_argument(std::string(who) + " " + name + " must be a finite number >= 0, got " +
                                std::to_string(value));
}

template <class Scalar>
double l1_l2_penalty(double l1, double l2, ConstMatrixMapOf<Scalar> values) {
  double total = 0;
  if (l1 != 0) total += l1 * values.cwiseAbs().template cast<double>().sum();
  if (l2 != 0) total += l2 * values.template cast<double>().squaredNorm();
  return total;
}

// grad += l1 sign(values) + 2 l2 values
template <class Scalar>
void add_l1_l2_gradient(double l1, double l2, ConstMatrixMapOf<Scalar> values, MatrixMapOf<Scalar> grad) {
  if (l1 != 0) grad.array() += static_cast<Scalar>(l1) * values.array().sign();
  if (l2 != 0) grad.array() += static_cast<Scalar>(2 * l2) * values.array();
}

struct L1Options {
  double l1 = 0.01;
  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("l1", self.l1);
  }
};

class L1 : public Described<L1, RegularizerImpl<L1>, L1Options> {
 public:
  static constexpr const char* kClassName = "L1";
  explicit L1(const Options& options = {}) : Described(options) { require_strength(options.l1, kClassName, "l1"); }
  template <class Scalar>
  double penalty_of(ConstMatrixMapOf<Scalar> values) const { return l1_l2_penalty(options_.l1, 0, values); }
  template <class Scalar>
  void add_gradient_of(ConstMatrixMapOf<Scalar> values, MatrixMapOf<Scalar> grad) const {
    add_l1_l2_gradient(options_.l1, 0, values, grad);
  }
};

struct L2Options {
  double l2 = 0.01;
  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("l2", self.l2);
  }
};

class L2 : public Described<L2, RegularizerImpl<L2>, L2Options> {
 public:
  static constexpr const char* kClassName = "L2";
  explicit L2(const Options& options = {}) : Described(options) { require_strength(options.l2, kClassName, "l2"); }
  template <class Scalar>
  double penalty_of(ConstMatrixMapOf<Scalar> values) const { return l1_l2_penalty(0, options_.l2, values); }
  template <class Scalar>
  void add_gradient_of(ConstMatrixMapOf<Scalar> values, MatrixMapOf<Scalar> grad) const {
    add_l1_l2_gradient(0, options_.l2, values, grad);
  }
};

struct L1L2Options {
  double l1 = 0.0;
  double l2 = 0.0;
  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("l1", self.l1);
    visit("l2", self.l2);
  }
};

class L1L2 : public Described<L1L2, RegularizerImpl<L1L2>, L1L2Options> {
 public:
  static constexpr const char* kClassName = "L1L2";
  explicit L1L2(const Options& options = {}) : Described(options) {
    require_strength(options.l1, kClassName, "l1");
    require_strength(options.l2, kClassName, "l2");
  }
  template <class Scalar>
  double penalty_of(ConstMatrixMapOf<Scalar> values) const { return l1_l2_penalty(options_.l1, options_.l2, values); }
  template <class Scalar>
  void add_gradient_of(ConstMatrixMapOf<Scalar> values, MatrixMapOf<Scalar> grad) const {
    add_l1_l2_gradient(options_.l1, options_.l2, values, grad);
  }
};

FASTMLP_REGISTER(L1, "l1");
FASTMLP_REGISTER(L2, "l2");
FASTMLP_REGISTER(L1L2, "l1_l2");

}  // namespace
}  // namespace fastmlp
