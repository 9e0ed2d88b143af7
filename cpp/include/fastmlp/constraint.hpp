// Weight constraints, as Keras's: a projection applied to a weight after every optimizer step
// (Keras's optimizer assigns `variable.constraint(variable)` after its update), such as MaxNorm's
// rescaling of each unit's incoming weights to a norm of at most max_value.
#pragma once

#include <memory>
#include <string>

#include "fastmlp/registry.hpp"
#include "fastmlp/types.hpp"

namespace fastmlp {

class Constraint : public Configurable {
 public:
  using Base = Constraint;
  static constexpr const char* kKind = "constraint";

  // Projects `values` in place. `rank` is how many axes the tensor has in Keras: 2 for a kernel
  // (inputs, units), 1 for a vector (a bias, gamma, beta, PReLU's alpha), which fastmlp stores as
  // one row; a constraint's `axis` counts Keras's axes. A virtual function cannot be a template, so
  // each is declared once per scalar type; a constraint writes it once, as the template apply_of,
  // and ConstraintImpl forwards both to it.
  virtual void apply(MatrixMapOf<float> values, int rank) const = 0;
  virtual void apply(MatrixMapOf<double> values, int rank) const = 0;
  // Throws std::invalid_argument unless the constraint applies to a tensor of `rank` axes (its axis
  // within them); `what` names the tensor ("Dense kernel_constraint"). A layer calls it when it is
  // made, so that a bad axis is an error there, not in the middle of fit().
  virtual void check_rank(int /*rank*/, const std::string& /*what*/) const {}
};

template <class Derived>
class ConstraintImpl : public Constraint {
 public:
  void apply(MatrixMapOf<float> values, int rank) const override { self().apply_of(values, rank); }
  void apply(MatrixMapOf<double> values, int rank) const override { self().apply_of(values, rank); }

 private:
  const Derived& self() const { return static_cast<const Derived&>(*this); }
};

using ConstraintPtr = std::shared_ptr<const Constraint>;

// Checks an optional constraint (none: nothing to check) against a weight of `rank` axes.
inline void check_constraint(const ConstraintPtr& constraint, int rank, const std::string& what) {
  if (constraint) constraint->check_rank(rank, what);
}

// A constraint by name ("MaxNorm", "max_norm", ...) with parameters from `config` ({"max_value": 3}).
ConstraintPtr make_constraint(const std::string& name, const Config& config = {});

}  // namespace fastmlp
