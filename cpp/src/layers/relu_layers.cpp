// Keras's activation layers with arguments of their own: ReLU(max_value=None, negative_slope=0.0,
// threshold=0.0), LeakyReLU(negative_slope=0.3) and ELU(alpha=1.0). Each applies the activation of
// the same name made from its options, so it computes (and fuses, and exports) exactly as
// Activation(relu with those parameters) does, while keeping Keras's class and config.
#include <optional>
#include <stdexcept>

#include "fastmlp/layers/activation_layer.hpp"

namespace fastmlp {
namespace {

void require_non_negative(double value, const char* layer, const char* name) {
  if (!(value >= 0)) throw std::invalid_argument(std::string(layer) + " " + name + " must be >= 0, got " +
                                                 std::to_string(value));
}

struct ReLULayerOptions {
  std::optional<double> max_value;  // None: no cap
  double negative_slope = 0.0;
  double threshold = 0.0;

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("max_value", self.max_value);
    visit("negative_slope", self.negative_slope);
    visit("threshold", self.threshold);
  }
};

template <class Scalar>
class ReLULayerOf : public Described<ReLULayerOf<Scalar>, ActivationApplyingOf<Scalar>, ReLULayerOptions> {
  using DescribedBase = Described<ReLULayerOf<Scalar>, ActivationApplyingOf<Scalar>, ReLULayerOptions>;

 public:
  static constexpr const char* kClassName = "ReLU";
  explicit ReLULayerOf(const ReLULayerOptions& options = {}) : DescribedBase(options) {
    // Keras's ReLU layer refuses negative values of all three.
    if (options.max_value) require_non_negative(*options.max_value, kClassName, "max_value");
    require_non_negative(options.negative_slope, kClassName, "negative_slope");
    require_non_negative(options.threshold, kClassName, "threshold");
    Config::Object config{{"negative_slope", options.negative_slope}, {"threshold", options.threshold}};
    config.emplace_back("max_value", options.max_value ? Config(*options.max_value) : Config());
    relu_ = make_activation("relu", config);
  }

 protected:
  const Activation& activation() const override { return *relu_; }

 private:
  ActivationPtr relu_;
};

struct LeakyReLULayerOptions {
  double negative_slope = 0.3;

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("negative_slope", self.negative_slope);
  }
};

template <class Scalar>
class LeakyReLULayerOf
    : public Described<LeakyReLULayerOf<Scalar>, ActivationApplyingOf<Scalar>, LeakyReLULayerOptions> {
  using DescribedBase = Described<LeakyReLULayerOf<Scalar>, ActivationApplyingOf<Scalar>, LeakyReLULayerOptions>;

 public:
  static constexpr const char* kClassName = "LeakyReLU";
  explicit LeakyReLULayerOf(const LeakyReLULayerOptions& options = {}) : DescribedBase(options) {
    require_non_negative(options.negative_slope, kClassName, "negative_slope");
    leaky_ = make_activation("leaky_relu", Config::Object{{"negative_slope", options.negative_slope}});
  }

 protected:
  const Activation& activation() const override { return *leaky_; }

 private:
  ActivationPtr leaky_;
};

struct ELULayerOptions {
  double alpha = 1.0;

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("alpha", self.alpha);
  }
};

template <class Scalar>
class ELULayerOf : public Described<ELULayerOf<Scalar>, ActivationApplyingOf<Scalar>, ELULayerOptions> {
  using DescribedBase = Described<ELULayerOf<Scalar>, ActivationApplyingOf<Scalar>, ELULayerOptions>;

 public:
  static constexpr const char* kClassName = "ELU";
  explicit ELULayerOf(const ELULayerOptions& options = {})
      : DescribedBase(options), elu_(make_activation("elu", Config::Object{{"alpha", options.alpha}})) {}

 protected:
  const Activation& activation() const override { return *elu_; }

 private:
  ActivationPtr elu_;
};

FASTMLP_REGISTER(ReLULayerOf<float>);
FASTMLP_REGISTER(ReLULayerOf<double>);
FASTMLP_REGISTER(LeakyReLULayerOf<float>);
FASTMLP_REGISTER(LeakyReLULayerOf<double>);
FASTMLP_REGISTER(ELULayerOf<float>);
FASTMLP_REGISTER(ELULayerOf<double>);

}  // namespace
}  // namespace fastmlp
