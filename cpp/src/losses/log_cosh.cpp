// LogCosh: log(cosh(p - y)), averaged over outputs.
#include "loss_math.hpp"

namespace fastmlp {
namespace {

struct LogCoshFormula {
  static constexpr const char* kClassName = "LogCosh";
  static constexpr bool kReadsLabelsAsSigns = false;
  using Options = NoLossOptions;
  explicit LogCoshFormula(const Options&) {}

  // log cosh(e) = e + softplus(-2e) - log 2, which never overflows.
  template <class Scalar>
  Scalar value(Scalar p, Scalar y) const {
    const Scalar e = p - y, t = -2 * e;
    return e + std::max(t, Scalar(0)) + std::log1p(std::exp(-std::abs(t))) - Scalar(0.69314718055994530942);
  }
  template <class Scalar>
  Scalar derivative(Scalar p, Scalar y) const { return std::tanh(p - y); }
};

FASTMLP_REGISTER(ElementwiseLoss<LogCoshFormula>, "log_cosh", "logcosh");

}  // namespace
}  // namespace fastmlp
