// Pieces several losses share. Internal to the library.
#pragma once

#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "fastmlp/loss.hpp"

namespace fastmlp {

template <class Scalar>
inline Scalar clip_probability(Scalar p) {
  return std::min(std::max(p, kEpsilonOf<Scalar>), 1 - kEpsilonOf<Scalar>);
}

template <class Scalar>
inline Scalar inverse(Index count) { return Scalar(1) / static_cast<Scalar>(count); }

// log softmax of one row of logits, without overflow: z - max - log Σ e^(z - max).
template <class Row>
auto log_softmax(const Row& z) {
  const typename Row::Scalar top = z.maxCoeff();
  return (z.array() - top) - std::log((z.array() - top).exp().sum());
}

// A value as the user would write it: 3, 1.5, 1e+30, nan (std::to_string gives 1000000.000000).
inline std::string number_text(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", value);
  return text;
}

// The class of sample `row` for a loss of integer labels (one column), checked at every read: the
// kernels index y_pred and write the gradient with it, and y_true may be a view of memory that
// changed since it was validated (a callback or another thread rewriting labels during fit made the
// write land far past the row: SIGSEGV).
template <class Scalar>
Index sparse_label(ConstMatrixMapOf<Scalar> y_true, Index row, Index classes,
                   const char* loss = "sparse_categorical_crossentropy") {
  const Scalar label = y_true(row, 0);
  if (!(label >= 0 && label < static_cast<Scalar>(classes)) || label != std::floor(label))  // NaN fails too
    throw std::invalid_argument(std::string(loss) + " labels must be integers in [0, " + std::to_string(classes) +
                                "); row " + std::to_string(row) + " holds " + number_text(label));
  return static_cast<Index>(label);
}

inline void require_label_smoothing(double label_smoothing, const char* loss) {
  if (!(label_smoothing >= 0 && label_smoothing <= 1))
    throw std::invalid_argument(std::string(loss) + " label_smoothing must be in [0, 1], got " +
                                std::to_string(label_smoothing));
}

// The axis of a loss over a dense output: the features, -1 (or 1), and nothing else.
inline void require_feature_axis(std::int64_t axis, const char* loss) {
  if (axis != -1 && axis != 1)
    throw std::invalid_argument(std::string(loss) + " axis must be -1 (the outputs of a dense layer), got " +
                                std::to_string(axis));
}

// The options of the cross-entropies: Keras's from_logits and label_smoothing, and an axis.
struct CrossentropyOptions {
  bool from_logits = false;
  double label_smoothing = 0.0;
  std::int64_t axis = -1;

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("from_logits", self.from_logits);
    visit("label_smoothing", self.label_smoothing);
    visit("axis", self.axis);
  }
};

// The losses that are the mean over outputs of an elementwise f(p, y). Formula provides
// kClassName, Options, the templates value(p, y) and derivative(p, y) (df/dp), and
// kReadsLabelsAsSigns for the hinges, which read {0, 1} labels as {-1, 1}, deciding over the whole
// batch, as Keras does.
template <class Formula>
class ElementwiseLoss
    : public Described<ElementwiseLoss<Formula>, LossImpl<ElementwiseLoss<Formula>>, typename Formula::Options> {
  using Parent = Described<ElementwiseLoss<Formula>, LossImpl<ElementwiseLoss<Formula>>, typename Formula::Options>;

 public:
  static constexpr const char* kClassName = Formula::kClassName;
  explicit ElementwiseLoss(const typename Formula::Options& options = {}) : Parent(options), formula_(options) {}

  template <class Scalar>
  void per_sample_of(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true, VectorRefOf<Scalar> out) const {
    const Formula& f = formula_;
    out = y_pred.array()
              .binaryExpr(labels(y_true), [&f](Scalar p, Scalar y) { return f.value(p, y); })
              .rowwise()
              .mean();
  }

  template <class Scalar>
  void gradient_of(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true, MatrixMapOf<Scalar> grad) const {
    const Formula& f = formula_;
    grad.array() = inverse<Scalar>(y_pred.size()) *
                   y_pred.array().binaryExpr(labels(y_true), [&f](Scalar p, Scalar y) { return f.derivative(p, y); });
  }

 private:
  template <class Scalar>
  auto labels(ConstMatrixMapOf<Scalar> y_true) const {
    Scalar scale = 1;
    if constexpr (Formula::kReadsLabelsAsSigns)
      if (((y_true.array() == 0) || (y_true.array() == 1)).all()) scale = 2;
    return y_true.array() * scale - (scale == 2 ? Scalar(1) : Scalar(0));
  }

  Formula formula_;
};

// The options of a loss that has none.
using NoLossOptions = NoOptions;

}  // namespace fastmlp
