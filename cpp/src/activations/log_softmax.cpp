// log_softmax: z - log Σ e^z over each row (the features of a sample; Keras's axis=-1).
#include "feature_axis.hpp"

namespace fastmlp {
namespace {

class LogSoftmax : public Described<LogSoftmax, ActivationImpl<LogSoftmax>, FeatureAxisOptions> {
 public:
  static constexpr const char* kClassName = "log_softmax";

  explicit LogSoftmax(const Options& options = {}) : Described(options) {
    check_feature_axis(kClassName, options.axis);
  }

  template <class Scalar>
  void apply_rows_of(MatrixMapOf<Scalar> values) const {
    // Subtracting the row maximum keeps exp() from overflowing and changes nothing.
    for (Index r = 0; r < values.rows(); ++r) {
      auto row = values.row(r).array();
      row -= row.maxCoeff();
      row -= std::log(row.exp().sum());
    }
  }
  template <class Scalar>
  void backward_rows_of(ConstMatrixMapOf<Scalar>, ConstMatrixMapOf<Scalar> a, ConstMatrixMapOf<Scalar> g,
                        MatrixMapOf<Scalar> dz) const {
    // dZ = dA - softmax(Z) rowsum(dA), softmax(Z) = e^A.
    for (Index r = 0; r < a.rows(); ++r) {
      const Scalar total = g.row(r).sum();
      dz.row(r).array() = g.row(r).array() - a.row(r).array().exp() * total;
    }
  }
};

FASTMLP_REGISTER(LogSoftmax);

}  // namespace
}  // namespace fastmlp
