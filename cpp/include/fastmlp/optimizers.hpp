// Optimizers: Keras's update rules over (parameter, gradient) pairs, with state kept per parameter.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fastmlp/layer.hpp"

namespace fastmlp {

class Optimizer {
 public:
  explicit Optimizer(double learning_rate);
  virtual ~Optimizer() = default;
  virtual std::string name() const = 0;

  // Allocates the per-parameter state ("slots", in Keras's word) by parameter index. Called once
  // when the parameters exist; step() then never allocates.
  void build(const std::vector<Parameter>& params);
  bool built_for(const std::vector<Parameter>& params) const;

  // Updates every parameter from its gradient. The step counter advances once per call, shared by
  // all parameters, so bias corrections use one step count per batch as Keras's do.
  void step(const std::vector<Parameter>& params);

  double learning_rate() const { return learning_rate_; }
  void set_learning_rate(double learning_rate);
  std::int64_t iterations() const { return iterations_; }

  // The state of parameter `index` (for inspection and saving); empty before build().
  const std::vector<RowMatrix>& slots(size_t index) const { return slots_.at(index); }
  // Keras's names for the state kept per parameter, in the order slots() holds it; build()
  // allocates one slot per name.
  virtual std::vector<std::string> slot_names() const = 0;

  // Puts back a saved state (the step count and slots[parameter][slot], as slots() returns them)
  // so that training resumes exactly where it stopped. Empty `slots` restores only the step count,
  // and the next fit() starts the slots from zero. Throws std::invalid_argument, changing nothing,
  // unless there are slot_names().size() slots per parameter, each shaped like its parameter.
  void restore_state(const std::vector<Parameter>& params, std::int64_t iterations,
                     std::vector<std::vector<RowMatrix>> slots);

 protected:
  // Called once per step before any update, with iterations() still at the previous count.
  virtual void begin_step() {}
  // Updates elements [first, end) of parameter `index`; ranges of one parameter may run in parallel.
  virtual void update(size_t index, Scalar* param, const Scalar* grad, Index first, Index end) = 0;
  Scalar* slot_data(size_t index, int which) { return slots_[index][which].data(); }

 private:
  double learning_rate_;
  std::int64_t iterations_ = 0;
  std::vector<std::vector<RowMatrix>> slots_;  // [parameter][slot], each shaped like its parameter
};

// Stochastic gradient descent, optionally with (Nesterov) momentum, in Keras's formulation:
// m <- momentum m - lr g;  w <- w + m  (Nesterov: w <- w + momentum m - lr g).
class SGD : public Optimizer {
 public:
  explicit SGD(double learning_rate = 0.01, double momentum = 0.0, bool nesterov = false);
  std::string name() const override { return "SGD"; }
  std::vector<std::string> slot_names() const override;
  double momentum() const { return momentum_; }
  bool nesterov() const { return nesterov_; }

 protected:
  void update(size_t index, Scalar* param, const Scalar* grad, Index first, Index end) override;

 private:
  double momentum_;
  bool nesterov_;
};

// Adam as Keras computes it: the bias corrections are folded into the step size,
// alpha = lr sqrt(1 - beta_2^t) / (1 - beta_1^t), and epsilon is added to sqrt(v), not to v̂.
class Adam : public Optimizer {
 public:
  explicit Adam(double learning_rate = 0.001, double beta_1 = 0.9, double beta_2 = 0.999, double epsilon = 1e-7);
  std::string name() const override { return "Adam"; }
  std::vector<std::string> slot_names() const override { return {"momentum", "velocity"}; }  // m, v
  double beta_1() const { return beta_1_; }
  double beta_2() const { return beta_2_; }
  double epsilon() const { return epsilon_; }

 protected:
  void begin_step() override;
  void update(size_t index, Scalar* param, const Scalar* grad, Index first, Index end) override;

 private:
  double beta_1_, beta_2_, epsilon_;
  Scalar alpha_ = 0;  // this step's bias-corrected learning rate
};

// RMSprop as Keras computes it: v <- rho v + (1 - rho) g²; step = lr g / sqrt(v + epsilon), with
// epsilon inside the square root; `centered` subtracts the squared running mean of g from v.
class RMSprop : public Optimizer {
 public:
  explicit RMSprop(double learning_rate = 0.001, double rho = 0.9, double momentum = 0.0, double epsilon = 1e-7,
                   bool centered = false);
  std::string name() const override { return "RMSprop"; }
  // velocity, then the momentum buffer and the mean gradient when those options are on
  std::vector<std::string> slot_names() const override;
  double rho() const { return rho_; }
  double momentum() const { return momentum_; }
  double epsilon() const { return epsilon_; }
  bool centered() const { return centered_; }

 protected:
  void update(size_t index, Scalar* param, const Scalar* grad, Index first, Index end) override;

 private:
  double rho_, momentum_, epsilon_;
  bool centered_;
};

// Keras's names ("sgd", "adam", "rmsprop") with Keras's defaults. Throws std::invalid_argument listing valid names.
std::shared_ptr<Optimizer> make_optimizer(const std::string& name);

}  // namespace fastmlp
