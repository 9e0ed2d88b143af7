// VarianceScaling and its named cases (Glorot, He and LeCun, uniform and normal): samples of
// variance scale / n, n the fan-in, the fan-out or their mean.
#include "random.hpp"

namespace fastmlp {
namespace {

struct VarianceScalingOptions : SeedOption {
  double scale = 1.0;
  std::string mode = "fan_in";                     // fan_in, fan_out, fan_avg
  std::string distribution = "truncated_normal";  // truncated_normal, untruncated_normal, uniform

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("scale", self.scale);
    visit("mode", self.mode);
    visit("distribution", self.distribution);
    SeedOption::fields(self, visit);
  }
};

template <class Scalar>
void draw_variance_scaled(const VarianceScalingOptions& options, RowMatrixOf<Scalar>& values, Index fan_in, Index fan_out,
                          Rng& rng) {
  const double fan = options.mode == "fan_in"    ? static_cast<double>(fan_in)
                     : options.mode == "fan_out" ? static_cast<double>(fan_out)
                                                 : (fan_in + fan_out) / 2.0;
  const double variance = options.scale / std::max(1.0, fan);
  if (options.distribution == "uniform") {
    const double limit = std::sqrt(3.0 * variance);
    std::uniform_real_distribution<double> uniform(-limit, limit);
    draw_each(values, [&] { return uniform(rng); });
  } else if (options.distribution == "untruncated_normal") {
    std::normal_distribution<double> normal(0.0, std::sqrt(variance));
    draw_each(values, [&] { return normal(rng); });
  } else {
    // Dividing by the stddev of a unit normal truncated at ±2 restores the target variance.
    const double stddev = std::sqrt(variance) / 0.87962566103423978;
    draw_each(values, [&] { return truncated_normal_sample(rng, 0.0, stddev); });
  }
}

class VarianceScaling : public SeededInitializer<VarianceScaling, VarianceScalingOptions> {
 public:
  static constexpr const char* kClassName = "VarianceScaling";
  explicit VarianceScaling(const Options& options = {}) : SeededInitializer(options) {
    if (!(options.scale > 0 && std::isfinite(options.scale)))
      throw std::invalid_argument("VarianceScaling scale must be a finite number > 0, got " +
                                  std::to_string(options.scale));
    if (options.mode != "fan_in" && options.mode != "fan_out" && options.mode != "fan_avg")
      throw std::invalid_argument("VarianceScaling mode must be 'fan_in', 'fan_out' or 'fan_avg', got '" +
                                  options.mode + "'");
    if (options.distribution != "truncated_normal" && options.distribution != "untruncated_normal" &&
        options.distribution != "uniform")
      throw std::invalid_argument("VarianceScaling distribution must be 'truncated_normal', 'untruncated_normal' "
                                  "or 'uniform', got '" + options.distribution + "'");
  }

 public:
  template <class Scalar>
  void draw_of(RowMatrixOf<Scalar>& values, Index fan_in, Index fan_out, Rng& rng) const {
    draw_variance_scaled(options_, values, fan_in, fan_out, rng);
  }
};

// A VarianceScaling with fixed scale, mode and distribution, whose config is only its seed (Keras's
// GlorotUniform and friends).
template <class Derived>
class NamedVarianceScaling : public SeededInitializer<Derived, SeedOption> {
 public:
  explicit NamedVarianceScaling(const SeedOption& options = {}) : SeededInitializer<Derived, SeedOption>(options) {}

 public:
  template <class Scalar>
  void draw_of(RowMatrixOf<Scalar>& values, Index fan_in, Index fan_out, Rng& rng) const {
    VarianceScalingOptions fixed;
    fixed.scale = Derived::kScale;
    fixed.mode = Derived::kMode;
    fixed.distribution = Derived::kDistribution;
    draw_variance_scaled(fixed, values, fan_in, fan_out, rng);
  }
};

#define FASTMLP_NAMED_VARIANCE_SCALING(Name, scale, mode, distribution) \
  class Name : public NamedVarianceScaling<Name> {                       \
   public:                                                               \
    static constexpr const char* kClassName = #Name;                     \
    static constexpr double kScale = scale;                              \
    static constexpr const char* kMode = mode;                           \
    static constexpr const char* kDistribution = distribution;           \
    using NamedVarianceScaling::NamedVarianceScaling;                    \
  }

FASTMLP_NAMED_VARIANCE_SCALING(GlorotUniform, 1.0, "fan_avg", "uniform");
FASTMLP_NAMED_VARIANCE_SCALING(GlorotNormal, 1.0, "fan_avg", "truncated_normal");
FASTMLP_NAMED_VARIANCE_SCALING(HeUniform, 2.0, "fan_in", "uniform");
FASTMLP_NAMED_VARIANCE_SCALING(HeNormal, 2.0, "fan_in", "truncated_normal");
FASTMLP_NAMED_VARIANCE_SCALING(LecunUniform, 1.0, "fan_in", "uniform");
FASTMLP_NAMED_VARIANCE_SCALING(LecunNormal, 1.0, "fan_in", "truncated_normal");

FASTMLP_REGISTER(VarianceScaling, "variance_scaling");
FASTMLP_REGISTER(GlorotUniform, "glorot_uniform");
FASTMLP_REGISTER(GlorotNormal, "glorot_normal");
FASTMLP_REGISTER(HeUniform, "he_uniform");
FASTMLP_REGISTER(HeNormal, "he_normal");
FASTMLP_REGISTER(LecunUniform, "lecun_uniform");
FASTMLP_REGISTER(LecunNormal, "lecun_normal");

}  // namespace
}  // namespace fastmlp
