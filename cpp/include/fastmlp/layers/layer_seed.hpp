// The generator of a layer that draws random numbers of its own (Dropout, GaussianNoise).
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include "fastmlp/types.hpp"

namespace fastmlp {

// From the layer's seed, or drawn from the model's generator when it has none, so that the model's
// seed fixes it.
inline Rng layer_generator(const std::optional<std::int64_t>& seed, Rng& model_rng) {
  return Rng(seed ? static_cast<std::uint64_t>(*seed) : model_rng());
}

// Throws unless `seed` is none or a non-negative integer.
inline void require_layer_seed(const std::optional<std::int64_t>& seed, const char* layer) {
  if (seed && *seed < 0)
    throw std::invalid_argument(std::string(layer) + " seed must be a non-negative integer or None, got " +
                                std::to_string(*seed));
}

}  // namespace fastmlp
