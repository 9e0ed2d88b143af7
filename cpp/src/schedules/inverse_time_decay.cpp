// InverseTimeDecay: initial_learning_rate / (1 + decay_rate * step / decay_steps), the ratio floored
// with staircase.
#include "schedule_options.hpp"

namespace fastmlp {
namespace {

struct InverseTimeDecayOptions : DecayOptions {
  InverseTimeDecayOptions() : DecayOptions("InverseTimeDecay") {}
};

class InverseTimeDecay : public Described<InverseTimeDecay, LearningRateSchedule, InverseTimeDecayOptions> {
 public:
  static constexpr const char* kClassName = "InverseTimeDecay";
  explicit InverseTimeDecay(const Options& options = {}) : Described(options) {
    require_decay_options(options, kClassName);
  }

  double operator()(std::int64_t step) const override {
    double p = static_cast<double>(step) / static_cast<double>(options_.decay_steps);
    if (options_.staircase) p = std::floor(p);
    return options_.initial_learning_rate / (1 + options_.decay_rate * p);
  }
};

FASTMLP_REGISTER(InverseTimeDecay);

}  // namespace
}  // namespace fastmlp
