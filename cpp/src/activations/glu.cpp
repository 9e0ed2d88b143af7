// glu (Dauphin et al., 2017; Keras's glu(x, axis=-1)): each row z split into halves [a, b], gives
// a ∘ σ(b). The one activation that changes the width: its output has half its input's features.
#include <stdexcept>

#include "feature_axis.hpp"

namespace fastmlp {
namespace {

class Glu : public Described<Glu, ActivationImpl<Glu>, FeatureAxisOptions> {
 public:
  static constexpr const char* kClassName = "glu";

  explicit Glu(const Options& options = {}) : Described(options) { check_feature_axis(kClassName, options.axis); }

  bool needs_preactivation() const override { return true; }  // backward needs both halves of Z
  Index inputs_per_output() const override { return 2; }

  template <class Scalar>
  void apply_rows_of(MatrixMapOf<Scalar>) const {
    // Unreachable: Activation::apply(values) refuses an activation that does not keep the width.
    throw std::logic_error("glu halves the width and runs out of place only");
  }
  template <class Scalar>
  void backward_rows_of(ConstMatrixMapOf<Scalar> z, ConstMatrixMapOf<Scalar> a, ConstMatrixMapOf<Scalar> g,
                        MatrixMapOf<Scalar> dz) const {
    const Index half = a.cols();
    const auto gate = z.rightCols(half).array().logistic();
    dz.leftCols(half).array() = g.array() * gate;                                              // d(a σ(b))/da = σ(b)
    dz.rightCols(half).array() = g.array() * z.leftCols(half).array() * gate * (1 - gate);  // d/db = a σ(b)(1 - σ(b))
  }

 protected:
  void apply_rows_into(ConstMatrixMapOf<float> z, MatrixMapOf<float> a) const override { apply_rows_into_of(z, a); }
  void apply_rows_into(ConstMatrixMapOf<double> z, MatrixMapOf<double> a) const override { apply_rows_into_of(z, a); }

 private:
  template <class Scalar>
  void apply_rows_into_of(ConstMatrixMapOf<Scalar> z, MatrixMapOf<Scalar> a) const {
    const Index half = a.cols();  // z: (rows, 2 half), a: (rows, half)
    a.array() = z.leftCols(half).array() * z.rightCols(half).array().logistic();
  }
};

FASTMLP_REGISTER(Glu);

}  // namespace
}  // namespace fastmlp
