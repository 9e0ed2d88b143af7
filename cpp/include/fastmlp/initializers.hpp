// Weight initializers with Keras's names, formulas and defaults.
#pragma once

#include <string>
#include <vector>

#include "fastmlp/types.hpp"

namespace fastmlp {

class Initializer {
 public:
  enum class Kind { Zeros, Ones, Constant, RandomNormal, RandomUniform, TruncatedNormal, VarianceScaling };
  enum class FanMode { FanIn, FanOut, FanAvg };
  enum class Distribution { TruncatedNormal, UntruncatedNormal, Uniform };

  static Initializer zeros();
  static Initializer ones();
  static Initializer constant(double value);
  static Initializer random_normal(double mean = 0.0, double stddev = 0.05);
  static Initializer random_uniform(double minval = -0.05, double maxval = 0.05);
  static Initializer truncated_normal(double mean = 0.0, double stddev = 0.05);
  static Initializer variance_scaling(double scale, FanMode mode, Distribution distribution);
  static Initializer glorot_uniform() { return variance_scaling(1.0, FanMode::FanAvg, Distribution::Uniform); }
  static Initializer glorot_normal() { return variance_scaling(1.0, FanMode::FanAvg, Distribution::TruncatedNormal); }
  static Initializer he_uniform() { return variance_scaling(2.0, FanMode::FanIn, Distribution::Uniform); }
  static Initializer he_normal() { return variance_scaling(2.0, FanMode::FanIn, Distribution::TruncatedNormal); }
  static Initializer lecun_uniform() { return variance_scaling(1.0, FanMode::FanIn, Distribution::Uniform); }
  static Initializer lecun_normal() { return variance_scaling(1.0, FanMode::FanIn, Distribution::TruncatedNormal); }

  // Throws std::invalid_argument listing the valid names when `name` is unknown.
  static Initializer from_name(const std::string& name);
  static std::vector<std::string> names();

  // Fills `values`. Keras computes the fans from the shape: fan_in = inputs and fan_out = units
  // for a (inputs, units) kernel, both equal to the length for a bias vector.
  void fill(RowMatrix& values, Index fan_in, Index fan_out, Rng& rng) const;

 private:
  Initializer(Kind kind, double a, double b) : kind_(kind), a_(a), b_(b) {}

  Kind kind_;
  double a_, b_;  // mean/stddev, min/max, value or scale, depending on kind_
  FanMode mode_ = FanMode::FanIn;
  Distribution distribution_ = Distribution::Uniform;
};

}  // namespace fastmlp
