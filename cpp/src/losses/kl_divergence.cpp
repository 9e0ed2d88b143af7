// KLDivergence: Σ y log(y / p) per sample, y and p clipped to [epsilon, 1].
#include "loss_math.hpp"

namespace fastmlp {
namespace {

class KLDivergence : public Described<KLDivergence, LossImpl<KLDivergence>, NoLossOptions> {
 public:
  static constexpr const char* kClassName = "KLDivergence";
  explicit KLDivergence(const Options& options = {}) : Described(options) {}

  template <class Scalar>
  void per_sample_of(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true, VectorRefOf<Scalar> out) const {
    const auto y = y_true.array().max(kEpsilonOf<Scalar>).min(Scalar(1));
    const auto p = y_pred.array().max(kEpsilonOf<Scalar>).min(Scalar(1));
    out = (y * (y / p).log()).rowwise().sum();
  }

  template <class Scalar>
  void gradient_of(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true, MatrixMapOf<Scalar> grad) const {
    const auto y = y_true.array().max(kEpsilonOf<Scalar>).min(Scalar(1));
    const auto p = y_pred.array();
    const auto inside = (p >= kEpsilonOf<Scalar>) && (p <= 1);  // the clip is flat outside [epsilon, 1]
    grad.array() = inside.select(-inverse<Scalar>(y_pred.rows()) * y / p.max(kEpsilonOf<Scalar>), Scalar(0));
  }
};

FASTMLP_REGISTER(KLDivergence, "kl_divergence", "kld", "KLD", "kullback_leibler_divergence");

}  // namespace
}  // namespace fastmlp
