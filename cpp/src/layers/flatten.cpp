#include "fastmlp/layers/flatten.hpp"

#include <stdexcept>

namespace fastmlp {

template <class Scalar>
FlattenOf<Scalar>::FlattenOf(const Options& options) : DescribedBase(options) {
  // channels_first would reorder the features of 3-D samples before flattening them; fastmlp's
  // samples arrive flattened in C order, which is channels_last.
  if (options.data_format && *options.data_format != "channels_last")
    throw std::invalid_argument("Flatten data_format must be None or 'channels_last', got '" + *options.data_format + "'");
}

template class FlattenOf<float>;
template class FlattenOf<double>;

FASTMLP_REGISTER(FlattenOf<float>);
FASTMLP_REGISTER(FlattenOf<double>);

}  // namespace fastmlp
