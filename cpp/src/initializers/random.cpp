// RandomNormal, RandomUniform and TruncatedNormal: independent draws with fixed parameters.
#include "random.hpp"

namespace fastmlp {
namespace {

void require_spread(double value, const char* who, const char* name) {
  if (!(std::isfinite(value) && value >= 0))
    throw std::invalid_argument(std::string(who) + " " + name + " must be a finite number >= 0, got " +
                                std::to_string(value));
}

struct NormalOptions : SeedOption {
  double mean = 0.0;
  double stddev = 0.05;

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("mean", self.mean);
    visit("stddev", self.stddev);
    SeedOption::fields(self, visit);
  }
};

class RandomNormal : public SeededInitializer<RandomNormal, NormalOptions> {
 public:
  static constexpr const char* kClassName = "RandomNormal";
  explicit RandomNormal(const Options& options = {}) : SeededInitializer(options) {
    require_spread(options.stddev, kClassName, "stddev");
  }

 public:
  template <class Scalar>
  void draw_of(RowMatrixOf<Scalar>& values, Index, Index, Rng& rng) const {
    std::normal_distribution<double> normal(options_.mean, options_.stddev);
    draw_each(values, [&] { return normal(rng); });
  }
};

class TruncatedNormal : public SeededInitializer<TruncatedNormal, NormalOptions> {
 public:
  static constexpr const char* kClassName = "TruncatedNormal";
  explicit TruncatedNormal(const Options& options = {}) : SeededInitializer(options) {
    require_spread(options.stddev, kClassName, "stddev");
  }

 public:
  template <class Scalar>
  void draw_of(RowMatrixOf<Scalar>& values, Index, Index, Rng& rng) const {
    draw_each(values, [&] { return truncated_normal_sample(rng, options_.mean, options_.stddev); });
  }
};

struct UniformOptions : SeedOption {
  double minval = -0.05;
  double maxval = 0.05;

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("minval", self.minval);
    visit("maxval", self.maxval);
    SeedOption::fields(self, visit);
  }
};

class RandomUniform : public SeededInitializer<RandomUniform, UniformOptions> {
 public:
  static constexpr const char* kClassName = "RandomUniform";
  explicit RandomUniform(const Options& options = {}) : SeededInitializer(options) {
    if (!(std::isfinite(options.minval) && std::isfinite(options.maxval) && options.minval <= options.maxval))
      throw std::invalid_argument("RandomUniform needs finite minval <= maxval, got minval=" +
                                  std::to_string(options.minval) + ", maxval=" + std::to_string(options.maxval));
  }

 public:
  template <class Scalar>
  void draw_of(RowMatrixOf<Scalar>& values, Index, Index, Rng& rng) const {
    std::uniform_real_distribution<double> uniform(options_.minval, options_.maxval);
    draw_each(values, [&] { return uniform(rng); });
  }
};

FASTMLP_REGISTER(RandomNormal, "random_normal", "normal");
FASTMLP_REGISTER(TruncatedNormal, "truncated_normal");
FASTMLP_REGISTER(RandomUniform, "random_uniform", "uniform");

}  // namespace
}  // namespace fastmlp
