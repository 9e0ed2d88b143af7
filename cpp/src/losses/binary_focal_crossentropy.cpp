// BinaryFocalCrossentropy (Lin et al. 2017), as Keras computes it: for each output,
//   (1 - p_t)^gamma * bce(y, p),   p_t = y p + (1 - y)(1 - p),
// times y alpha + (1 - y)(1 - alpha) with apply_class_balancing, averaged over outputs. bce is the
// binary cross-entropy of p clipped to [1e-7, 1 - 1e-7]; with from_logits, p = sigmoid(output)
// first (and the same clipped formula, as Keras's). label_smoothing s trains on y (1 - s) + s / 2.
#include <cmath>

#include "loss_math.hpp"

namespace fastmlp {
namespace {

struct BinaryFocalCrossentropyOptions {
  bool apply_class_balancing = false;
  double alpha = 0.25;
  double gamma = 2.0;
  bool from_logits = false;
  double label_smoothing = 0.0;
  std::int64_t axis = -1;

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("apply_class_balancing", self.apply_class_balancing);
    visit("alpha", self.alpha);
    visit("gamma", self.gamma);
    visit("from_logits", self.from_logits);
    visit("label_smoothing", self.label_smoothing);
    visit("axis", self.axis);
  }
};

class BinaryFocalCrossentropy
    : public Described<BinaryFocalCrossentropy, LossImpl<BinaryFocalCrossentropy>, BinaryFocalCrossentropyOptions> {
 public:
  static constexpr const char* kClassName = "BinaryFocalCrossentropy";

  explicit BinaryFocalCrossentropy(const Options& options = {}) : Described(options) {
    require_label_smoothing(options.label_smoothing, kClassName);
    require_feature_axis(options.axis, kClassName);
    if (!(options.alpha >= 0 && options.alpha <= 1))
      throw std::invalid_argument("BinaryFocalCrossentropy alpha must be in [0, 1], got " + std::to_string(options.alpha));
    if (!(options.gamma >= 0 && std::isfinite(options.gamma)))
      throw std::invalid_argument("BinaryFocalCrossentropy gamma must be a finite number >= 0, got " +
                                  std::to_string(options.gamma));
  }

  template <class Scalar>
  void per_sample_of(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true, VectorRefOf<Scalar> out) const {
    const Index k = y_pred.cols();
    for (Index r = 0; r < y_pred.rows(); ++r) {
      double total = 0;
      for (Index c = 0; c < k; ++c) total += term(y_pred(r, c), y_true(r, c)).value;
      out(r) = static_cast<Scalar>(total / static_cast<double>(k));
    }
  }

  template <class Scalar>
  void gradient_of(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true, MatrixMapOf<Scalar> grad) const {
    const double scale = 1.0 / static_cast<double>(y_pred.size());  // the mean over outputs and samples
    for (Index r = 0; r < y_pred.rows(); ++r)
      for (Index c = 0; c < y_pred.cols(); ++c)
        grad(r, c) = static_cast<Scalar>(scale * term(y_pred(r, c), y_true(r, c)).derivative);
  }

  template <class Scalar>
  void check_targets_of(ConstMatrixMapOf<Scalar> y_true, Index output_units) const {
    Loss::check_targets_of(y_true, output_units);
    for (Index r = 0; r < y_true.rows(); ++r)
      for (Index c = 0; c < y_true.cols(); ++c)
        if (y_true(r, c) < 0 || y_true(r, c) > 1)
          throw std::invalid_argument("binary_focal_crossentropy targets must lie in [0, 1]; row " +
                                      std::to_string(r) + " holds " + number_text(y_true(r, c)));
  }

 private:
  struct Term {
    double value;       // the loss of one output
    double derivative;  // its derivative with respect to the network's output (p, or the logit)
  };

  // One output's loss and derivative, in double. Keras clips p inside the cross-entropy only, so
  // where p lies outside [epsilon, 1 - epsilon] the cross-entropy is flat (its derivative 0) while
  // the focal factor still sees p.
  Term term(double output, double target) const {
    const double s = options_.label_smoothing, gamma = options_.gamma, alpha = options_.alpha;
    const double y = target * (1 - s) + 0.5 * s;
    const double p = options_.from_logits ? 1 / (1 + std::exp(-output)) : output;
    const double eps = 1e-7;  // Keras's epsilon
    const double clipped = std::min(std::max(p, eps), 1 - eps);
    const double bce = -(y * std::log(clipped) + (1 - y) * std::log(1 - clipped));
    const double dbce = (p > eps && p < 1 - eps) ? (clipped - y) / (clipped * (1 - clipped)) : 0.0;
    const double miss = 1 - (y * p + (1 - y) * (1 - p));  // 1 - p_t
    const double focal = std::pow(miss, gamma);
    // d(1 - p_t)^gamma / dp = -gamma (1 - p_t)^(gamma - 1) (2y - 1); at 1 - p_t = 0 its limit is 0
    // for gamma > 1 and the factor's own slope for gamma = 1.
    double dfocal = 0;
    if (miss > 0)
      dfocal = -gamma * std::pow(miss, gamma - 1) * (2 * y - 1);
    else if (gamma == 1)
      dfocal = -(2 * y - 1);
    const double weight = options_.apply_class_balancing ? y * alpha + (1 - y) * (1 - alpha) : 1.0;
    double derivative = weight * (dfocal * bce + focal * dbce);
    if (options_.from_logits) derivative *= p * (1 - p);  // dp/dz of the sigmoid
    return {weight * focal * bce, derivative};
  }
};

FASTMLP_REGISTER(BinaryFocalCrossentropy, "binary_focal_crossentropy");

}  // namespace
}  // namespace fastmlp
