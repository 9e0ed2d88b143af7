// Optimizers: Keras's update rules over (parameter, gradient) pairs, with state kept per parameter.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fastmlp/layer.hpp"
#include "fastmlp/schedules.hpp"

namespace fastmlp {

// What every Keras optimizer accepts besides its own hyper-parameters. Zero means off; at most
// one of the three clipping options may be set, as in Keras.
struct OptimizerOptions {
  double weight_decay = 0;     // w -= w * weight_decay * lr before each update (decoupled)
  double clipnorm = 0;         // each gradient rescaled to this L2 norm if larger
  double clipvalue = 0;        // each gradient element clipped to [-clipvalue, clipvalue]
  double global_clipnorm = 0;  // all gradients rescaled together to this joint L2 norm if larger
};

class Optimizer {
 public:
  Optimizer(double learning_rate, OptimizerOptions options);
  virtual ~Optimizer() = default;
  virtual std::string name() const = 0;

  // Allocates the per-parameter state ("slots", in Keras's word) by parameter index. Called once
  // when the parameters exist; step() then never allocates.
  void build(const std::vector<Parameter>& params);
  bool built_for(const std::vector<Parameter>& params) const;

  // Clips the gradients, applies weight decay, then updates every parameter. The step counter
  // advances once per call, shared by all parameters, so bias corrections use one step count per
  // batch as Keras's do.
  void step(const std::vector<Parameter>& params);

  // The rate of the next step: the schedule's value at iterations() when one is set.
  double learning_rate() const;
  // A fixed rate; replaces any schedule.
  void set_learning_rate(double learning_rate);
  void set_schedule(std::shared_ptr<const LearningRateSchedule> schedule);
  const std::shared_ptr<const LearningRateSchedule>& schedule() const { return schedule_; }
  const OptimizerOptions& options() const { return options_; }

  std::int64_t iterations() const { return iterations_; }
  // The state of parameter `index` (for inspection and saving); empty before build().
  const std::vector<RowMatrix>& slots(size_t index) const { return slots_.at(index); }
  // Keras's names for the state kept per parameter, in the order slots() holds it; build()
  // allocates one slot per name.
  virtual std::vector<std::string> slot_names() const = 0;

  // Puts back a saved state (the step count and slots[parameter][slot], as slots() returns them)
  // so that training resumes exactly where it stopped. Empty `slots` restores only the step count,
  // and the next fit() starts the slots from their initial values. Throws std::invalid_argument,
  // changing nothing, unless there are slot_names().size() slots per parameter, each shaped like
  // its parameter.
  void restore_state(const std::vector<Parameter>& params, std::int64_t iterations,
                     std::vector<std::vector<RowMatrix>> slots);

 protected:
  virtual Scalar initial_slot_value(int /*slot*/) const { return 0; }
  // Called once per step before any update, with iterations() still at the previous count.
  virtual void begin_step() {}
  // Updates elements [first, end) of parameter `index` with rate `lr`; ranges of one parameter may
  // run in parallel.
  virtual void update(size_t index, Scalar* param, const Scalar* grad, Index first, Index end, Scalar lr) = 0;
  Scalar* slot_data(size_t index, int which) { return slots_[index][which].data(); }

 private:
  void clip_gradients(const std::vector<Parameter>& params) const;

  double learning_rate_;
  std::shared_ptr<const LearningRateSchedule> schedule_;
  OptimizerOptions options_;
  std::int64_t iterations_ = 0;
  std::vector<std::vector<RowMatrix>> slots_;  // [parameter][slot], each shaped like its parameter
};

// Stochastic gradient descent, optionally with (Nesterov) momentum, in Keras's formulation:
// m <- momentum m - lr g;  w <- w + m  (Nesterov: w <- w + momentum m - lr g).
class SGD : public Optimizer {
 public:
  explicit SGD(double learning_rate = 0.01, double momentum = 0.0, bool nesterov = false,
               OptimizerOptions options = {});
  std::string name() const override { return "SGD"; }
  std::vector<std::string> slot_names() const override;
  double momentum() const { return momentum_; }
  bool nesterov() const { return nesterov_; }

 protected:
  void update(size_t index, Scalar* param, const Scalar* grad, Index first, Index end, Scalar lr) override;

 private:
  double momentum_;
  bool nesterov_;
};

// Adam as Keras computes it: the bias corrections are folded into the step size,
// alpha = lr sqrt(1 - beta_2^t) / (1 - beta_1^t), and epsilon is added to sqrt(v), not to v̂.
// amsgrad keeps the running maximum of v.
class Adam : public Optimizer {
 public:
  explicit Adam(double learning_rate = 0.001, double beta_1 = 0.9, double beta_2 = 0.999, double epsilon = 1e-7,
                bool amsgrad = false, OptimizerOptions options = {});
  std::string name() const override { return "Adam"; }
  std::vector<std::string> slot_names() const override;  // m, v (, the running maximum of v)
  double beta_1() const { return beta_1_; }
  double beta_2() const { return beta_2_; }
  double epsilon() const { return epsilon_; }
  bool amsgrad() const { return amsgrad_; }

 protected:
  void begin_step() override;
  void update(size_t index, Scalar* param, const Scalar* grad, Index first, Index end, Scalar lr) override;

 private:
  double beta_1_, beta_2_, epsilon_;
  bool amsgrad_;
  double correction_ = 0;  // this step's sqrt(1 - beta_2^t) / (1 - beta_1^t)
};

// AdamW: Adam with decoupled weight decay, on by default (Keras's 0.004).
class AdamW : public Adam {
 public:
  explicit AdamW(double learning_rate = 0.001, double weight_decay = 0.004, double beta_1 = 0.9,
                 double beta_2 = 0.999, double epsilon = 1e-7, bool amsgrad = false, OptimizerOptions options = {});
  std::string name() const override { return "AdamW"; }
};

// RMSprop as Keras computes it: v <- rho v + (1 - rho) g²; step = lr g / sqrt(v + epsilon), with
// epsilon inside the square root; `centered` subtracts the squared running mean of g from v.
class RMSprop : public Optimizer {
 public:
  explicit RMSprop(double learning_rate = 0.001, double rho = 0.9, double momentum = 0.0, double epsilon = 1e-7,
                   bool centered = false, OptimizerOptions options = {});
  std::string name() const override { return "RMSprop"; }
  // velocity, then the momentum buffer and the mean gradient when those options are on
  std::vector<std::string> slot_names() const override;
  double rho() const { return rho_; }
  double momentum() const { return momentum_; }
  double epsilon() const { return epsilon_; }
  bool centered() const { return centered_; }

 protected:
  void update(size_t index, Scalar* param, const Scalar* grad, Index first, Index end, Scalar lr) override;

 private:
  double rho_, momentum_, epsilon_;
  bool centered_;
};

// Adagrad: a <- a + g²; w <- w - lr g / sqrt(a + epsilon), a starting at initial_accumulator_value.
class Adagrad : public Optimizer {
 public:
  explicit Adagrad(double learning_rate = 0.001, double initial_accumulator_value = 0.1, double epsilon = 1e-7,
                   OptimizerOptions options = {});
  std::string name() const override { return "Adagrad"; }
  std::vector<std::string> slot_names() const override { return {"accumulator"}; }
  double initial_accumulator_value() const { return initial_accumulator_; }
  double epsilon() const { return epsilon_; }

 protected:
  Scalar initial_slot_value(int) const override { return static_cast<Scalar>(initial_accumulator_); }
  void update(size_t index, Scalar* param, const Scalar* grad, Index first, Index end, Scalar lr) override;

 private:
  double initial_accumulator_, epsilon_;
};

// Adadelta: a <- rho a + (1 - rho) g²; d = -sqrt(D + eps) / sqrt(a + eps) g;
// D <- rho D + (1 - rho) d²; w <- w + lr d.
class Adadelta : public Optimizer {
 public:
  explicit Adadelta(double learning_rate = 0.001, double rho = 0.95, double epsilon = 1e-7,
                    OptimizerOptions options = {});
  std::string name() const override { return "Adadelta"; }
  std::vector<std::string> slot_names() const override { return {"accumulated_grad", "accumulated_delta_var"}; }
  double rho() const { return rho_; }
  double epsilon() const { return epsilon_; }

 protected:
  void update(size_t index, Scalar* param, const Scalar* grad, Index first, Index end, Scalar lr) override;

 private:
  double rho_, epsilon_;
};

// Adamax: m <- m + (g - m)(1 - beta_1); u <- max(beta_2 u, |g|);
// w <- w - lr m / ((1 - beta_1^t)(u + epsilon)).
class Adamax : public Optimizer {
 public:
  explicit Adamax(double learning_rate = 0.001, double beta_1 = 0.9, double beta_2 = 0.999, double epsilon = 1e-7,
                  OptimizerOptions options = {});
  std::string name() const override { return "Adamax"; }
  std::vector<std::string> slot_names() const override { return {"m", "u"}; }
  double beta_1() const { return beta_1_; }
  double beta_2() const { return beta_2_; }
  double epsilon() const { return epsilon_; }

 protected:
  void begin_step() override;
  void update(size_t index, Scalar* param, const Scalar* grad, Index first, Index end, Scalar lr) override;

 private:
  double beta_1_, beta_2_, epsilon_;
  double correction_ = 0;  // 1 / (1 - beta_1^t)
};

// Nadam (Adam with Nesterov momentum) with Keras's momentum schedule
// u_t = beta_1 (1 - 0.5 * 0.96^t) and its running product.
class Nadam : public Optimizer {
 public:
  explicit Nadam(double learning_rate = 0.001, double beta_1 = 0.9, double beta_2 = 0.999, double epsilon = 1e-7,
                 OptimizerOptions options = {});
  std::string name() const override { return "Nadam"; }
  std::vector<std::string> slot_names() const override { return {"momentum", "velocity"}; }
  double beta_1() const { return beta_1_; }
  double beta_2() const { return beta_2_; }
  double epsilon() const { return epsilon_; }
  // The running product of u_t (Keras's _u_product): state that a saved optimizer restores.
  double u_product() const { return u_product_; }
  void set_u_product(double value) { u_product_ = value; }

 protected:
  void begin_step() override;
  void update(size_t index, Scalar* param, const Scalar* grad, Index first, Index end, Scalar lr) override;

 private:
  double beta_1_, beta_2_, epsilon_;
  double u_product_ = 1.0;
  Scalar u_t_ = 0, u_next_ = 0, u_product_t_ = 0, u_product_next_ = 0, v_correction_ = 0;
};

// Keras's names ("sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta", "adamax", "nadam") with
// Keras's defaults. Throws std::invalid_argument listing valid names.
std::shared_ptr<Optimizer> make_optimizer(const std::string& name);

}  // namespace fastmlp
