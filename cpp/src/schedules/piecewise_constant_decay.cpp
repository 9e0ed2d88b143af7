// PiecewiseConstantDecay: values[0] up to and including boundaries[0], values[i] up to boundaries[i],
// values.back() after the last boundary.
#include <vector>

#include "schedule_options.hpp"

namespace fastmlp {
namespace {

struct PiecewiseConstantDecayOptions {
  std::vector<double> boundaries;
  std::vector<double> values;
  std::string name = "PiecewiseConstant";

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("boundaries", self.boundaries, options::required);
    visit("values", self.values, options::required);
    visit("name", self.name);
  }
};

class PiecewiseConstantDecay
    : public Described<PiecewiseConstantDecay, LearningRateSchedule, PiecewiseConstantDecayOptions> {
 public:
  static constexpr const char* kClassName = "PiecewiseConstantDecay";
  explicit PiecewiseConstantDecay(const Options& options = {}) : Described(options) {
    if (options.values.size() != options.boundaries.size() + 1)
      throw std::invalid_argument("PiecewiseConstantDecay needs one more value than boundaries, got " +
                                  std::to_string(options.values.size()) + " values for " +
                                  std::to_string(options.boundaries.size()) + " boundaries");
    for (double value : options.values) require_finite(value, kClassName, "values");
    for (double boundary : options.boundaries) require_finite(boundary, kClassName, "boundaries");
  }

  double operator()(std::int64_t step) const override {
    for (size_t i = 0; i < options_.boundaries.size(); ++i)
      if (static_cast<double>(step) <= options_.boundaries[i]) return options_.values[i];
    return options_.values.back();
  }
};

FASTMLP_REGISTER(PiecewiseConstantDecay);

}  // namespace
}  // namespace fastmlp
