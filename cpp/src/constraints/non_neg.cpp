// NonNeg: negative weights set to 0, as Keras's maximum(w, 0).
#include "fastmlp/constraint.hpp"

namespace fastmlp {
namespace {

class NonNeg : public Described<NonNeg, ConstraintImpl<NonNeg>, NoOptions> {
 public:
  static constexpr const char* kClassName = "NonNeg";
  explicit NonNeg(const Options& options = {}) : Described(options) {}

  template <class Scalar>
  void apply_of(MatrixMapOf<Scalar> values, int /*rank*/) const {
    values = values.cwiseMax(Scalar(0));
  }
};

FASTMLP_REGISTER(NonNeg, "non_neg");

}  // namespace
}  // namespace fastmlp
