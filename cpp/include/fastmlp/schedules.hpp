// Learning-rate schedules: the learning rate as a function of the optimizer's step count, as Keras
// defines them (the step passed is the number of updates already taken).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace fastmlp {

class LearningRateSchedule {
 public:
  virtual ~LearningRateSchedule() = default;
  virtual double operator()(std::int64_t step) const = 0;
  // Keras's class name and the constructor's numbers in order, so that model files can rebuild it
  // (make_schedule() in io.cpp reads them back).
  virtual std::string class_name() const = 0;
  virtual std::vector<double> arguments() const = 0;
};

// initial * rate^(step / decay_steps), the exponent floored when `staircase`.
class ExponentialDecay : public LearningRateSchedule {
 public:
  ExponentialDecay(double initial_learning_rate, double decay_steps, double decay_rate, bool staircase = false);
  double operator()(std::int64_t step) const override;
  std::string class_name() const override { return "ExponentialDecay"; }
  std::vector<double> arguments() const override { return {initial_, decay_steps_, decay_rate_, staircase_ ? 1.0 : 0.0}; }

 private:
  double initial_, decay_steps_, decay_rate_;
  bool staircase_;
};

// initial / (1 + rate * step / decay_steps), the ratio floored when `staircase`.
class InverseTimeDecay : public LearningRateSchedule {
 public:
  InverseTimeDecay(double initial_learning_rate, double decay_steps, double decay_rate, bool staircase = false);
  double operator()(std::int64_t step) const override;
  std::string class_name() const override { return "InverseTimeDecay"; }
  std::vector<double> arguments() const override { return {initial_, decay_steps_, decay_rate_, staircase_ ? 1.0 : 0.0}; }

 private:
  double initial_, decay_steps_, decay_rate_;
  bool staircase_;
};

// values[0] up to and including boundaries[0], values[i] up to boundaries[i], values.back() after.
class PiecewiseConstantDecay : public LearningRateSchedule {
 public:
  PiecewiseConstantDecay(std::vector<double> boundaries, std::vector<double> values);
  double operator()(std::int64_t step) const override;
  std::string class_name() const override { return "PiecewiseConstantDecay"; }
  // the boundaries, then the values
  std::vector<double> arguments() const override;

 private:
  std::vector<double> boundaries_, values_;
};

// Optional linear warm-up from `initial` to `warmup_target` over `warmup_steps`, then a cosine from
// the peak down to alpha * peak over `decay_steps`, flat afterwards.
class CosineDecay : public LearningRateSchedule {
 public:
  CosineDecay(double initial_learning_rate, double decay_steps, double alpha = 0.0, double warmup_target = -1.0,
              double warmup_steps = 0.0);
  double operator()(std::int64_t step) const override;
  std::string class_name() const override { return "CosineDecay"; }
  std::vector<double> arguments() const override { return {initial_, decay_steps_, alpha_, warmup_target_, warmup_steps_}; }

 private:
  double initial_, decay_steps_, alpha_, warmup_target_, warmup_steps_;
};

}  // namespace fastmlp
