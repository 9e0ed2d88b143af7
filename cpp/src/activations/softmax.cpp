// softmax: e^z / Σ e^z over each row (the features of a sample; Keras's axis=-1).
#include "feature_axis.hpp"

namespace fastmlp {
namespace {

class Softmax : public Described<Softmax, ActivationImpl<Softmax>, FeatureAxisOptions> {
 public:
  static constexpr const char* kClassName = "softmax";

  explicit Softmax(const Options& options = {}) : Described(options) { check_feature_axis(kClassName, options.axis); }

  template <class Scalar>
  void apply_rows_of(MatrixMapOf<Scalar> values) const {
    // Subtracting the row maximum leaves softmax unchanged and keeps exp() from overflowing.
    for (Index r = 0; r < values.rows(); ++r) {
      auto row = values.row(r).array();
      row = (row - row.maxCoeff()).exp();
      row /= row.sum();
    }
  }
  template <class Scalar>
  void backward_rows_of(ConstMatrixMapOf<Scalar>, ConstMatrixMapOf<Scalar> a, ConstMatrixMapOf<Scalar> g,
                        MatrixMapOf<Scalar> dz) const {
    // dZ = A ∘ (dA - rowsum(dA ∘ A)): the softmax Jacobian applied row by row.
    for (Index r = 0; r < a.rows(); ++r) {
      const Scalar dot = a.row(r).dot(g.row(r));
      dz.row(r).array() = a.row(r).array() * (g.row(r).array() - dot);
    }
  }
};

FASTMLP_REGISTER(Softmax);

}  // namespace
}  // namespace fastmlp
