#include "fastmlp/initializers.hpp"

#include <cmath>
#include <stdexcept>

namespace fastmlp {
namespace {

// Keras redraws normal samples beyond two standard deviations.
double truncated_normal_sample(Rng& rng, double mean, double stddev) {
  std::normal_distribution<double> normal(0.0, 1.0);
  double z;
  do z = normal(rng);
  while (std::abs(z) > 2.0);
  return mean + stddev * z;
}

const std::vector<std::pair<std::string, Initializer (*)()>>& named_initializers() {
  static const std::vector<std::pair<std::string, Initializer (*)()>> all = {
      {"zeros", [] { return Initializer::zeros(); }},
      {"ones", [] { return Initializer::ones(); }},
      {"random_normal", [] { return Initializer::random_normal(); }},
      {"random_uniform", [] { return Initializer::random_uniform(); }},
      {"truncated_normal", [] { return Initializer::truncated_normal(); }},
      {"glorot_uniform", &Initializer::glorot_uniform},
      {"glorot_normal", &Initializer::glorot_normal},
      {"he_uniform", &Initializer::he_uniform},
      {"he_normal", &Initializer::he_normal},
      {"lecun_uniform", &Initializer::lecun_uniform},
      {"lecun_normal", &Initializer::lecun_normal},
  };
  return all;
}

}  // namespace

Initializer Initializer::zeros() { return {Kind::Zeros, 0, 0}; }
Initializer Initializer::ones() { return {Kind::Ones, 0, 0}; }
Initializer Initializer::constant(double value) { return {Kind::Constant, value, 0}; }
Initializer Initializer::random_normal(double mean, double stddev) { return {Kind::RandomNormal, mean, stddev}; }
Initializer Initializer::random_uniform(double minval, double maxval) { return {Kind::RandomUniform, minval, maxval}; }
Initializer Initializer::truncated_normal(double mean, double stddev) { return {Kind::TruncatedNormal, mean, stddev}; }

Initializer Initializer::variance_scaling(double scale, FanMode mode, Distribution distribution) {
  if (!(scale > 0)) throw std::invalid_argument("variance_scaling scale must be > 0, got " + std::to_string(scale));
  Initializer init(Kind::VarianceScaling, scale, 0);
  init.mode_ = mode;
  init.distribution_ = distribution;
  return init;
}

Initializer Initializer::from_name(const std::string& name) {
  for (const auto& [key, make] : named_initializers())
    if (key == name) return make();
  std::string valid;
  for (const auto& entry : named_initializers()) valid += (valid.empty() ? "" : ", ") + entry.first;
  throw std::invalid_argument("unknown initializer '" + name + "'; valid names are: " + valid);
}

std::vector<std::string> Initializer::names() {
  std::vector<std::string> all;
  for (const auto& entry : named_initializers()) all.push_back(entry.first);
  return all;
}

void Initializer::fill(RowMatrix& values, Index fan_in, Index fan_out, Rng& rng) const {
  auto draw_all = [&](auto&& draw) {
    for (Index i = 0; i < values.size(); ++i) values.data()[i] = static_cast<Scalar>(draw());
  };
  switch (kind_) {
    case Kind::Zeros: values.setZero(); return;
    case Kind::Ones: values.setOnes(); return;
    case Kind::Constant: values.setConstant(static_cast<Scalar>(a_)); return;
    case Kind::RandomNormal: {
      std::normal_distribution<double> normal(a_, b_);
      draw_all([&] { return normal(rng); });
      return;
    }
    case Kind::RandomUniform: {
      std::uniform_real_distribution<double> uniform(a_, b_);
      draw_all([&] { return uniform(rng); });
      return;
    }
    case Kind::TruncatedNormal: draw_all([&] { return truncated_normal_sample(rng, a_, b_); }); return;
    case Kind::VarianceScaling: {
      const double fan = mode_ == FanMode::FanIn    ? fan_in
                         : mode_ == FanMode::FanOut ? fan_out
                                                    : (fan_in + fan_out) / 2.0;
      const double variance = a_ / std::max(1.0, fan);
      switch (distribution_) {
        case Distribution::Uniform: {
          const double limit = std::sqrt(3.0 * variance);
          std::uniform_real_distribution<double> uniform(-limit, limit);
          draw_all([&] { return uniform(rng); });
          return;
        }
        case Distribution::TruncatedNormal: {
          // Dividing by the stddev of a unit normal truncated at ±2 restores the target variance.
          const double stddev = std::sqrt(variance) / 0.87962566103423978;
          draw_all([&] { return truncated_normal_sample(rng, 0.0, stddev); });
          return;
        }
        case Distribution::UntruncatedNormal: {
          std::normal_distribution<double> normal(0.0, std::sqrt(variance));
          draw_all([&] { return normal(rng); });
          return;
        }
      }
    }
  }
}

}  // namespace fastmlp
