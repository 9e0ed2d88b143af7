// The constraint kind: make_constraint, and Keras's `axis` as the norm constraints read and write it.
#include "fastmlp/constraint.hpp"

#include <stdexcept>

#include "norm.hpp"

namespace fastmlp {

ConstraintPtr make_constraint(const std::string& name, const Config& config) {
  return Registry<Constraint>::instance().create(name, config);
}

Config ConstraintAxis::to_config() const {
  if (form == Form::All) return Config();
  if (form == Form::One) return Config(axes.front());
  Config::Array items;
  for (std::int64_t axis : axes) items.emplace_back(axis);
  return items;
}

ConstraintAxis ConstraintAxis::from_config(const Config& config, const std::string& what) {
  ConstraintAxis axis;
  // Axes are small integers, negative ones counting from the end, as Keras's.
  const auto read = [&](const Config& item, const std::string& name) {
    if (!item.is_integer()) throw ConfigTypeError(name + " must be an integer axis, got " + item.dump());
    return item.as_integer(name, -(std::int64_t{1} << 31));
  };
  if (config.is_null()) {
    axis.form = Form::All;
    axis.axes.clear();
  } else if (config.is_array()) {
    const Config::Array& items = config.as_array(what);
    if (items.empty()) throw ConfigError(what + " must name at least one axis (or be None for all of them)");
    axis.form = Form::List;
    axis.axes.clear();
    for (size_t i = 0; i < items.size(); ++i) axis.axes.push_back(read(items[i], what + "[" + std::to_string(i) + "]"));
  } else {
    axis.axes = {read(config, what)};
  }
  return axis;
}

void ConstraintAxis::check(int rank, const std::string& what) const {
  for (std::int64_t axis : axes)
    if (axis < -rank || axis >= rank)
      throw std::invalid_argument(what + " axis " + std::to_string(axis) + " is out of range for a weight of " +
                                  std::to_string(rank) + (rank == 1 ? " axis" : " axes"));
}

ConstraintAxis::Reduction ConstraintAxis::reduction(int rank) const {
  if (form == Form::All) return {true, true};
  Reduction reduction;
  for (std::int64_t axis : axes) {
    if (axis < -rank || axis >= rank) throw std::invalid_argument("a constraint's axis is out of range for its weight");
    const std::int64_t positive = axis < 0 ? axis + rank : axis;
    // A vector is stored as one row: its only axis runs along the row.
    if (rank == 1 || positive == 1)
      reduction.over_cols = true;
    else
      reduction.over_rows = true;
  }
  return reduction;
}

}  // namespace fastmlp
