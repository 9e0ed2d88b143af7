// Full-batch L-BFGS over a model's weights (lbfgs.hpp). Every buffer is sized before the first
// iteration; an iteration allocates nothing.
#include "fastmlp/lbfgs.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "fastmlp/sparse.hpp"

namespace fastmlp {
namespace {

using Doubles = Eigen::VectorXd;

// L-BFGS-B's line search constants (SciPy's dcsrch call): sufficient decrease and curvature.
constexpr double kSufficientDecrease = 1e-3;
constexpr double kCurvature = 0.9;
constexpr double kMaxStep = 1e10;

// The objective: scale * (the model's mean loss over all rows + its penalties) + offset, and its
// gradient, flattened over the trainable parameters in the model's order.
template <class Scalar>
class FullBatchLoss {
 public:
  FullBatchLoss(ModelOf<Scalar>& model, const DatasetOf<Scalar>& data, double scale, double offset)
      : model_(model), y_(data.y), weights_(data.sample_weight), scale_(scale), offset_(offset), rows_(data.x.rows()) {
    if (!model.built() || !model.compiled())
      throw std::invalid_argument("minimize_lbfgs: the model must be built and compiled (its loss is minimised)");
    if (model.input_count() != 1 || model.output_count() != 1 || !model.loss())
      throw std::invalid_argument("minimize_lbfgs: the model must have one input, one output and a loss");
    if (rows_ <= 0) throw std::invalid_argument("minimize_lbfgs: x has no rows");
    if (data.x.cols() != model.input_dim())
      throw std::invalid_argument("minimize_lbfgs: x has " + std::to_string(data.x.cols()) +
                                  " columns, the model takes " + std::to_string(model.input_dim()));
    const Index outputs = model.output_dim();
    if (y_.rows() != rows_ || y_.cols() != model.loss()->target_columns(outputs))
      throw std::invalid_argument("minimize_lbfgs: y must have one row per row of x (" + std::to_string(rows_) +
                                  ") and " + std::to_string(model.loss()->target_columns(outputs)) + " columns");
    params_ = model.trainable_parameters();
    for (const ParameterOf<Scalar>& p : params_) size_ += p.value->size();
    model.prepare_passes(rows_);
    // dL/dZ of the output's activation when the loss fuses with it, as fit() computes it.
    const Activation* final = model.final_activation(0);
    const bool fused = final != nullptr && final->keeps_width() && model.loss()->fuses_with(*final) &&
                       !model.output_read_inside(0);
    at_.assign(1, fused ? GradientAt::PreActivation : GradientAt::Output);
    grad_.resize(rows_, outputs);   // (rows, outputs)
    losses_.resize(rows_);          // (rows)
    if (!data.x.is_sparse()) {
      input_ = data.x.dense().data();
      return;
    }
    sparse_ = data.x.sparse();
    sparse_input_ = &sparse_;
    // A call that reads the input dense (any layer but Dense) gets it densified, once.
    for (size_t k = 0; k < model.call_count(); ++k) {
      const auto& call = model.call_at(k);
      const bool reads_input = std::find(call.inputs.begin(), call.inputs.end(), size_t{0}) != call.inputs.end();
      if (reads_input && (call.inputs.size() != 1 || !model.layers()[call.layer]->takes_sparse())) {
        dense_.resize(rows_, sparse_.cols);  // (rows, features)
        densify(sparse_, MatrixMapOf<Scalar>(dense_.data(), rows_, sparse_.cols));
        input_ = dense_.data();
        break;
      }
    }
  }

  Index size() const { return size_; }

  void read(Doubles& x) const {
    Index at = 0;
    for (const ParameterOf<Scalar>& p : params_) {
      const Index n = p.value->size();
      x.segment(at, n) = Eigen::Map<const VectorOf<Scalar>>(p.value->data(), n).template cast<double>();
      at += n;
    }
  }

  void write(const Doubles& x) {
    Index at = 0;
    for (const ParameterOf<Scalar>& p : params_) {
      const Index n = p.value->size();
      Eigen::Map<VectorOf<Scalar>>(p.value->data(), n) = x.segment(at, n).template cast<Scalar>();
      at += n;
    }
  }

  double evaluate(const Doubles& x, Doubles& gradient) {
    write(x);
    ++evaluations_;
    const Scalar* inputs[1] = {input_};
    const CsrRowsOf<Scalar>* sparse[1] = {sparse_input_};
    const double activity = model_.forward_pass(inputs, rows_, /*training=*/true, sparse);
    const ConstMatrixMapOf<Scalar> y_pred(model_.output_data(0), rows_, grad_.cols());
    const Loss& loss = *model_.loss();
    loss.per_sample(y_pred, y_, losses_);
    // As fit() weighs a batch: Σ w_i l_i / n.
    const auto losses = losses_.template cast<double>();
    const double data_loss =
        (weights_ ? losses.dot(Eigen::Map<const VectorOf<Scalar>>(weights_, rows_).template cast<double>()) : losses.sum()) /
        static_cast<double>(rows_);
    MatrixMapOf<Scalar> grad(grad_.data(), rows_, grad_.cols());
    if (at_[0] == GradientAt::PreActivation)
      loss.gradient_preactivation(y_pred, y_, grad);
    else
      loss.gradient(y_pred, y_, grad);
    if (weights_) grad.array().colwise() *= Eigen::Map<const VectorOf<Scalar>>(weights_, rows_).array();
    const Scalar* grads[1] = {grad_.data()};
    model_.backward_pass(grads, rows_, at_, /*input_gradients=*/false);
    Index at = 0;
    for (const ParameterOf<Scalar>& p : params_) {
      const Index n = p.gradient->size();
      gradient.segment(at, n) = scale_ * Eigen::Map<const VectorOf<Scalar>>(p.gradient->data(), n).template cast<double>();
      at += n;
    }
    return scale_ * (data_loss + model_.weight_penalty() + activity) + offset_;
  }

  int evaluations() const { return evaluations_; }

 private:
  ModelOf<Scalar>& model_;
  ConstMatrixMapOf<Scalar> y_;
  const Scalar* weights_;
  double scale_, offset_;
  Index rows_;
  Index size_ = 0;
  int evaluations_ = 0;
  std::vector<ParameterOf<Scalar>> params_;
  std::vector<GradientAt> at_;
  RowMatrixOf<Scalar> grad_;    // (rows, outputs) dL/d(output), or dL/dZ when fused
  VectorOf<Scalar> losses_;     // (rows) each row's loss
  RowMatrixOf<Scalar> dense_;   // (rows, features) a sparse input densified, only when a call needs it
  CsrRowsOf<Scalar> sparse_;
  const CsrRowsOf<Scalar>* sparse_input_ = nullptr;
  const Scalar* input_ = nullptr;
};

// The minimiser of the cubic through (a, fa) and (b, fb) with slopes da and db (Nocedal and Wright's
// (3.59)), or NaN when it has none.
double cubic_minimizer(double a, double fa, double da, double b, double fb, double db) {
  const double d1 = da + db - 3.0 * (fa - fb) / (a - b);
  const double radicand = d1 * d1 - da * db;
  if (!(radicand >= 0)) return std::numeric_limits<double>::quiet_NaN();
  const double d2 = std::copysign(std::sqrt(radicand), b - a);
  return b - (b - a) * (db + d2 - d1) / (db - da + 2.0 * d2);
}

// A step along `d` from x meeting the strong Wolfe conditions (Nocedal and Wright's algorithms 3.5 and
// 3.6, in one loop): [lo, hi] brackets acceptable steps once `bracketed`, lo being the best step of
// sufficient decrease so far. A non-finite loss counts as too long a step. When the evaluations run out,
// the best step of sufficient decrease is taken, if there is one. Returns whether a step was found;
// x_new, f_new and g_new then hold it.
template <class Objective>
bool line_search(Objective& objective, const Doubles& x, double f, const Doubles& g, const Doubles& d, double step,
                 int max_evaluations, Doubles& x_new, double& f_new, Doubles& g_new, Doubles& g_lo) {
  const double slope0 = g.dot(d);
  double lo = 0, f_lo = f, slope_lo = slope0;
  double hi = 0, f_hi = 0, slope_hi = 0;
  bool bracketed = false, hi_finite = false;
  double a = step;
  for (int k = 0; k < max_evaluations; ++k) {
    x_new.noalias() = x + a * d;
    const double fa = objective.evaluate(x_new, g_new);
    const double slope = g_new.dot(d);
    const bool finite = std::isfinite(fa) && std::isfinite(slope);
    if (!finite || fa > f + kSufficientDecrease * a * slope0 || (lo > 0 && fa >= f_lo)) {
      hi = a, f_hi = fa, slope_hi = slope, hi_finite = finite, bracketed = true;
    } else {
      if (std::abs(slope) <= -kCurvature * slope0) {
        f_new = fa;
        return true;
      }
      // The minimum lies between a and lo when the slope at a points back towards lo.
      const double towards_hi = bracketed ? hi - a : 1.0;
      if (slope * towards_hi >= 0) hi = lo, f_hi = f_lo, slope_hi = slope_lo, hi_finite = true, bracketed = true;
      lo = a, f_lo = fa, slope_lo = slope;
      g_lo = g_new;
    }
    if (!bracketed) {
      a = std::min(4.0 * a, kMaxStep);  // still going down: a longer step
      continue;
    }
    const double width = std::abs(hi - lo);
    if (width <= 1e-14 * std::max(1.0, std::abs(lo))) break;
    const double low = std::min(lo, hi) + 0.1 * width, high = std::max(lo, hi) - 0.1 * width;
    a = hi_finite ? cubic_minimizer(lo, f_lo, slope_lo, hi, f_hi, slope_hi) : std::numeric_limits<double>::quiet_NaN();
    if (!(a >= low && a <= high)) a = 0.5 * (lo + hi);  // no safe cubic step: bisect
  }
  if (lo <= 0) return false;
  x_new.noalias() = x + lo * d;
  f_new = f_lo;
  g_new = g_lo;
  return true;
}

}  // namespace

template <class Scalar>
LbfgsResult minimize_lbfgs(ModelOf<Scalar>& model, const DatasetOf<Scalar>& data, const LbfgsOptions& options,
                           const LbfgsCallback& on_iteration) {
  if (options.max_iter < 0 || options.max_fun < 1 || options.history < 1 || options.max_line_search < 1 ||
      !(options.gtol >= 0) || !(options.ftol >= 0) || !std::isfinite(options.scale) || !(options.scale > 0) ||
      !std::isfinite(options.offset))
    throw std::invalid_argument("minimize_lbfgs: max_iter must be >= 0, max_fun, history and max_line_search >= 1, "
                                "gtol and ftol >= 0, scale positive and offset finite");
  const typename ModelOf<Scalar>::StructureHold hold = model.hold_structure();
  FullBatchLoss<Scalar> objective(model, data, options.scale, options.offset);
  const Index n = objective.size();
  const int m = options.history;
  Doubles x(n), g(n), x_new(n), g_new(n), g_lo(n), d(n), rho(m), alpha(m);
  Eigen::MatrixXd steps(n, m), changes(n, m);  // the last m steps s = x_new - x and y = g_new - g, as columns
  LbfgsResult result;
  result.losses.reserve(static_cast<size_t>(std::min(options.max_iter, 100000)));
  objective.read(x);
  double f = objective.evaluate(x, g);
  auto finish = [&](int status, const char* message) {
    objective.write(x);  // the model holds the last iterate, whatever the last evaluation tried
    result.status = status;
    result.message = message;
    result.loss = f;
    result.evaluations = objective.evaluations();
    return result;
  };
  if (!std::isfinite(f) || !g.allFinite()) return finish(2, "ABNORMAL: THE LOSS IS NOT FINITE AT THE STARTING POINT");
  if (g.lpNorm<Eigen::Infinity>() <= options.gtol) return finish(0, "CONVERGENCE: NORM OF PROJECTED GRADIENT <= PGTOL");
  if (options.max_iter == 0) return finish(1, "STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT");
  int stored = 0, newest = -1;
  // Throwing out of an iteration (the callback, an allocation) leaves the model at the last iterate, not
  // at a trial step of the line search.
  try {
    while (true) {
      // d = -H g by the two-loop recursion, H0 = (s.y / y.y) I from the newest pair.
      d = -g;
      for (int k = 0, j = newest; k < stored; ++k, j = (j + m - 1) % m) {
        alpha[j] = rho[j] * steps.col(j).dot(d);
        d.noalias() -= alpha[j] * changes.col(j);
      }
      if (stored > 0) d *= 1.0 / (rho[newest] * changes.col(newest).squaredNorm());
      for (int k = 0, j = (newest - stored + 1 + m) % m; k < stored; ++k, j = (j + 1) % m) {
        const double beta = rho[j] * changes.col(j).dot(d);
        d.noalias() += (alpha[j] - beta) * steps.col(j);
      }
      if (!(g.dot(d) < 0)) stored = 0, d = -g;  // not a descent direction: start again from the gradient
      // L-BFGS-B's first step without curvature pairs has unit length; later ones try the full step.
      const double step = stored == 0 ? std::min(1.0 / d.norm(), kMaxStep) : 1.0;
      double f_new = f;
      if (!line_search(objective, x, f, g, d, step, options.max_line_search, x_new, f_new, g_new, g_lo)) {
        if (stored > 0) {  // as L-BFGS-B: forget the curvature pairs and try the gradient's direction
          stored = 0;
          continue;
        }
        return finish(2, "ABNORMAL_TERMINATION_IN_LNSRCH");
      }
      ++result.iterations;
      // A pair is kept only where it keeps H positive definite (L-BFGS-B's test); it then replaces the oldest.
      const double sy = (x_new - x).dot(g_new - g);
      if (sy > std::numeric_limits<double>::epsilon() * (g_new - g).squaredNorm()) {
        const int next = (newest + 1) % m;
        steps.col(next) = x_new - x;
        changes.col(next) = g_new - g;
        rho[next] = 1.0 / sy;
        newest = next;
        stored = std::min(stored + 1, m);
      }
      const double f_old = f;
      x.swap(x_new);
      g.swap(g_new);
      f = f_new;
      result.losses.push_back(f);
      if (on_iteration && on_iteration(result.iterations, f)) return finish(1, "STOP: CALLBACK REQUESTED HALT");
      // The limits first, then convergence: SciPy's driver checks them when L-BFGS-B reports the new
      // iterate, before L-BFGS-B's own convergence test runs on it.
      if (result.iterations >= options.max_iter) return finish(1, "STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT");
      if (objective.evaluations() > options.max_fun)
        return finish(1, "STOP: TOTAL NO. OF F,G EVALUATIONS EXCEEDS LIMIT");
      if (g.lpNorm<Eigen::Infinity>() <= options.gtol)
        return finish(0, "CONVERGENCE: NORM OF PROJECTED GRADIENT <= PGTOL");
      if (f_old - f <= options.ftol * std::max({std::abs(f_old), std::abs(f), 1.0}))
        return finish(0, "CONVERGENCE: RELATIVE REDUCTION OF F <= FACTR*EPSMCH");
    }
  } catch (...) {
    objective.write(x);
    throw;
  }
}

template LbfgsResult minimize_lbfgs<float>(ModelOf<float>&, const DatasetOf<float>&, const LbfgsOptions&,
                                           const LbfgsCallback&);
template LbfgsResult minimize_lbfgs<double>(ModelOf<double>&, const DatasetOf<double>&, const LbfgsOptions&,
                                            const LbfgsCallback&);

}  // namespace fastmlp
