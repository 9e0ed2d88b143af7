// What the decaying schedules share. Internal to the library.
#pragma once

#include <cmath>
#include <stdexcept>
#include <string>

#include "fastmlp/schedule.hpp"

namespace fastmlp {

inline void require_positive(double value, const char* schedule, const char* what) {
  if (!(value > 0 && std::isfinite(value)))
    throw std::invalid_argument(std::string(schedule) + " " + what + " must be a finite number > 0, got " +
                                std::to_string(value));
}

inline void require_finite(double value, const char* schedule, const char* what) {
  if (!std::isfinite(value))
    throw std::invalid_argument(std::string(schedule) + " " + what + " must be finite, got " + std::to_string(value));
}

// ExponentialDecay's and InverseTimeDecay's parameters, with Keras's names.
struct DecayOptions {
  double initial_learning_rate = 0.0;
  std::int64_t decay_steps = 0;
  double decay_rate = 0.0;
  bool staircase = false;
  std::string name;
  explicit DecayOptions(std::string default_name) : name(std::move(default_name)) {}

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("initial_learning_rate", self.initial_learning_rate, options::required);
    visit("decay_steps", self.decay_steps, options::required);
    visit("decay_rate", self.decay_rate, options::required);
    visit("staircase", self.staircase);
    visit("name", self.name);
  }
};

inline void require_decay_options(const DecayOptions& options, const char* schedule) {
  require_finite(options.initial_learning_rate, schedule, "initial_learning_rate");
  if (options.decay_steps <= 0)
    throw std::invalid_argument(std::string(schedule) + " decay_steps must be > 0, got " +
                                std::to_string(options.decay_steps));
  require_finite(options.decay_rate, schedule, "decay_rate");
}

}  // namespace fastmlp
