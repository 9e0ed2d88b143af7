// ExponentialDecay: initial_learning_rate * decay_rate^(step / decay_steps), the exponent floored
// with staircase.
#include "schedule_options.hpp"

namespace fastmlp {
namespace {

struct ExponentialDecayOptions : DecayOptions {
  ExponentialDecayOptions() : DecayOptions("ExponentialDecay") {}
};

class ExponentialDecay : public Described<ExponentialDecay, LearningRateSchedule, ExponentialDecayOptions> {
 public:
  static constexpr const char* kClassName = "ExponentialDecay";
  explicit ExponentialDecay(const Options& options = {}) : Described(options) {
    require_decay_options(options, kClassName);
  }

  double operator()(std::int64_t step) const override {
    double p = static_cast<double>(step) / static_cast<double>(options_.decay_steps);
    if (options_.staircase) p = std::floor(p);
    return options_.initial_learning_rate * std::pow(options_.decay_rate, p);
  }
};

FASTMLP_REGISTER(ExponentialDecay);

}  // namespace
}  // namespace fastmlp
