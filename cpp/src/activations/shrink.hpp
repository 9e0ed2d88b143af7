// What soft_shrink and hard_shrink share: Keras's threshold option, >= 0. Internal to the library.
#pragma once

#include <string>

#include "simple.hpp"

namespace fastmlp {

struct ShrinkOptions {
  double threshold = 0.5;

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("threshold", self.threshold);
  }
};

// A shrink activation: `Derived` names itself and computes; the threshold is checked here once.
template <class Derived>
class ShrinkActivation : public Described<Derived, ActivationImpl<Derived>, ShrinkOptions> {
 public:
  explicit ShrinkActivation(const ShrinkOptions& options = {})
      : Described<Derived, ActivationImpl<Derived>, ShrinkOptions>(options) {
    if (!(options.threshold >= 0 && std::isfinite(options.threshold)))
      throw std::invalid_argument(std::string(Derived::kClassName) + " threshold must be a finite number >= 0, got " +
                                  std::to_string(options.threshold));
  }
  bool needs_preactivation() const override { return true; }
};

}  // namespace fastmlp
