// KLDivergence: Σ y log(y / p) per sample, y and p clipped to [epsilon, 1].
#include "loss_math.hpp"

namespace fastmlp {
namespace {

class KLDivergence : public Described<KLDivergence, Loss, NoLossOptions> {
 public:
  static constexpr const char* kClassName = "KLDivergence";
  explicit KLDivergence(const Options& options = {}) : Described(options) {}

  void per_sample(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true, VectorRefOf<Scalar> out) const override {
    const auto y = y_true.array().max(kEpsilon).min(Scalar(1));
    const auto p = y_pred.array().max(kEpsilon).min(Scalar(1));
    out = (y * (y / p).log()).rowwise().sum();
  }

  void gradient(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true, MatrixMapOf<Scalar> grad) const override {
    const auto y = y_true.array().max(kEpsilon).min(Scalar(1));
    const auto p = y_pred.array();
    const auto inside = (p >= kEpsilon) && (p <= 1);  // the clip is flat outside [epsilon, 1]
    grad.array() = inside.select(-inverse(y_pred.rows()) * y / p.max(kEpsilon), Scalar(0));
  }
};

FASTMLP_REGISTER(KLDivergence, "kl_divergence", "kld", "KLD", "kullback_leibler_divergence");

}  // namespace
}  // namespace fastmlp
