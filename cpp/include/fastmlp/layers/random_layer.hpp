// The layers that draw random numbers of their own (Dropout, GaussianNoise).
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include "fastmlp/generator_state.hpp"
#include "fastmlp/layers/elementwise_layer.hpp"
#include "fastmlp/types.hpp"

namespace fastmlp {

// From the layer's seed, or drawn from the model's generator when it has none, so that the model's
// seed fixes it.
// (generator_state.cpp: no integer seed gives a generator stuck at zero; checked all the same.)
inline Rng layer_generator(const std::optional<std::int64_t>& seed, Rng& model_rng) {
  Rng rng(seed ? static_cast<std::uint64_t>(*seed) : model_rng());
  require_usable_generator(rng, seed ? "the generator of seed " + std::to_string(*seed) : "a layer's generator");
  return rng;
}

// Throws unless `seed` is none or a non-negative integer.
inline void require_layer_seed(const std::optional<std::int64_t>& seed, const char* layer) {
  if (seed && *seed < 0)
    throw std::invalid_argument(std::string(layer) + " seed must be a non-negative integer or None, got " +
                                std::to_string(*seed));
}

// A layer that draws random numbers while training (Dropout's masks, GaussianNoise's noise) and is
// the identity at inference: its options have a `seed`, and its generator is saved with the model.
template <class Scalar, class Derived, class OptionsT>
class RandomLayerOf : public Described<Derived, ElementwiseLayerOf<Scalar>, OptionsT> {
  using DescribedBase = Described<Derived, ElementwiseLayerOf<Scalar>, OptionsT>;

 public:
  void infer(ConstMatrixMapOf<Scalar> input, MatrixMapOf<Scalar> output) const override { output = input; }
  Rng* generator() override { return &rng_; }

 protected:
  explicit RandomLayerOf(const OptionsT& options) : DescribedBase(options) {
    require_layer_seed(options.seed, Derived::kClassName);
  }
  void on_build(Rng& rng) override { rng_ = layer_generator(this->options_.seed, rng); }

  Rng rng_;
};

template <class Derived, class OptionsT>
using RandomLayer = RandomLayerOf<float, Derived, OptionsT>;

}  // namespace fastmlp
