// log_softmax: z - log Σ e^z over each row (the features of a sample; Keras's axis=-1).
#include "simple.hpp"

namespace fastmlp {
namespace {

struct LogSoftmaxOptions {
  std::int64_t axis = -1;

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("axis", self.axis);
  }
};

class LogSoftmax : public Described<LogSoftmax, Activation, LogSoftmaxOptions> {
 public:
  static constexpr const char* kClassName = "log_softmax";

  explicit LogSoftmax(const Options& options = {}) : Described(options) {
    // Dense outputs are (samples, features): the features are axis -1 (or 1) and nothing else.
    if (options.axis != -1 && options.axis != 1)
      throw std::invalid_argument("log_softmax axis must be -1 (the features of a dense layer's output), got " +
                                  std::to_string(options.axis));
  }

 protected:
  void apply_rows(MatrixMap values) const override {
    // Subtracting the row maximum keeps exp() from overflowing and changes nothing.
    for (Index r = 0; r < values.rows(); ++r) {
      auto row = values.row(r).array();
      row -= row.maxCoeff();
      row -= std::log(row.exp().sum());
    }
  }
  void backward_rows(ConstMatrixMap, ConstMatrixMap a, ConstMatrixMap g, MatrixMap dz) const override {
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
