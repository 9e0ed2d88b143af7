// CosineDecay: an optional linear warm-up from initial_learning_rate to warmup_target over
// warmup_steps, then a cosine from the peak down to alpha * peak over decay_steps, flat afterwards.
#include <optional>

#include "schedule_options.hpp"

namespace fastmlp {
namespace {

constexpr double kPi = 3.14159265358979323846;

struct CosineDecayOptions {
  double initial_learning_rate = 0.0;
  std::int64_t decay_steps = 0;
  double alpha = 0.0;
  std::string name = "CosineDecay";
  std::optional<double> warmup_target;  // none: no warm-up
  std::int64_t warmup_steps = 0;

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("initial_learning_rate", self.initial_learning_rate, options::required);
    visit("decay_steps", self.decay_steps, options::required);
    visit("alpha", self.alpha);
    visit("name", self.name);
    visit("warmup_target", self.warmup_target);
    visit("warmup_steps", self.warmup_steps);
  }
};

class CosineDecay : public Described<CosineDecay, LearningRateSchedule, CosineDecayOptions> {
 public:
  static constexpr const char* kClassName = "CosineDecay";
  explicit CosineDecay(const Options& options = {}) : Described(options) {
    require_finite(options.initial_learning_rate, kClassName, "initial_learning_rate");
    if (options.decay_steps <= 0)
      throw std::invalid_argument("CosineDecay decay_steps must be > 0, got " + std::to_string(options.decay_steps));
    require_finite(options.alpha, kClassName, "alpha");
    if (options.warmup_target) require_finite(*options.warmup_target, kClassName, "warmup_target");
    if (options.warmup_steps < 0)
      throw std::invalid_argument("CosineDecay warmup_steps must be >= 0, got " + std::to_string(options.warmup_steps));
  }

  double operator()(std::int64_t step_count) const override {
    const double step = static_cast<double>(step_count);
    const bool warmup = options_.warmup_target && options_.warmup_steps > 0;
    const double initial = options_.initial_learning_rate;
    const double warmup_steps = static_cast<double>(options_.warmup_steps);
    const double decay_steps = static_cast<double>(options_.decay_steps);
    if (warmup && step < warmup_steps) return initial + (*options_.warmup_target - initial) * step / warmup_steps;
    // Keras decays from warmup_target whenever one is given, even with no warm-up steps.
    const double peak = options_.warmup_target.value_or(initial);
    const double t = std::min(step - (warmup ? warmup_steps : 0.0), decay_steps);
    const double cosine = 0.5 * (1 + std::cos(kPi * t / decay_steps));
    return peak * ((1 - options_.alpha) * cosine + options_.alpha);
  }
};

FASTMLP_REGISTER(CosineDecay);

}  // namespace
}  // namespace fastmlp
