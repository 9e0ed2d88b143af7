#include "fastmlp/schedules.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace fastmlp {
namespace {

void require_positive(double value, const char* what) {
  if (!(value > 0)) throw std::invalid_argument(std::string(what) + " must be > 0, got " + std::to_string(value));
}

constexpr double kPi = 3.14159265358979323846;

}  // namespace

ExponentialDecay::ExponentialDecay(double initial, double decay_steps, double decay_rate, bool staircase)
    : initial_(initial), decay_steps_(decay_steps), decay_rate_(decay_rate), staircase_(staircase) {
  require_positive(decay_steps, "ExponentialDecay decay_steps");
}

double ExponentialDecay::operator()(std::int64_t step) const {
  double p = static_cast<double>(step) / decay_steps_;
  if (staircase_) p = std::floor(p);
  return initial_ * std::pow(decay_rate_, p);
}

InverseTimeDecay::InverseTimeDecay(double initial, double decay_steps, double decay_rate, bool staircase)
    : initial_(initial), decay_steps_(decay_steps), decay_rate_(decay_rate), staircase_(staircase) {
  require_positive(decay_steps, "InverseTimeDecay decay_steps");
}

double InverseTimeDecay::operator()(std::int64_t step) const {
  double p = static_cast<double>(step) / decay_steps_;
  if (staircase_) p = std::floor(p);
  return initial_ / (1 + decay_rate_ * p);
}

PiecewiseConstantDecay::PiecewiseConstantDecay(std::vector<double> boundaries, std::vector<double> values)
    : boundaries_(std::move(boundaries)), values_(std::move(values)) {
  if (values_.size() != boundaries_.size() + 1)
    throw std::invalid_argument("PiecewiseConstantDecay needs one more value than boundaries, got " +
                                std::to_string(values_.size()) + " values for " + std::to_string(boundaries_.size()) +
                                " boundaries");
}

double PiecewiseConstantDecay::operator()(std::int64_t step) const {
  for (size_t i = 0; i < boundaries_.size(); ++i)
    if (static_cast<double>(step) <= boundaries_[i]) return values_[i];
  return values_.back();
}

std::vector<double> PiecewiseConstantDecay::arguments() const {
  std::vector<double> all = boundaries_;
  all.insert(all.end(), values_.begin(), values_.end());
  return all;
}

CosineDecay::CosineDecay(double initial, double decay_steps, double alpha, double warmup_target, double warmup_steps)
    : initial_(initial), decay_steps_(decay_steps), alpha_(alpha), warmup_target_(warmup_target),
      warmup_steps_(warmup_steps) {
  require_positive(decay_steps, "CosineDecay decay_steps");
}

double CosineDecay::operator()(std::int64_t step_count) const {
  const double step = static_cast<double>(step_count);
  const bool warmup = warmup_target_ >= 0 && warmup_steps_ > 0;
  if (warmup && step < warmup_steps_) return initial_ + (warmup_target_ - initial_) * step / warmup_steps_;
  // Keras decays from warmup_target whenever one is given, even with no warm-up steps.
  const double peak = warmup_target_ >= 0 ? warmup_target_ : initial_;
  const double t = std::min(step - (warmup ? warmup_steps_ : 0.0), decay_steps_);
  const double cosine = 0.5 * (1 + std::cos(kPi * t / decay_steps_));
  return peak * ((1 - alpha_) * cosine + alpha_);
}

}  // namespace fastmlp
