// Optimizers: Keras's update rules over (parameter, gradient) pairs, with state kept per parameter.
//
// Each optimizer is a class under cpp/src/optimizers/, registered under Keras's class name ("Adam")
// and its lower-case name ("adam"), with Keras's hyper-parameters and defaults as its options.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
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

  // One optimizer (one config, as Keras's) serves a model of either scalar type: it is built for the
  // parameters of one model, float or double, and keeps its slots in that type. The member templates
  // are instantiated for float and double in optimizer.cpp.

  // Allocates the per-parameter state ("slots", in Keras's word) by parameter index. Called once
  // when the parameters exist; step() then never allocates. Drops any slots kept for the other
  // scalar type.
  template <class Scalar>
  void build(const std::vector<ParameterOf<Scalar>>& params);
  template <class Scalar>
  bool built_for(const std::vector<ParameterOf<Scalar>>& params) const;

  // Clips the gradients, applies weight decay, updates every parameter, then applies the
  // parameters' constraints (as Keras's optimizer does after its update). The step counter
  // advances once per call, shared by all parameters, so bias corrections use one step count per
  // batch as Keras's do.
  template <class Scalar>
  void step(const std::vector<ParameterOf<Scalar>>& params);

  // The rate of the next step: the schedule's value at iterations() when one is set.
  double learning_rate() const { return common().learning_rate.at(iterations_); }
  // A number or a schedule; a number replaces any schedule.
  void set_learning_rate(LearningRate learning_rate);
  const OptimizerOptions& common() const { return common_options(); }

  std::int64_t iterations() const { return iterations_; }
  // The state of parameter `index` (for inspection and saving) of a model of this scalar type
  // (float unless named: slots<double>(i)); throws std::out_of_range before build().
  template <class Scalar = float>
  const std::vector<RowMatrixOf<Scalar>>& slots(size_t index) const { return slot_storage<Scalar>().at(index); }
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
  template <class Scalar>
  void restore_state(const std::vector<ParameterOf<Scalar>>& params, std::int64_t iterations,
                     std::vector<std::vector<RowMatrixOf<Scalar>>> slots, const Config& extra = Config::Object{});

 protected:
  virtual OptimizerOptions& common_options() = 0;
  virtual const OptimizerOptions& common_options() const = 0;
  // Throws std::invalid_argument for common options out of range.
  void validate_common() const;
  virtual void restore_extra_state(const Config& /*extra*/) {}

  // What build() fills slot `slot` with, rounded to the parameters' scalar type.
  virtual double initial_slot_value(int /*slot*/) const { return 0; }
  // Called once per step before any update, with iterations() still at the previous count.
  virtual void begin_step() {}
  // Updates elements [first, end) of parameter `index` with rate `lr`; ranges of one parameter may
  // run in parallel. A virtual function cannot be a template, so it is declared once per scalar
  // type; an optimizer writes it once, as the template update_of, and OptimizerImpl forwards both.
  virtual void update(size_t index, float* param, const float* grad, Index first, Index end, float lr) = 0;
  virtual void update(size_t index, double* param, const double* grad, Index first, Index end, double lr) = 0;
  template <class Scalar>
  Scalar* slot_data(size_t index, int which) { return slot_storage<Scalar>()[index][which].data(); }

 private:
  template <class Scalar>
  void clip_gradients(const std::vector<ParameterOf<Scalar>>& params) const;

  // The slots of a model of this scalar type: slots32_ or slots64_.
  template <class Scalar>
  std::vector<std::vector<RowMatrixOf<Scalar>>>& slot_storage() {
    static_assert(kIsScalar<Scalar>, "fastmlp computes in float or double");
    if constexpr (std::is_same_v<Scalar, float>)
      return slots32_;
    else
      return slots64_;
  }
  template <class Scalar>
  const std::vector<std::vector<RowMatrixOf<Scalar>>>& slot_storage() const {
    return const_cast<Optimizer*>(this)->slot_storage<Scalar>();
  }

  // Frees the slots of the other scalar type, once the optimizer serves a model of this one.
  template <class Scalar>
  void drop_other_slots() {
    if constexpr (std::is_same_v<Scalar, float>)
      slots64_ = {};
    else
      slots32_ = {};
  }

  std::int64_t iterations_ = 0;
  // [parameter][slot], each shaped like its parameter; only the one of the model's scalar type is used.
  std::vector<std::vector<RowMatrixOf<float>>> slots32_;
  std::vector<std::vector<RowMatrixOf<double>>> slots64_;
};

// What an optimizer derives from (through DescribedOptimizer): it gives the per-scalar updates by
// calling Derived's template update_of, which therefore is public.
template <class Derived>
class OptimizerImpl : public Optimizer {
 protected:
  void update(size_t index, float* param, const float* grad, Index first, Index end, float lr) override {
    self().update_of(index, param, grad, first, end, lr);
  }
  void update(size_t index, double* param, const double* grad, Index first, Index end, double lr) override {
    self().update_of(index, param, grad, first, end, lr);
  }

 private:
  Derived& self() { return static_cast<Derived&>(*this); }
};

// An optimizer whose options include the common ones (Derived::Options derives from OptimizerOptions).
template <class Derived, class OptionsT>
class DescribedOptimizer : public Described<Derived, OptimizerImpl<Derived>, OptionsT> {
 protected:
  explicit DescribedOptimizer(const OptionsT& options) : Described<Derived, OptimizerImpl<Derived>, OptionsT>(options) {
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
