// Zeros, Ones and Constant(value): every element the same.
#include "random.hpp"

namespace fastmlp {
namespace {

class Zeros : public Described<Zeros, InitializerImpl<Zeros>, NoOptions> {
 public:
  static constexpr const char* kClassName = "Zeros";
  explicit Zeros(const Options& options = {}) : Described(options) {}

 public:
  template <class Scalar>
  void draw_of(RowMatrixOf<Scalar>& values, Index, Index, Rng&) const { values.setZero(); }
};

class Ones : public Described<Ones, InitializerImpl<Ones>, NoOptions> {
 public:
  static constexpr const char* kClassName = "Ones";
  explicit Ones(const Options& options = {}) : Described(options) {}

 public:
  template <class Scalar>
  void draw_of(RowMatrixOf<Scalar>& values, Index, Index, Rng&) const { values.setOnes(); }
};

struct ConstantOptions {
  double value = 0.0;

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("value", self.value);
  }
};

class Constant : public Described<Constant, InitializerImpl<Constant>, ConstantOptions> {
 public:
  static constexpr const char* kClassName = "Constant";
  explicit Constant(const Options& options = {}) : Described(options) {
    if (!std::isfinite(options.value))
      throw std::invalid_argument("Constant value must be finite, got " + std::to_string(options.value));
  }

 public:
  template <class Scalar>
  void draw_of(RowMatrixOf<Scalar>& values, Index, Index, Rng&) const {
    values.setConstant(static_cast<Scalar>(options_.value));
  }
};

FASTMLP_REGISTER(Zeros, "zeros", "zero");
FASTMLP_REGISTER(Ones, "ones", "one");
FASTMLP_REGISTER(Constant, "constant");

}  // namespace
}  // namespace fastmlp
