// What the random initializers share: their seed and Keras's truncated normal. Internal.
#pragma once

#include <cmath>
#include <random>
#include <stdexcept>

#include "fastmlp/initializer.hpp"

namespace fastmlp {

// Keras redraws normal samples beyond two standard deviations. A working generator needs a
// redraw once in 22 samples, so 1000 in a row means a generator that has stopped being random
// (generator_state.hpp): an error, not a loop without end.
inline double truncated_normal_sample(Rng& rng, double mean, double stddev) {
  std::normal_distribution<double> normal(0.0, 1.0);
  for (int attempt = 0; attempt < 1000; ++attempt)
    if (const double z = normal(rng); std::abs(z) <= 2.0) return mean + stddev * z;
  throw std::runtime_error("TruncatedNormal: 1000 normal samples in a row fell beyond two standard deviations; "
                           "the random generator is broken");
}

// Each element a draw (a double), rounded to the tensor's type.
template <class Scalar, class Draw>
void draw_each(RowMatrixOf<Scalar>& values, Draw&& draw) {
  for (Index i = 0; i < values.size(); ++i) values.data()[i] = static_cast<Scalar>(draw());
}

inline void require_seed(const std::optional<std::int64_t>& seed, const char* who) {
  if (seed && *seed < 0)
    throw std::invalid_argument(std::string(who) + " seed must be a non-negative integer or None, got " +
                                std::to_string(*seed));
}

// An initializer whose options include a seed.
template <class Derived, class OptionsT>
class SeededInitializer : public Described<Derived, InitializerImpl<Derived>, OptionsT> {
  using DescribedBase = Described<Derived, InitializerImpl<Derived>, OptionsT>;

 protected:
  explicit SeededInitializer(const OptionsT& options) : DescribedBase(options) {
    require_seed(options.seed, Derived::kClassName);
  }
  std::optional<std::int64_t> seed() const override { return this->options_.seed; }
};

}  // namespace fastmlp
