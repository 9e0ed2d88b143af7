// squareplus: (z + sqrt(z² + b)) / 2.
#include "simple.hpp"

namespace fastmlp {
namespace {

struct SquareplusOptions {
  double b = 4.0;

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("b", self.b);
  }
};

class Squareplus : public Described<Squareplus, ActivationImpl<Squareplus>, SquareplusOptions> {
 public:
  static constexpr const char* kClassName = "squareplus";

  explicit Squareplus(const Options& options = {}) : Described(options) {
    if (!(options.b >= 0 && std::isfinite(options.b)))
      throw std::invalid_argument("squareplus b must be a finite number >= 0, got " + std::to_string(options.b));
  }
  bool needs_preactivation() const override { return true; }

  template <class Scalar>
  void apply_rows_of(MatrixMapOf<Scalar> values) const {
    auto z = values.array();
    z = (z + (z.square() + static_cast<Scalar>(options_.b)).sqrt()) / 2;
  }
  template <class Scalar>
  void backward_rows_of(ConstMatrixMapOf<Scalar> input, ConstMatrixMapOf<Scalar>, ConstMatrixMapOf<Scalar> g,
                        MatrixMapOf<Scalar> dz) const {
    const auto z = input.array();
    const auto root = (z.square() + static_cast<Scalar>(options_.b)).sqrt();
    // (1 + z / root) / 2, with 0/0 at z = 0 when b = 0 taken as the right-hand derivative 1
    dz.array() = g.array() * (root > 0).select((1 + z / root) / 2, Scalar(1));
  }
};

FASTMLP_REGISTER(Squareplus);

}  // namespace
}  // namespace fastmlp
