// SparseCategoricalCrossentropy: -log q[label] with integer class labels (one column) instead of
// one-hot rows; from_logits folds in a log-softmax.
#include <optional>

#include "loss_math.hpp"

namespace fastmlp {
namespace {

struct SparseCategoricalCrossentropyOptions {
  bool from_logits = false;
  std::optional<std::int64_t> ignore_class;  // Keras's option; only None is supported

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("from_logits", self.from_logits);
    visit("ignore_class", self.ignore_class);
  }
};

class SparseCategoricalCrossentropy
    : public Described<SparseCategoricalCrossentropy, LossImpl<SparseCategoricalCrossentropy>,
                       SparseCategoricalCrossentropyOptions> {
 public:
  static constexpr const char* kClassName = "SparseCategoricalCrossentropy";

  explicit SparseCategoricalCrossentropy(const Options& options = {}) : Described(options) {
    if (options.ignore_class)
      throw std::invalid_argument("SparseCategoricalCrossentropy ignore_class is not supported; leave it None "
                                  "(give the samples to ignore a sample weight of 0 instead)");
  }

  template <class Scalar>
  void per_sample_of(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true, VectorRefOf<Scalar> out) const {
    for (Index r = 0; r < y_pred.rows(); ++r) {
      const Index label = sparse_label(y_true, r, y_pred.cols());
      out(r) = options_.from_logits ? -log_softmax(y_pred.row(r))(label)
                                    : -std::log(clip_probability(y_pred(r, label) / y_pred.row(r).sum()));
    }
  }

  template <class Scalar>
  void gradient_of(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true, MatrixMapOf<Scalar> grad) const {
    const Scalar inv_n = inverse<Scalar>(y_pred.rows());
    for (Index r = 0; r < y_pred.rows(); ++r) {
      const Index label = sparse_label(y_true, r, y_pred.cols());
      if (options_.from_logits) {
        grad.row(r).array() = inv_n * log_softmax(y_pred.row(r)).exp();  // (softmax(z) - onehot) / n
        grad(r, label) -= inv_n;
      } else {
        const Scalar s = y_pred.row(r).sum();
        grad.row(r).setConstant(inv_n / s);  // the Σy / S term, with Σy = 1
        grad(r, label) -= inv_n / (clip_probability(y_pred(r, label) / s) * s);
      }
    }
  }

  bool fuses_with(const Activation& activation) const override {
    return !options_.from_logits && activation.class_name() == "softmax";
  }

  template <class Scalar>
  void gradient_preactivation_of(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true,
                                 MatrixMapOf<Scalar> grad) const {
    const Scalar inv_n = inverse<Scalar>(y_pred.rows());
    grad = inv_n * y_pred;  // dL/dz = (p - onehot(label)) / n
    for (Index r = 0; r < y_pred.rows(); ++r) grad(r, sparse_label(y_true, r, y_pred.cols())) -= inv_n;
  }

  Index target_columns(Index /*output_units*/) const override { return 1; }

  template <class Scalar>
  void check_targets_of(ConstMatrixMapOf<Scalar> y_true, Index output_units) const {
    Loss::check_targets_of(y_true, output_units);
    for (Index r = 0; r < y_true.rows(); ++r) sparse_label(y_true, r, output_units);
  }
};

FASTMLP_REGISTER(SparseCategoricalCrossentropy, "sparse_categorical_crossentropy");

}  // namespace
}  // namespace fastmlp
