// UnitNorm(axis=0): each norm over `axis` made 1, as Keras's w / (epsilon + norm).
#include "norm.hpp"

namespace fastmlp {
namespace {

struct UnitNormOptions {
  ConstraintAxis axis;

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("axis", self.axis);
  }
};

class UnitNorm : public Described<UnitNorm, ConstraintImpl<UnitNorm>, UnitNormOptions> {
 public:
  static constexpr const char* kClassName = "UnitNorm";
  explicit UnitNorm(const Options& options = {}) : Described(options) {}
  void check_rank(int rank, const std::string& what) const override { options_.axis.check(rank, what); }

  template <class Scalar>
  void apply_of(MatrixMapOf<Scalar> values, int rank) const {
    rescale_norms(values, options_.axis.reduction(rank), [](double) { return 1.0; });
  }
};

FASTMLP_REGISTER(UnitNorm, "unit_norm");

}  // namespace
}  // namespace fastmlp
