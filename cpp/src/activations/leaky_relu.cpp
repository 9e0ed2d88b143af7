// leaky_relu: z for z > 0, negative_slope * z otherwise (Keras's default slope 0.2).
#include "simple.hpp"

namespace fastmlp {
namespace {

struct LeakyReluOptions {
  double negative_slope = 0.2;

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("negative_slope", self.negative_slope);
  }
};

class LeakyRelu : public Described<LeakyRelu, ActivationImpl<LeakyRelu>, LeakyReluOptions> {
 public:
  static constexpr const char* kClassName = "leaky_relu";

  explicit LeakyRelu(const Options& options = {}) : Described(options) {
    // With a negative slope the output's sign no longer tells which side of zero Z was on, and
    // backward reads the derivative from the output.
    if (!(options.negative_slope >= 0 && std::isfinite(options.negative_slope)))
      throw std::invalid_argument("leaky_relu negative_slope must be a finite number >= 0, got " +
                                  std::to_string(options.negative_slope));
  }

  template <class Scalar>
  void apply_rows_of(MatrixMapOf<Scalar> values) const {
    auto z = values.array();
    z = (z > 0).select(z, static_cast<Scalar>(options_.negative_slope) * z);
  }
  template <class Scalar>
  void backward_rows_of(ConstMatrixMapOf<Scalar>, ConstMatrixMapOf<Scalar> a, ConstMatrixMapOf<Scalar> g,
                        MatrixMapOf<Scalar> dz) const {
    dz.array() = (a.array() > 0).select(g.array(), static_cast<Scalar>(options_.negative_slope) * g.array());
  }
};

FASTMLP_REGISTER(LeakyRelu);

}  // namespace
}  // namespace fastmlp
