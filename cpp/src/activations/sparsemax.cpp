// sparsemax (Martins & Astudillo, 2016): the Euclidean projection of each row onto the probability
// simplex, max(z - tau, 0) with tau chosen so the row sums to 1. Unlike softmax it gives exact zeros.
#include <algorithm>
#include <functional>
#include <vector>

#include "feature_axis.hpp"

namespace fastmlp {
namespace {

class Sparsemax : public Described<Sparsemax, ActivationImpl<Sparsemax>, FeatureAxisOptions> {
 public:
  static constexpr const char* kClassName = "sparsemax";

  explicit Sparsemax(const Options& options = {}) : Described(options) { check_feature_axis(kClassName, options.axis); }

  template <class Scalar>
  void apply_rows_of(MatrixMapOf<Scalar> values) const {
    // The threshold needs the row sorted; apply_rows_of runs on a worker's block, so the sort buffer is
    // the worker's own (one per scalar type, this being a template) and grows only the first time a
    // width is seen.
    thread_local std::vector<Scalar> sorted;
    for (Index r = 0; r < values.rows(); ++r) {
      auto row = values.row(r);
      sorted.assign(row.data(), row.data() + row.size());
      std::sort(sorted.begin(), sorted.end(), std::greater<Scalar>());
      // The support is the largest k with 1 + k z_(k) > z_(1) + ... + z_(k); tau from its sum.
      double prefix = 0, support_sum = 0;
      Index support = 0;
      for (Index k = 0; k < static_cast<Index>(sorted.size()); ++k) {
        prefix += sorted[k];
        if (1.0 + static_cast<double>(k + 1) * sorted[k] > prefix) {
          support = k + 1;
          support_sum = prefix;
        }
      }
      const Scalar tau = static_cast<Scalar>((support_sum - 1.0) / static_cast<double>(support));
      row.array() = (row.array() - tau).max(Scalar(0));
    }
  }
  template <class Scalar>
  void backward_rows_of(ConstMatrixMapOf<Scalar>, ConstMatrixMapOf<Scalar> a, ConstMatrixMapOf<Scalar> g,
                        MatrixMapOf<Scalar> dz) const {
    // The Jacobian is diag(s) - s s^T / |S| for the support s (where A > 0): inside the support
    // dZ = dA - mean of dA over the support, outside it 0.
    for (Index r = 0; r < a.rows(); ++r) {
      const auto inside = (a.row(r).array() > Scalar(0)).template cast<Scalar>();
      const Scalar count = inside.sum();
      const Scalar mean = count > 0 ? (g.row(r).array() * inside).sum() / count : Scalar(0);
      dz.row(r).array() = inside * (g.row(r).array() - mean);
    }
  }
};

FASTMLP_REGISTER(Sparsemax);

}  // namespace
}  // namespace fastmlp
