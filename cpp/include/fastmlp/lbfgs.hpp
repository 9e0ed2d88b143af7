// Full-batch L-BFGS: minimises a compiled model's loss over a whole data set, as scikit-learn's MLPs do
// with solver="lbfgs" (through SciPy's L-BFGS-B, here without bounds). The model's own forward and
// backward passes give the loss and the gradient; the optimizer the model was compiled with is not used.
//
//   LbfgsOptions options;
//   options.max_iter = 200;
//   LbfgsResult result = minimize_lbfgs(model, DatasetOf<float>{x, y}, options);
//
// The method is Nocedal and Wright's (Numerical Optimization, 2nd ed., algorithms 7.4, 3.5 and 3.6):
// the two-loop recursion over the last `history` steps, and a line search for the strong Wolfe
// conditions with L-BFGS-B's constants (sufficient decrease 1e-3, curvature 0.9, at most 20 evaluations).
// It stops as SciPy's L-BFGS-B does, with its status codes and messages, so that scikit-learn's
// convergence warnings read the same: 1 at `max_iter` iterations or beyond `max_fun` evaluations (checked
// first, after each iteration), 0 when the largest gradient entry is at most `gtol` or the loss fell by
// at most `ftol` relative to its size, 2 when the line search finds no acceptable step.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "fastmlp/model.hpp"

namespace fastmlp {

struct LbfgsOptions {
  int max_iter = 15000;  // iterations (scikit-learn's max_iter)
  int max_fun = 15000;   // loss evaluations (scikit-learn's max_fun)
  double gtol = 1e-5;    // stop when every gradient entry is at most this in size (scikit-learn passes tol)
  double ftol = 2.220446049250313e-09;  // L-BFGS-B's factr * machine epsilon, with its default factr 1e7
  int history = 10;      // steps the inverse Hessian is built from (L-BFGS-B's maxcor)
  int max_line_search = 20;  // evaluations per line search (L-BFGS-B's maxls)
  // The objective is scale * (the model's loss) + offset: a caller whose loss differs from the model's
  // by a factor and a constant (scikit-learn's sums where Keras averages, its Poisson deviance's
  // constant terms) gets that loss's values, and so the same relative-reduction test.
  double scale = 1.0;
  double offset = 0.0;
};

struct LbfgsResult {
  int iterations = 0;
  int evaluations = 0;
  int status = 0;       // 0 converged, 1 an iteration or evaluation limit, 2 the line search failed
  std::string message;  // L-BFGS-B's words for the status
  double loss = 0;      // the objective at the returned weights
  std::vector<double> losses;  // the objective after each iteration
};

// Called after each iteration with its number (from 1) and the objective; returning true stops there
// (status 1, "STOP: CALLBACK REQUESTED HALT"). May throw to abandon the run: the model then keeps the weights of the
// last completed iteration.
using LbfgsCallback = std::function<bool(int iteration, double loss)>;

// Minimises from the model's current weights and leaves the best weights found in the model. The model
// must be built and compiled (its loss is used), with one input and one output; sparse inputs are read
// as they are. Throws std::invalid_argument for bad options or data.
template <class Scalar>
LbfgsResult minimize_lbfgs(ModelOf<Scalar>& model, const DatasetOf<Scalar>& data, const LbfgsOptions& options,
                           const LbfgsCallback& on_iteration = {});

}  // namespace fastmlp
