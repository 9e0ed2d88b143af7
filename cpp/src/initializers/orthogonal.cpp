// Orthogonal(gain): a (semi-)orthogonal matrix, from the QR decomposition of a normal sample, times gain.
#include <Eigen/QR>

#include "random.hpp"

namespace fastmlp {
namespace {

struct OrthogonalOptions : SeedOption {
  double gain = 1.0;

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("gain", self.gain);
    SeedOption::fields(self, visit);
  }
};

class Orthogonal : public SeededInitializer<Orthogonal, OrthogonalOptions> {
 public:
  static constexpr const char* kClassName = "Orthogonal";
  explicit Orthogonal(const Options& options = {}) : SeededInitializer(options) {
    if (!std::isfinite(options.gain))
      throw std::invalid_argument("Orthogonal gain must be finite, got " + std::to_string(options.gain));
  }

 public:
  template <class Scalar>
  void draw_of(RowMatrixOf<Scalar>& values, Index, Index, Rng& rng) const {
    const Index rows = values.rows(), cols = values.cols();
    const Index tall = std::max(rows, cols), narrow = std::min(rows, cols);
    Eigen::MatrixXd sample(tall, narrow);
    std::normal_distribution<double> normal(0.0, 1.0);
    for (Index i = 0; i < sample.size(); ++i) sample.data()[i] = normal(rng);
    const Eigen::HouseholderQR<Eigen::MatrixXd> qr(sample);
    Eigen::MatrixXd q = qr.householderQ() * Eigen::MatrixXd::Identity(tall, narrow);
    // Scaling each column by the sign of R's diagonal makes the decomposition unique, so that Q is
    // uniformly distributed over the orthogonal matrices.
    const Eigen::VectorXd sign = qr.matrixQR().diagonal().cwiseSign();
    q = q * sign.asDiagonal();
    if (rows < cols) q.transposeInPlace();
    values = (options_.gain * q).cast<Scalar>();
  }
};

FASTMLP_REGISTER(Orthogonal, "orthogonal");

}  // namespace
}  // namespace fastmlp
