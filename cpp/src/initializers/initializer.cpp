#include "fastmlp/initializer.hpp"

#include <stdexcept>

namespace fastmlp {

template <class Scalar>
void Initializer::fill(RowMatrixOf<Scalar>& values, Index fan_in, Index fan_out, Rng& rng) const {
  if (const std::optional<std::int64_t> own = seed()) {
    Rng seeded(static_cast<std::uint64_t>(*own));
    draw(values, fan_in, fan_out, seeded);
  } else {
    draw(values, fan_in, fan_out, rng);
  }
}

template void Initializer::fill(RowMatrixOf<float>&, Index, Index, Rng&) const;
template void Initializer::fill(RowMatrixOf<double>&, Index, Index, Rng&) const;

InitializerPtr make_initializer(const std::string& name, const Config& config) {
  return Registry<Initializer>::instance().create(name, config);
}

}  // namespace fastmlp
