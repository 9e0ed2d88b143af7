#include "fastmlp/generator_state.hpp"

#include <stdexcept>

namespace fastmlp {

bool generator_is_usable(const Rng& rng) {
  // The generator's words x_j follow x_{j+n} = x_{j+m} ^ A(upper(x_j) | lower(x_{j+1})), a
  // bijection of its state (upper(x_j), x_{j+1}, ..., x_{j+n-1}) that maps zero to zero: it is
  // stuck exactly when that state is zero, when x_{j+1} ... x_{j+n} are all zero (the low bits of
  // the next word x_j are never read again, so that word may be anything). Outputs are a bijective
  // tempering of the words, so zero outputs are zero words. Drawn from a copy: `rng` does not advance.
  Rng copy = rng;
  copy.discard(1);
  for (std::size_t i = 0; i < Rng::state_size; ++i)
    if (copy() != 0) return true;
  return false;
}

void require_usable_generator(const Rng& rng, const std::string& what) {
  if (!generator_is_usable(rng))
    throw std::invalid_argument(what + " is all zeros: a Mersenne Twister in that state produces only zeros, so "
                                       "shuffling and noise would stop being random and sampling would never end");
}

}  // namespace fastmlp
