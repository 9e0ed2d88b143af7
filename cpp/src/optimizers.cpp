#include "fastmlp/optimizers.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <stdexcept>
#include <utility>

#include "fastmlp/parallel.hpp"

namespace fastmlp {
namespace {

using FlatArray = Eigen::Map<Eigen::ArrayXf>;
using ConstFlatArray = Eigen::Map<const Eigen::ArrayXf>;

void require(bool ok, const std::string& message) {
  if (!ok) throw std::invalid_argument(message);
}

void require_unit_interval(double value, const char* what, bool one_allowed) {
  require(value >= 0 && (one_allowed ? value <= 1 : value < 1),
          std::string(what) + " must be in [0, 1" + (one_allowed ? "]" : ")") + ", got " + std::to_string(value));
}

}  // namespace

Optimizer::Optimizer(double learning_rate, OptimizerOptions options) : options_(options) {
  set_learning_rate(learning_rate);
  require(options.weight_decay >= 0, "weight_decay must be >= 0, got " + std::to_string(options.weight_decay));
  require(options.clipnorm >= 0 && options.clipvalue >= 0 && options.global_clipnorm >= 0,
          "clipnorm, clipvalue and global_clipnorm must be >= 0");
  const int clips = (options.clipnorm > 0) + (options.clipvalue > 0) + (options.global_clipnorm > 0);
  require(clips <= 1, "set at most one of clipnorm, clipvalue and global_clipnorm");
}

double Optimizer::learning_rate() const {
  return schedule_ ? (*schedule_)(iterations_) : learning_rate_;
}

void Optimizer::set_learning_rate(double learning_rate) {
  require(std::isfinite(learning_rate) && learning_rate >= 0,
          "learning_rate must be a finite number >= 0, got " + std::to_string(learning_rate));
  learning_rate_ = learning_rate;
  schedule_.reset();
}

void Optimizer::set_schedule(std::shared_ptr<const LearningRateSchedule> schedule) { schedule_ = std::move(schedule); }

void Optimizer::build(const std::vector<Parameter>& params) {
  const int per_parameter = static_cast<int>(slot_names().size());
  slots_.assign(params.size(), {});
  for (size_t i = 0; i < params.size(); ++i)
    for (int k = 0; k < per_parameter; ++k)
      slots_[i].push_back(RowMatrix::Constant(params[i].value->rows(), params[i].value->cols(), initial_slot_value(k)));
}

void Optimizer::restore_state(const std::vector<Parameter>& params, std::int64_t iterations,
                              std::vector<std::vector<RowMatrix>> slots) {
  require(iterations >= 0, "optimizer iterations must be >= 0, got " + std::to_string(iterations));
  if (!slots.empty()) {
    require(slots.size() == params.size(), "optimizer state holds slots for " + std::to_string(slots.size()) +
                                               " parameters, the model has " + std::to_string(params.size()));
    const size_t per_parameter = slot_names().size();
    for (size_t i = 0; i < params.size(); ++i) {
      require(slots[i].size() == per_parameter, name() + " keeps " + std::to_string(per_parameter) +
                                                    " slot(s) per parameter, got " + std::to_string(slots[i].size()) +
                                                    " for parameter " + std::to_string(i));
      for (const auto& s : slots[i])
        require(s.rows() == params[i].value->rows() && s.cols() == params[i].value->cols(),
                "optimizer slot for parameter " + std::to_string(i) + " has shape (" + std::to_string(s.rows()) +
                    ", " + std::to_string(s.cols()) + "), the parameter (" +
                    std::to_string(params[i].value->rows()) + ", " + std::to_string(params[i].value->cols()) + ")");
    }
  }
  slots_ = std::move(slots);
  iterations_ = iterations;
}

bool Optimizer::built_for(const std::vector<Parameter>& params) const {
  if (slots_.size() != params.size()) return false;
  for (size_t i = 0; i < params.size(); ++i) {
    if (slots_[i].size() != slot_names().size()) return false;
    for (const auto& s : slots_[i])
      if (s.rows() != params[i].value->rows() || s.cols() != params[i].value->cols()) return false;
  }
  return true;
}

void Optimizer::clip_gradients(const std::vector<Parameter>& params) const {
  // Gradients are the layers' buffers, overwritten by every backward pass, so clipping in place is safe.
  if (options_.clipvalue > 0) {
    const Scalar c = static_cast<Scalar>(options_.clipvalue);
    for (const auto& p : params) *p.gradient = p.gradient->cwiseMax(-c).cwiseMin(c);
  } else if (options_.clipnorm > 0) {
    for (const auto& p : params) {
      const double norm = p.gradient->norm();
      if (norm > options_.clipnorm) *p.gradient *= static_cast<Scalar>(options_.clipnorm / norm);
    }
  } else if (options_.global_clipnorm > 0) {
    double squared = 0;
    for (const auto& p : params) squared += p.gradient->squaredNorm();
    const double norm = std::sqrt(squared);
    if (norm > options_.global_clipnorm)
      for (const auto& p : params) *p.gradient *= static_cast<Scalar>(options_.global_clipnorm / norm);
  }
}

void Optimizer::step(const std::vector<Parameter>& params) {
  clip_gradients(params);
  const double rate = learning_rate();
  const Scalar lr = static_cast<Scalar>(rate);
  if (options_.weight_decay > 0) {
    const Scalar shrink = static_cast<Scalar>(1 - options_.weight_decay * rate);  // w - w * wd * lr
    for (const auto& p : params) *p.value *= shrink;
  }
  begin_step();
  for (size_t i = 0; i < params.size(); ++i) {
    Scalar* value = params[i].value->data();
    const Scalar* grad = params[i].gradient->data();
    parallel_for(params[i].value->size(), 4,
                 [&](Index first, Index end) { update(i, value, grad, first, end, lr); });
  }
  ++iterations_;
}

// ---- SGD ------------------------------------------------------------------------------------------
SGD::SGD(double learning_rate, double momentum, bool nesterov, OptimizerOptions options)
    : Optimizer(learning_rate, options), momentum_(momentum), nesterov_(nesterov) {
  require_unit_interval(momentum, "SGD momentum", true);
}

std::vector<std::string> SGD::slot_names() const {
  if (momentum_ == 0) return {};
  return {"momentum"};
}

void SGD::update(size_t index, Scalar* param, const Scalar* grad, Index first, Index end, Scalar lr) {
  const Index n = end - first;
  FlatArray w(param + first, n);
  ConstFlatArray g(grad + first, n);
  if (momentum_ == 0) {
    w -= lr * g;
    return;
  }
  const Scalar mu = static_cast<Scalar>(momentum_);
  FlatArray m(slot_data(index, 0) + first, n);
  m = mu * m - lr * g;
  if (nesterov_)
    w += mu * m - lr * g;
  else
    w += m;
}

// ---- Adam and AdamW -------------------------------------------------------------------------------
Adam::Adam(double learning_rate, double beta_1, double beta_2, double epsilon, bool amsgrad, OptimizerOptions options)
    : Optimizer(learning_rate, options), beta_1_(beta_1), beta_2_(beta_2), epsilon_(epsilon), amsgrad_(amsgrad) {
  require_unit_interval(beta_1, "Adam beta_1", false);
  require_unit_interval(beta_2, "Adam beta_2", false);
  require(epsilon >= 0, "Adam epsilon must be >= 0, got " + std::to_string(epsilon));
}

std::vector<std::string> Adam::slot_names() const {
  if (amsgrad_) return {"momentum", "velocity", "velocity_hat"};
  return {"momentum", "velocity"};
}

void Adam::begin_step() {
  const double t = static_cast<double>(iterations() + 1);
  correction_ = std::sqrt(1 - std::pow(beta_2_, t)) / (1 - std::pow(beta_1_, t));
}

void Adam::update(size_t index, Scalar* param, const Scalar* grad, Index first, Index end, Scalar lr) {
  const Index n = end - first;
  FlatArray w(param + first, n), m(slot_data(index, 0) + first, n), v(slot_data(index, 1) + first, n);
  ConstFlatArray g(grad + first, n);
  // 1 - beta in double, rounded once, as Keras computes it: 1 - 0.999f in float is 5e-5 too large.
  const Scalar one_minus_b1 = static_cast<Scalar>(1 - beta_1_), one_minus_b2 = static_cast<Scalar>(1 - beta_2_);
  const Scalar alpha = static_cast<Scalar>(lr * correction_), eps = static_cast<Scalar>(epsilon_);
  m += (g - m) * one_minus_b1;
  v += (g.square() - v) * one_minus_b2;
  if (amsgrad_) {
    FlatArray v_max(slot_data(index, 2) + first, n);
    v_max = v_max.max(v);
    w -= alpha * m / (v_max.sqrt() + eps);
  } else {
    w -= alpha * m / (v.sqrt() + eps);
  }
}

namespace {
OptimizerOptions with_weight_decay(OptimizerOptions options, double weight_decay) {
  options.weight_decay = weight_decay;
  return options;
}
}  // namespace

AdamW::AdamW(double learning_rate, double weight_decay, double beta_1, double beta_2, double epsilon, bool amsgrad,
             OptimizerOptions options)
    : Adam(learning_rate, beta_1, beta_2, epsilon, amsgrad, with_weight_decay(options, weight_decay)) {}

// ---- RMSprop --------------------------------------------------------------------------------------
RMSprop::RMSprop(double learning_rate, double rho, double momentum, double epsilon, bool centered,
                 OptimizerOptions options)
    : Optimizer(learning_rate, options), rho_(rho), momentum_(momentum), epsilon_(epsilon), centered_(centered) {
  require_unit_interval(rho, "RMSprop rho", false);
  require_unit_interval(momentum, "RMSprop momentum", true);
  require(epsilon >= 0, "RMSprop epsilon must be >= 0, got " + std::to_string(epsilon));
}

std::vector<std::string> RMSprop::slot_names() const {
  std::vector<std::string> names{"velocity"};
  if (momentum_ > 0) names.emplace_back("momentum");
  if (centered_) names.emplace_back("average_gradient");
  return names;
}

void RMSprop::update(size_t index, Scalar* param, const Scalar* grad, Index first, Index end, Scalar lr) {
  const Index n = end - first;
  FlatArray w(param + first, n), v(slot_data(index, 0) + first, n);
  ConstFlatArray g(grad + first, n);
  const Scalar rho = static_cast<Scalar>(rho_), one_minus_rho = static_cast<Scalar>(1 - rho_);
  const Scalar eps = static_cast<Scalar>(epsilon_);
  v = rho * v + one_minus_rho * g.square();
  auto apply = [&](const auto& increment) {
    if (momentum_ > 0) {
      FlatArray m(slot_data(index, 1) + first, n);
      m = static_cast<Scalar>(momentum_) * m + increment;
      w -= m;
    } else {
      w -= increment;
    }
  };
  if (centered_) {
    FlatArray mean_grad(slot_data(index, momentum_ > 0 ? 2 : 1) + first, n);
    mean_grad = rho * mean_grad + one_minus_rho * g;
    apply(lr * g / (v - mean_grad.square() + eps).sqrt());
  } else {
    apply(lr * g / (v + eps).sqrt());
  }
}

// ---- Adagrad --------------------------------------------------------------------------------------
Adagrad::Adagrad(double learning_rate, double initial_accumulator_value, double epsilon, OptimizerOptions options)
    : Optimizer(learning_rate, options), initial_accumulator_(initial_accumulator_value), epsilon_(epsilon) {
  require(initial_accumulator_value >= 0, "Adagrad initial_accumulator_value must be >= 0");
  require(epsilon >= 0, "Adagrad epsilon must be >= 0, got " + std::to_string(epsilon));
}

void Adagrad::update(size_t index, Scalar* param, const Scalar* grad, Index first, Index end, Scalar lr) {
  const Index n = end - first;
  FlatArray w(param + first, n), a(slot_data(index, 0) + first, n);
  ConstFlatArray g(grad + first, n);
  a += g.square();
  w -= lr * g / (a + static_cast<Scalar>(epsilon_)).sqrt();
}

// ---- Adadelta -------------------------------------------------------------------------------------
Adadelta::Adadelta(double learning_rate, double rho, double epsilon, OptimizerOptions options)
    : Optimizer(learning_rate, options), rho_(rho), epsilon_(epsilon) {
  require_unit_interval(rho, "Adadelta rho", false);
  require(epsilon >= 0, "Adadelta epsilon must be >= 0, got " + std::to_string(epsilon));
}

void Adadelta::update(size_t index, Scalar* param, const Scalar* grad, Index first, Index end, Scalar lr) {
  Scalar* a = slot_data(index, 0);
  Scalar* d2 = slot_data(index, 1);
  const Scalar rho = static_cast<Scalar>(rho_), one_minus_rho = static_cast<Scalar>(1 - rho_);
  const Scalar eps = static_cast<Scalar>(epsilon_);
  // One element at a time: the step needs the old D before D is updated, without a scratch array.
  for (Index i = first; i < end; ++i) {
    a[i] = rho * a[i] + one_minus_rho * grad[i] * grad[i];
    const Scalar delta = -std::sqrt(d2[i] + eps) / std::sqrt(a[i] + eps) * grad[i];
    d2[i] = rho * d2[i] + one_minus_rho * delta * delta;
    param[i] += lr * delta;
  }
}

// ---- Adamax ---------------------------------------------------------------------------------------
Adamax::Adamax(double learning_rate, double beta_1, double beta_2, double epsilon, OptimizerOptions options)
    : Optimizer(learning_rate, options), beta_1_(beta_1), beta_2_(beta_2), epsilon_(epsilon) {
  require_unit_interval(beta_1, "Adamax beta_1", false);
  require_unit_interval(beta_2, "Adamax beta_2", false);
  require(epsilon >= 0, "Adamax epsilon must be >= 0, got " + std::to_string(epsilon));
}

void Adamax::begin_step() {
  correction_ = 1 / (1 - std::pow(beta_1_, static_cast<double>(iterations() + 1)));
}

void Adamax::update(size_t index, Scalar* param, const Scalar* grad, Index first, Index end, Scalar lr) {
  const Index n = end - first;
  FlatArray w(param + first, n), m(slot_data(index, 0) + first, n), u(slot_data(index, 1) + first, n);
  ConstFlatArray g(grad + first, n);
  const Scalar one_minus_b1 = static_cast<Scalar>(1 - beta_1_), b2 = static_cast<Scalar>(beta_2_);
  m += (g - m) * one_minus_b1;
  u = (b2 * u).max(g.abs());
  w -= static_cast<Scalar>(lr * correction_) * m / (u + static_cast<Scalar>(epsilon_));
}

// ---- Nadam ----------------------------------------------------------------------------------------
Nadam::Nadam(double learning_rate, double beta_1, double beta_2, double epsilon, OptimizerOptions options)
    : Optimizer(learning_rate, options), beta_1_(beta_1), beta_2_(beta_2), epsilon_(epsilon) {
  require_unit_interval(beta_1, "Nadam beta_1", false);
  require_unit_interval(beta_2, "Nadam beta_2", false);
  require(epsilon >= 0, "Nadam epsilon must be >= 0, got " + std::to_string(epsilon));
}

void Nadam::begin_step() {
  const double t = static_cast<double>(iterations() + 1);
  const double u_t = beta_1_ * (1 - 0.5 * std::pow(0.96, t));
  const double u_next = beta_1_ * (1 - 0.5 * std::pow(0.96, t + 1));
  u_product_ *= u_t;  // Keras advances the product once per step, before the updates
  u_t_ = static_cast<Scalar>(u_t);
  u_next_ = static_cast<Scalar>(u_next);
  u_product_t_ = static_cast<Scalar>(u_product_);
  u_product_next_ = static_cast<Scalar>(u_product_ * u_next);
  v_correction_ = static_cast<Scalar>(1 / (1 - std::pow(beta_2_, t)));
}

void Nadam::update(size_t index, Scalar* param, const Scalar* grad, Index first, Index end, Scalar lr) {
  const Index n = end - first;
  FlatArray w(param + first, n), m(slot_data(index, 0) + first, n), v(slot_data(index, 1) + first, n);
  ConstFlatArray g(grad + first, n);
  const Scalar one_minus_b1 = static_cast<Scalar>(1 - beta_1_), one_minus_b2 = static_cast<Scalar>(1 - beta_2_);
  m += (g - m) * one_minus_b1;
  v += (g.square() - v) * one_minus_b2;
  const auto m_hat = u_next_ * m / (1 - u_product_next_) + (1 - u_t_) * g / (1 - u_product_t_);
  w -= lr * m_hat / ((v * v_correction_).sqrt() + static_cast<Scalar>(epsilon_));
}

// ---- names ----------------------------------------------------------------------------------------
std::shared_ptr<Optimizer> make_optimizer(const std::string& name) {
  static const std::vector<std::pair<std::string, std::function<std::shared_ptr<Optimizer>()>>> all = {
      {"sgd", [] { return std::make_shared<SGD>(); }},
      {"adam", [] { return std::make_shared<Adam>(); }},
      {"adamw", [] { return std::make_shared<AdamW>(); }},
      {"rmsprop", [] { return std::make_shared<RMSprop>(); }},
      {"adagrad", [] { return std::make_shared<Adagrad>(); }},
      {"adadelta", [] { return std::make_shared<Adadelta>(); }},
      {"adamax", [] { return std::make_shared<Adamax>(); }},
      {"nadam", [] { return std::make_shared<Nadam>(); }},
  };
  std::string key = name;
  std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
  std::string valid;
  for (const auto& [candidate, make] : all) {
    if (candidate == key) return make();
    valid += (valid.empty() ? "" : ", ") + candidate;
  }
  throw std::invalid_argument("unknown optimizer '" + name + "'; valid names are: " + valid);
}

}  // namespace fastmlp
