#include "fastmlp/schedule.hpp"

namespace fastmlp {

SchedulePtr make_schedule(const std::string& class_name, const Config& config) {
  return Registry<LearningRateSchedule>::instance().create(class_name, config);
}

}  // namespace fastmlp
