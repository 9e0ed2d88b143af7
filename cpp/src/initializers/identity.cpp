// Identity(gain): gain times the identity matrix (2-D tensors; for a vector, its first element).
#include "random.hpp"

namespace fastmlp {
namespace {

struct IdentityOptions {
  double gain = 1.0;

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("gain", self.gain);
  }
};

class Identity : public Described<Identity, InitializerImpl<Identity>, IdentityOptions> {
 public:
  static constexpr const char* kClassName = "Identity";
  explicit Identity(const Options& options = {}) : Described(options) {
    if (!std::isfinite(options.gain))
      throw std::invalid_argument("Identity gain must be finite, got " + std::to_string(options.gain));
  }

 public:
  template <class Scalar>
  void draw_of(RowMatrixOf<Scalar>& values, Index, Index, Rng&) const {
    values.setIdentity();
    values *= static_cast<Scalar>(options_.gain);
  }
};

FASTMLP_REGISTER(Identity, "identity");

}  // namespace
}  // namespace fastmlp
