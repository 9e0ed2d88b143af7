#include "fastmlp/optimizers.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
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

}  // namespace

Optimizer::Optimizer(double learning_rate) { set_learning_rate(learning_rate); }

void Optimizer::set_learning_rate(double learning_rate) {
  require(std::isfinite(learning_rate) && learning_rate >= 0,
          "learning_rate must be a finite number >= 0, got " + std::to_string(learning_rate));
  learning_rate_ = learning_rate;
}

void Optimizer::build(const std::vector<Parameter>& params) {
  const size_t per_parameter = slot_names().size();
  slots_.assign(params.size(), {});
  for (size_t i = 0; i < params.size(); ++i)
    for (size_t k = 0; k < per_parameter; ++k)
      slots_[i].push_back(RowMatrix::Zero(params[i].value->rows(), params[i].value->cols()));
}

bool Optimizer::built_for(const std::vector<Parameter>& params) const {
  if (slots_.size() != params.size()) return false;
  for (size_t i = 0; i < params.size(); ++i)
    for (const auto& s : slots_[i])
      if (s.rows() != params[i].value->rows() || s.cols() != params[i].value->cols()) return false;
  return true;
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

void Optimizer::step(const std::vector<Parameter>& params) {
  begin_step();
  for (size_t i = 0; i < params.size(); ++i) {
    Scalar* value = params[i].value->data();
    const Scalar* grad = params[i].gradient->data();
    parallel_for(params[i].value->size(), 4, [&](Index first, Index end) { update(i, value, grad, first, end); });
  }
  ++iterations_;
}

// ---- SGD ------------------------------------------------------------------------------------------
SGD::SGD(double learning_rate, double momentum, bool nesterov)
    : Optimizer(learning_rate), momentum_(momentum), nesterov_(nesterov) {
  require(momentum >= 0 && momentum <= 1, "SGD momentum must be in [0, 1], got " + std::to_string(momentum));
}

std::vector<std::string> SGD::slot_names() const {
  if (momentum_ == 0) return {};
  return {"momentum"};
}

void SGD::update(size_t index, Scalar* param, const Scalar* grad, Index first, Index end) {
  const Index n = end - first;
  FlatArray w(param + first, n);
  ConstFlatArray g(grad + first, n);
  const Scalar lr = static_cast<Scalar>(learning_rate());
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

// ---- Adam -----------------------------------------------------------------------------------------
Adam::Adam(double learning_rate, double beta_1, double beta_2, double epsilon)
    : Optimizer(learning_rate), beta_1_(beta_1), beta_2_(beta_2), epsilon_(epsilon) {
  require(beta_1 >= 0 && beta_1 < 1, "Adam beta_1 must be in [0, 1), got " + std::to_string(beta_1));
  require(beta_2 >= 0 && beta_2 < 1, "Adam beta_2 must be in [0, 1), got " + std::to_string(beta_2));
  require(epsilon >= 0, "Adam epsilon must be >= 0, got " + std::to_string(epsilon));
}

void Adam::begin_step() {
  const double t = static_cast<double>(iterations() + 1);
  alpha_ = static_cast<Scalar>(learning_rate() * std::sqrt(1 - std::pow(beta_2_, t)) / (1 - std::pow(beta_1_, t)));
}

void Adam::update(size_t index, Scalar* param, const Scalar* grad, Index first, Index end) {
  const Index n = end - first;
  FlatArray w(param + first, n), m(slot_data(index, 0) + first, n), v(slot_data(index, 1) + first, n);
  ConstFlatArray g(grad + first, n);
  // 1 - beta in double, rounded once, as Keras computes it: 1 - 0.999f in float is 5e-5 too large.
  const Scalar one_minus_b1 = static_cast<Scalar>(1 - beta_1_), one_minus_b2 = static_cast<Scalar>(1 - beta_2_);
  m += (g - m) * one_minus_b1;
  v += (g.square() - v) * one_minus_b2;
  w -= alpha_ * m / (v.sqrt() + static_cast<Scalar>(epsilon_));
}

// ---- RMSprop --------------------------------------------------------------------------------------
RMSprop::RMSprop(double learning_rate, double rho, double momentum, double epsilon, bool centered)
    : Optimizer(learning_rate), rho_(rho), momentum_(momentum), epsilon_(epsilon), centered_(centered) {
  require(rho >= 0 && rho < 1, "RMSprop rho must be in [0, 1), got " + std::to_string(rho));
  require(momentum >= 0 && momentum <= 1, "RMSprop momentum must be in [0, 1], got " + std::to_string(momentum));
  require(epsilon >= 0, "RMSprop epsilon must be >= 0, got " + std::to_string(epsilon));
}

std::vector<std::string> RMSprop::slot_names() const {
  std::vector<std::string> names{"velocity"};
  if (momentum_ > 0) names.emplace_back("momentum");
  if (centered_) names.emplace_back("average_gradient");
  return names;
}

void RMSprop::update(size_t index, Scalar* param, const Scalar* grad, Index first, Index end) {
  const Index n = end - first;
  FlatArray w(param + first, n), v(slot_data(index, 0) + first, n);
  ConstFlatArray g(grad + first, n);
  const Scalar rho = static_cast<Scalar>(rho_), eps = static_cast<Scalar>(epsilon_);
  const Scalar lr = static_cast<Scalar>(learning_rate());
  v = rho * v + (1 - rho) * g.square();
  const int mean_slot = momentum_ > 0 ? 2 : 1;
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
    FlatArray mean_grad(slot_data(index, mean_slot) + first, n);
    mean_grad = rho * mean_grad + (1 - rho) * g;
    apply(lr * g / (v - mean_grad.square() + eps).sqrt());
  } else {
    apply(lr * g / (v + eps).sqrt());
  }
}

std::shared_ptr<Optimizer> make_optimizer(const std::string& name) {
  std::string key = name;
  std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
  if (key == "sgd") return std::make_shared<SGD>();
  if (key == "adam") return std::make_shared<Adam>();
  if (key == "rmsprop") return std::make_shared<RMSprop>();
  throw std::invalid_argument("unknown optimizer '" + name + "'; valid names are: sgd, adam, rmsprop");
}

}  // namespace fastmlp
