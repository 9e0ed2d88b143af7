// Random generators that cannot get stuck.
#pragma once

#include <string>

#include "fastmlp/types.hpp"

namespace fastmlp {

// Whether `rng` will ever produce anything but zeros. A Mersenne Twister whose state is all zeros
// (which no seed gives, but a file can hold) produces zeros forever, and the rejection loops of
// the normal distributions that GaussianNoise and the initializers draw from then never end:
// training hung at 100% CPU, deaf to Ctrl-C.
bool generator_is_usable(const Rng& rng);

// Throws std::invalid_argument naming `what` unless generator_is_usable(rng).
void require_usable_generator(const Rng& rng, const std::string& what);

}  // namespace fastmlp
