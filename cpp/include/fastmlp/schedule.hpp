// Learning-rate schedules: the learning rate as a function of the optimizer's step count, as Keras
// defines them (the step passed is the number of updates already taken). Each is a class under
// cpp/src/schedules/, registered under Keras's class name.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "fastmlp/registry.hpp"

namespace fastmlp {

class LearningRateSchedule : public Configurable {
 public:
  using Base = LearningRateSchedule;
  static constexpr const char* kKind = "learning-rate schedule";

  virtual double operator()(std::int64_t step) const = 0;
};

using SchedulePtr = std::shared_ptr<const LearningRateSchedule>;

// A schedule by class name ("ExponentialDecay") from its config.
SchedulePtr make_schedule(const std::string& class_name, const Config& config);

}  // namespace fastmlp
