// CategoricalGeneralizedCrossEntropy (Zhang & Sabuncu 2018), as Keras computes it: (1 - p^q) / q
// with p the output of the true class, given as an integer label (one column, as
// SparseCategoricalCrossentropy's), and q in (0, 1): near 0 it behaves as cross-entropy, near 1 as
// the mean absolute error, which makes it robust to noisy labels.
#include <algorithm>
#include <cmath>

#include "loss_math.hpp"

namespace fastmlp {
namespace {

struct CategoricalGeneralizedCrossEntropyOptions {
  double q = 0.5;

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("q", self.q);
  }
};

class CategoricalGeneralizedCrossEntropy
    : public Described<CategoricalGeneralizedCrossEntropy, LossImpl<CategoricalGeneralizedCrossEntropy>,
                       CategoricalGeneralizedCrossEntropyOptions> {
 public:
  static constexpr const char* kClassName = "CategoricalGeneralizedCrossEntropy";
  static constexpr const char* kLabels = "categorical_generalized_cross_entropy";

  explicit CategoricalGeneralizedCrossEntropy(const Options& options = {}) : Described(options) {
    if (!(options.q > 0 && options.q < 1))
      throw std::invalid_argument("CategoricalGeneralizedCrossEntropy q must be in the interval (0, 1), got " +
                                  number_text(options.q));
  }

  template <class Scalar>
  void per_sample_of(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true, VectorRefOf<Scalar> out) const {
    const double q = options_.q;
    for (Index r = 0; r < y_pred.rows(); ++r) {
      const double p = y_pred(r, sparse_label(y_true, r, y_pred.cols(), kLabels));
      out(r) = static_cast<Scalar>((1 - std::pow(p, q)) / q);
    }
  }

  // d/dp of (1 - p^q) / q is -p^(q - 1), on the true class only. It grows without bound as p -> 0,
  // so p is taken at least epsilon there (a softmax output is never 0 but may round to it).
  template <class Scalar>
  void gradient_of(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true, MatrixMapOf<Scalar> grad) const {
    const double inv_n = 1.0 / static_cast<double>(y_pred.rows());
    grad.setZero();
    for (Index r = 0; r < y_pred.rows(); ++r) {
      const Index label = sparse_label(y_true, r, y_pred.cols(), kLabels);
      const double p = std::max(static_cast<double>(y_pred(r, label)), 1e-7);
      grad(r, label) = static_cast<Scalar>(-inv_n * std::pow(p, options_.q - 1));
    }
  }

  Index target_columns(Index /*output_units*/) const override { return 1; }

  template <class Scalar>
  void check_targets_of(ConstMatrixMapOf<Scalar> y_true, Index output_units) const {
    Loss::check_targets_of(y_true, output_units);
    for (Index r = 0; r < y_true.rows(); ++r) sparse_label(y_true, r, output_units, kLabels);
  }
};

FASTMLP_REGISTER(CategoricalGeneralizedCrossEntropy, "categorical_generalized_cross_entropy");

}  // namespace
}  // namespace fastmlp
