// celu: max(z, 0) + alpha (e^(min(z, 0) / alpha) - 1).
#include "simple.hpp"

namespace fastmlp {
namespace {

struct CeluOptions {
  double alpha = 1.0;

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("alpha", self.alpha);
  }
};

class Celu : public Described<Celu, ActivationImpl<Celu>, CeluOptions> {
 public:
  static constexpr const char* kClassName = "celu";

  explicit Celu(const Options& options = {}) : Described(options) {
    if (!(options.alpha > 0 && std::isfinite(options.alpha)))
      throw std::invalid_argument("celu alpha must be a finite number > 0, got " + std::to_string(options.alpha));
  }
  bool needs_preactivation() const override { return true; }

  template <class Scalar>
  void apply_rows_of(MatrixMapOf<Scalar> values) const {
    auto z = values.array();
    const auto alpha = static_cast<Scalar>(options_.alpha);
    z = z.max(Scalar(0)) + alpha * ((z.min(Scalar(0)) / alpha).exp() - 1);
  }
  template <class Scalar>
  void backward_rows_of(ConstMatrixMapOf<Scalar> input, ConstMatrixMapOf<Scalar>, ConstMatrixMapOf<Scalar> g,
                        MatrixMapOf<Scalar> dz) const {
    const auto z = input.array();
    const auto alpha = static_cast<Scalar>(options_.alpha);
    dz.array() = (z > 0).select(g.array(), g.array() * (z.min(Scalar(0)) / alpha).exp());
  }
};

FASTMLP_REGISTER(Celu);

}  // namespace
}  // namespace fastmlp
