// What softmax and log_softmax share: Keras's axis option, which for a dense layer's (samples,
// features) output can only name the features. Internal to the library.
#pragma once

#include <cstdint>
#include <string>

#include "simple.hpp"

namespace fastmlp {

struct FeatureAxisOptions {
  std::int64_t axis = -1;

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("axis", self.axis);
  }
};

// Throws unless `axis` names the features: -1 (Keras's default) or 1.
inline void check_feature_axis(const char* activation, std::int64_t axis) {
  if (axis != -1 && axis != 1)
    throw std::invalid_argument(std::string(activation) + " axis must be -1 (the features of a dense layer's "
                                "output), got " + std::to_string(axis));
}

}  // namespace fastmlp
