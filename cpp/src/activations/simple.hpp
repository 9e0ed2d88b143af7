// The shape every activation file shares: a Described activation registered under Keras's name.
// Internal to the library.
#pragma once

#include <cmath>

#include "fastmlp/activation.hpp"

namespace fastmlp {

// An activation without parameters.
template <class Derived>
class ParameterlessActivation : public Described<Derived, ActivationImpl<Derived>, NoOptions> {
 public:
  explicit ParameterlessActivation(const NoOptions& options = {})
      : Described<Derived, ActivationImpl<Derived>, NoOptions>(options) {}
};

}  // namespace fastmlp
