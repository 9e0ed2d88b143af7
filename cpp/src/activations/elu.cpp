// elu: z for z > 0, alpha (e^z - 1) otherwise.
#include "simple.hpp"

namespace fastmlp {
namespace {

struct EluOptions {
  double alpha = 1.0;

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("alpha", self.alpha);
  }
};

class Elu : public Described<Elu, ActivationImpl<Elu>, EluOptions> {
 public:
  static constexpr const char* kClassName = "elu";

  explicit Elu(const Options& options = {}) : Described(options) {
    // backward reads e^z from the output, A + alpha, which needs alpha > 0 to tell the sides apart.
    if (!(options.alpha > 0 && std::isfinite(options.alpha)))
      throw std::invalid_argument("elu alpha must be a finite number > 0, got " + std::to_string(options.alpha));
  }

  template <class Scalar>
  void apply_rows_of(MatrixMapOf<Scalar> values) const {
    auto z = values.array();
    z = (z > 0).select(z, static_cast<Scalar>(options_.alpha) * (z.exp() - 1));
  }
  template <class Scalar>
  void backward_rows_of(ConstMatrixMapOf<Scalar>, ConstMatrixMapOf<Scalar> a, ConstMatrixMapOf<Scalar> g,
                        MatrixMapOf<Scalar> dz) const {
    // α e^z = A + α below zero
    dz.array() = (a.array() > 0).select(g.array(), g.array() * (a.array() + static_cast<Scalar>(options_.alpha)));
  }
};

FASTMLP_REGISTER(Elu);

}  // namespace
}  // namespace fastmlp
