// Pieces the optimizers share. Internal to the library.
#pragma once

#include <cmath>
#include <stdexcept>
#include <string>

#include "fastmlp/optimizer.hpp"

namespace fastmlp {

// A parameter's elements (or a slot's, or a gradient's) as a flat array.
template <class Scalar>
using FlatArrayOf = Eigen::Map<Eigen::Array<Scalar, Eigen::Dynamic, 1>>;
template <class Scalar>
using ConstFlatArrayOf = Eigen::Map<const Eigen::Array<Scalar, Eigen::Dynamic, 1>>;

inline void require_unit_interval(double value, const std::string& what, bool one_allowed) {
  if (!(value >= 0 && (one_allowed ? value <= 1 : value < 1)))
    throw std::invalid_argument(what + " must be in [0, 1" + (one_allowed ? "]" : ")") + ", got " +
                                std::to_string(value));
}

inline void require_epsilon(double value, const std::string& what) {
  if (!(value >= 0 && std::isfinite(value)))
    throw std::invalid_argument(what + " must be a finite number >= 0, got " + std::to_string(value));
}

// The options of the optimizers built on Adam's two moments (Adam, AdamW, Adamax, Nadam), with
// Keras's defaults, and their checks.
struct MomentOptions : OptimizerOptions {
  double beta_1 = 0.9;
  double beta_2 = 0.999;
  double epsilon = 1e-7;
  explicit MomentOptions(std::string default_name) : OptimizerOptions(std::move(default_name), 0.001) {}

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    OptimizerOptions::fields(self, visit);
    visit("beta_1", self.beta_1);
    visit("beta_2", self.beta_2);
    visit("epsilon", self.epsilon);
  }
};

inline void require_moment_options(const MomentOptions& options, const std::string& who) {
  require_unit_interval(options.beta_1, who + " beta_1", false);
  require_unit_interval(options.beta_2, who + " beta_2", false);
  require_epsilon(options.epsilon, who + " epsilon");
}

}  // namespace fastmlp
