// Optimizers: Keras's update rules over (parameter, gradient) pairs, with state kept per parameter.
//
// Each optimizer is a class under cpp/src/optimizers/, registered under Keras's class name ("Adam")
// and its lower-case name ("adam"), with Keras's hyper-parameters and defaults as its options.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fastmlp/layer.hpp"
#include "fastmlp/registry.hpp"
#include "fastmlp/schedule.hpp"

namespace fastmlp {

// A learning rate: a number, or a schedule of the step count (Keras takes either).
struct LearningRate {
  double value = 0.001;
  SchedulePtr schedule;

  LearningRate(double value = 0.001) : value(value) {}
  LearningRate(SchedulePtr schedule) : value(0), schedule(std::move(schedule)) {}
  double at(std::int64_t step) const { return schedule ? (*schedule)(step) : value; }

  Config to_config() const;
  static LearningRate from_config(const Config& config, const std::string& what);
};

// What every Keras optimizer takes besides its own hyper-parameters. None means off; at most one of
// the three clipping options may be set, as in Keras.
struct OptimizerOptions {
  std::string name;
  LearningRate learning_rate;
  std::optional<double> weight_decay;     // w -= w * weight_decay * lr before each update (decoupled)
  std::optional<double> clipnorm;         // each gradient rescaled to this L2 norm if larger
  std::optional<double> global_clipnorm;  // all gradients rescaled together to this joint L2 norm if larger
  std::optional<double> clipvalue;        // each gradient element clipped to [-clipvalue, clipvalue]

  OptimizerOptions(std::string default_name, double default_learning_rate)
      : name(std::move(default_name)), learning_rate(default_learning_rate) {}

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("name", self.name);
    visit("learning_rate", self.learning_rate);
    visit("weight_decay", self.weight_decay);
    visit("clipnorm", self.clipnorm);
    visit("global_clipnorm", self.global_clipnorm);
    visit("clipvalue", self.clipvalue);
  }
};

class Optimizer : public Configurable {
 public:
  using Base = Optimizer;
  static constexpr const char* kKind = "optimizer";

  // Allocates the per-parameter state ("slots", in Keras's word) by parameter index. Called once
  // when the parameters exist; step() then never allocates.
  void build(const std::vector<ParameterOf<Scalar>>& params);
  bool built_for(const std::vector<ParameterOf<Scalar>>& params) const;

  // Clips the gradients, applies weight decay, then updates every parameter. The step counter
  // advances once per call, shared by all parameters, so bias corrections use one step count per
  // batch as Keras's do.
  void step(const std::vector<ParameterOf<Scalar>>& params);

  // The rate of the next step: the schedule's value at iterations() when one is set.
  double learning_rate() const { return common().learning_rate.at(iterations_); }
  // A number or a schedule; a number replaces any schedule.
  void set_learning_rate(LearningRate learning_rate);
  const OptimizerOptions& common() const { return common_options(); }

  std::int64_t iterations() const { return iterations_; }
  // The state of parameter `index` (for inspection and saving); empty before build().
  const std::vector<RowMatrixOf<Scalar>>& slots(size_t index) const { return slots_.at(index); }
  // Keras's names for the state kept per parameter, in the order slots() holds it; build()
  // allocates one slot per name.
  virtual std::vector<std::string> slot_names() const = 0;
  // State beyond the slots and the step count (Nadam's running product), for model files.
  virtual Config extra_state() const { return Config::Object{}; }

  // Puts back a saved state (the step count, slots[parameter][slot] as slots() returns them, and
  // extra_state()) so that training resumes exactly where it stopped. Empty `slots` restores only the
  // step count, and the next fit() starts the slots from their initial values. Throws
  // std::invalid_argument, changing nothing, unless there are slot_names().size() slots per
  // parameter, each shaped like its parameter.
  void restore_state(const std::vector<ParameterOf<Scalar>>& params, std::int64_t iterations,
                     std::vector<std::vector<RowMatrixOf<Scalar>>> slots, const Config& extra = Config::Object{});

 protected:
  virtual OptimizerOptions& common_options() = 0;
  virtual const OptimizerOptions& common_options() const = 0;
  // Throws std::invalid_argument for common options out of range.
  void validate_common() const;
  virtual void restore_extra_state(const Config& /*extra*/) {}

  virtual Scalar initial_slot_value(int /*slot*/) const { return 0; }
  // Called once per step before any update, with iterations() still at the previous count.
  virtual void begin_step() {}
  // Updates elements [first, end) of parameter `index` with rate `lr`; ranges of one parameter may
  // run in parallel.
  virtual void update(size_t index, Scalar* param, const Scalar* grad, Index first, Index end, Scalar lr) = 0;
  Scalar* slot_data(size_t index, int which) { return slots_[index][which].data(); }

 private:
  void clip_gradients(const std::vector<ParameterOf<Scalar>>& params) const;

  std::int64_t iterations_ = 0;
  std::vector<std::vector<RowMatrixOf<Scalar>>> slots_;  // [parameter][slot], each shaped like its parameter
};

// An optimizer whose options include the common ones (Derived::Options derives from OptimizerOptions).
template <class Derived, class OptionsT>
class DescribedOptimizer : public Described<Derived, Optimizer, OptionsT> {
 protected:
  explicit DescribedOptimizer(const OptionsT& options) : Described<Derived, Optimizer, OptionsT>(options) {
    this->validate_common();
  }
  OptimizerOptions& common_options() override { return this->options_; }
  const OptimizerOptions& common_options() const override { return this->options_; }
};

using OptimizerPtr = std::shared_ptr<Optimizer>;

// An optimizer by name ("adam", "SGD", ...) with Keras's defaults, or the parameters in `config`
// ({"learning_rate": 0.01}); throws ConfigError listing the valid names or naming a bad parameter.
OptimizerPtr make_optimizer(const std::string& name, const Config& config = {});

}  // namespace fastmlp
