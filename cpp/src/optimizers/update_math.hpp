// Pieces the optimizers share. Internal to the library.
#pragma once

#include <cmath>
#include <stdexcept>
#include <string>

#include "fastmlp/optimizer.hpp"

namespace fastmlp {

using FlatArray = Eigen::Map<Eigen::Array<Scalar, Eigen::Dynamic, 1>>;
using ConstFlatArray = Eigen::Map<const Eigen::Array<Scalar, Eigen::Dynamic, 1>>;

inline void require_unit_interval(double value, const std::string& what, bool one_allowed) {
  if (!(value >= 0 && (one_allowed ? value <= 1 : value < 1)))
    throw std::invalid_argument(what + " must be in [0, 1" + (one_allowed ? "]" : ")") + ", got " +
                                std::to_string(value));
}

inline void require_epsilon(double value, const std::string& what) {
  if (!(value >= 0 && std::isfinite(value)))
    throw std::invalid_argument(what + " must be a finite number >= 0, got " + std::to_string(value));
}

}  // namespace fastmlp
