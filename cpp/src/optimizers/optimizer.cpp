#include "fastmlp/optimizer.hpp"

#include <cmath>
#include <stdexcept>
#include <utility>

#include "fastmlp/parallel.hpp"

namespace fastmlp {
namespace {

void require(bool ok, const std::string& message) {
  if (!ok) throw std::invalid_argument(message);
}

void require_off_or_positive(const std::optional<double>& value, const std::string& what) {
  require(!value || (*value >= 0 && std::isfinite(*value)),
          what + " must be None or a finite number >= 0, got " + std::to_string(value.value_or(0)));
}

}  // namespace

Config LearningRate::to_config() const { return schedule ? serialize(*schedule) : Config(value); }

LearningRate LearningRate::from_config(const Config& config, const std::string& what) {
  if (config.is_number()) return LearningRate(config.as_number(what));
  return LearningRate(SchedulePtr(Registry<LearningRateSchedule>::instance().deserialize(config, what)));
}

void Optimizer::validate_common() const {
  const OptimizerOptions& options = common();
  const std::string who = class_name();
  if (!options.learning_rate.schedule)
    require(std::isfinite(options.learning_rate.value) && options.learning_rate.value >= 0,
            who + " learning_rate must be a finite number >= 0, got " + std::to_string(options.learning_rate.value));
  require_off_or_positive(options.weight_decay, who + " weight_decay");
  require_off_or_positive(options.clipnorm, who + " clipnorm");
  require_off_or_positive(options.clipvalue, who + " clipvalue");
  require_off_or_positive(options.global_clipnorm, who + " global_clipnorm");
  const int clips = options.clipnorm.has_value() + options.clipvalue.has_value() + options.global_clipnorm.has_value();
  require(clips <= 1, who + ": set at most one of clipnorm, clipvalue and global_clipnorm");
}

void Optimizer::set_learning_rate(LearningRate learning_rate) {
  if (!learning_rate.schedule)
    require(std::isfinite(learning_rate.value) && learning_rate.value >= 0,
            "learning_rate must be a finite number >= 0, got " + std::to_string(learning_rate.value));
  common_options().learning_rate = std::move(learning_rate);
}

template <class Scalar>
void Optimizer::build(const std::vector<ParameterOf<Scalar>>& params) {
  const int per_parameter = static_cast<int>(slot_names().size());
  auto& slots = slot_storage<Scalar>();
  slots.assign(params.size(), {});
  for (size_t i = 0; i < params.size(); ++i)
    for (int k = 0; k < per_parameter; ++k)
      slots[i].push_back(RowMatrixOf<Scalar>::Constant(params[i].value->rows(), params[i].value->cols(),
                                                       static_cast<Scalar>(initial_slot_value(k))));
  drop_other_slots<Scalar>();
}

template <class Scalar>
void Optimizer::restore_state(const std::vector<ParameterOf<Scalar>>& params, std::int64_t iterations,
                              std::vector<std::vector<RowMatrixOf<Scalar>>> slots, const Config& extra) {
  require(iterations >= 0, "optimizer iterations must be >= 0, got " + std::to_string(iterations));
  if (!slots.empty()) {
    require(slots.size() == params.size(), "optimizer state holds slots for " + std::to_string(slots.size()) +
                                               " parameters, the model has " + std::to_string(params.size()));
    const size_t per_parameter = slot_names().size();
    for (size_t i = 0; i < params.size(); ++i) {
      require(slots[i].size() == per_parameter, class_name() + " keeps " + std::to_string(per_parameter) +
                                                    " slot(s) per parameter, got " + std::to_string(slots[i].size()) +
                                                    " for parameter " + std::to_string(i));
      for (const auto& s : slots[i])
        require(s.rows() == params[i].value->rows() && s.cols() == params[i].value->cols(),
                "optimizer slot for parameter " + std::to_string(i) + " has shape (" + std::to_string(s.rows()) +
                    ", " + std::to_string(s.cols()) + "), the parameter (" +
                    std::to_string(params[i].value->rows()) + ", " + std::to_string(params[i].value->cols()) + ")");
    }
  }
  restore_extra_state(extra);  // validates before anything below changes
  slot_storage<Scalar>() = std::move(slots);
  drop_other_slots<Scalar>();
  iterations_ = iterations;
}

template <class Scalar>
bool Optimizer::built_for(const std::vector<ParameterOf<Scalar>>& params) const {
  const auto& slots = slot_storage<Scalar>();
  if (slots.size() != params.size()) return false;
  for (size_t i = 0; i < params.size(); ++i) {
    if (slots[i].size() != slot_names().size()) return false;
    for (const auto& s : slots[i])
      if (s.rows() != params[i].value->rows() || s.cols() != params[i].value->cols()) return false;
  }
  return true;
}

template <class Scalar>
void Optimizer::clip_gradients(const std::vector<ParameterOf<Scalar>>& params) const {
  // Gradients are the layers' buffers, overwritten by every backward pass, so clipping in place is safe.
  const OptimizerOptions& options = common();
  if (options.clipvalue) {
    const Scalar limit = static_cast<Scalar>(*options.clipvalue);
    for (const auto& p : params) *p.gradient = p.gradient->cwiseMax(-limit).cwiseMin(limit);
  } else if (options.clipnorm) {
    for (const auto& p : params) {
      const double norm = p.gradient->norm();
      if (norm > *options.clipnorm) *p.gradient *= static_cast<Scalar>(*options.clipnorm / norm);
    }
  } else if (options.global_clipnorm) {
    double squared = 0;
    for (const auto& p : params) squared += p.gradient->squaredNorm();
    const double norm = std::sqrt(squared);
    if (norm > *options.global_clipnorm)
      for (const auto& p : params) *p.gradient *= static_cast<Scalar>(*options.global_clipnorm / norm);
  }
}

template <class Scalar>
void Optimizer::step(const std::vector<ParameterOf<Scalar>>& params) {
  clip_gradients(params);
  const double rate = learning_rate();
  const Scalar lr = static_cast<Scalar>(rate);
  if (const std::optional<double> decay = common().weight_decay; decay && *decay > 0) {
    const Scalar shrink = static_cast<Scalar>(1 - *decay * rate);  // w - w * wd * lr
    for (const auto& p : params) *p.value *= shrink;
  }
  begin_step();
  for (size_t i = 0; i < params.size(); ++i) {
    Scalar* value = params[i].value->data();
    const Scalar* grad = params[i].gradient->data();
    parallel_for(params[i].value->size(), 4, [&](Index first, Index end) { update(i, value, grad, first, end, lr); });
  }
  // Keras's optimizer projects each constrained variable after its update, in the same step; under
  // data parallelism every rank applies it to the same averaged update, so the ranks stay equal.
  for (const auto& p : params)
    if (p.constraint) p.constraint->apply(map_of(*p.value), p.rank);
  ++iterations_;
}

#define FASTMLP_INSTANTIATE(Scalar)                                                                        \
  template void Optimizer::build(const std::vector<ParameterOf<Scalar>>&);                                 \
  template bool Optimizer::built_for(const std::vector<ParameterOf<Scalar>>&) const;                       \
  template void Optimizer::step(const std::vector<ParameterOf<Scalar>>&);                                  \
  template void Optimizer::restore_state(const std::vector<ParameterOf<Scalar>>&, std::int64_t,            \
                                         std::vector<std::vector<RowMatrixOf<Scalar>>>, const Config&);
FASTMLP_INSTANTIATE(float)
FASTMLP_INSTANTIATE(double)
#undef FASTMLP_INSTANTIATE

OptimizerPtr make_optimizer(const std::string& name, const Config& config) {
  return Registry<Optimizer>::instance().create(name, config);
}

}  // namespace fastmlp
