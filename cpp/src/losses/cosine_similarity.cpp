// CosineSimilarity: -Σ ŷ p̂ per sample with ŷ, p̂ the rows scaled to unit length: -1 when aligned.
#include "loss_math.hpp"

namespace fastmlp {
namespace {

// Keras's l2_normalize: x / sqrt(max(Σx², 1e-12)).
template <class Scalar>
Scalar inverse_norm(Scalar squared_norm) { return 1 / std::sqrt(std::max(squared_norm, Scalar(1e-12))); }

struct CosineSimilarityOptions {
  std::int64_t axis = -1;

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("axis", self.axis);
  }
};

class CosineSimilarity : public Described<CosineSimilarity, LossImpl<CosineSimilarity>, CosineSimilarityOptions> {
 public:
  static constexpr const char* kClassName = "CosineSimilarity";
  explicit CosineSimilarity(const Options& options = {}) : Described(options) {
    require_feature_axis(options.axis, kClassName);
  }

  template <class Scalar>
  void per_sample_of(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true, VectorRefOf<Scalar> out) const {
    for (Index r = 0; r < y_pred.rows(); ++r)
      out(r) = -y_true.row(r).dot(y_pred.row(r)) * inverse_norm(y_true.row(r).squaredNorm()) *
               inverse_norm(y_pred.row(r).squaredNorm());
  }

  template <class Scalar>
  void gradient_of(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true, MatrixMapOf<Scalar> grad) const {
    const Scalar inv_n = inverse<Scalar>(y_pred.rows());
    for (Index r = 0; r < y_pred.rows(); ++r) {
      const Scalar inv_p = inverse_norm(y_pred.row(r).squaredNorm());
      const Scalar inv_y = inverse_norm(y_true.row(r).squaredNorm());
      const Scalar cosine = y_true.row(r).dot(y_pred.row(r)) * inv_p * inv_y;
      // d/dp (-ŷ·p/|p|) = -(ŷ - cos p̂) / |p|
      grad.row(r) = -inv_n * inv_p * (y_true.row(r) * inv_y - cosine * inv_p * y_pred.row(r));
    }
  }
};

FASTMLP_REGISTER(CosineSimilarity, "cosine_similarity");

}  // namespace
}  // namespace fastmlp
