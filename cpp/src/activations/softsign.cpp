// softsign: z / (1 + |z|).
#include "simple.hpp"

namespace fastmlp {
namespace {

class Softsign : public ParameterlessActivation<Softsign> {
 public:
  static constexpr const char* kClassName = "softsign";
  using ParameterlessActivation::ParameterlessActivation;

  template <class Scalar>
  void apply_rows_of(MatrixMapOf<Scalar> values) const {
    auto z = values.array();
    z = z / (1 + z.abs());
  }
  template <class Scalar>
  void backward_rows_of(ConstMatrixMapOf<Scalar>, ConstMatrixMapOf<Scalar> a, ConstMatrixMapOf<Scalar> g,
                        MatrixMapOf<Scalar> dz) const {
    dz.array() = g.array() * (1 - a.array().abs()).square();  // 1/(1+|z|)² = (1 - |A|)²
  }
};

FASTMLP_REGISTER(Softsign);

}  // namespace
}  // namespace fastmlp
