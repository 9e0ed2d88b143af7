// softsign: z / (1 + |z|).
#include "simple.hpp"

namespace fastmlp {
namespace {

class Softsign : public ParameterlessActivation<Softsign> {
 public:
  static constexpr const char* kClassName = "softsign";
  using ParameterlessActivation::ParameterlessActivation;

 protected:
  void apply_rows(MatrixMapOf<Scalar> values) const override {
    auto z = values.array();
    z = z / (1 + z.abs());
  }
  void backward_rows(ConstMatrixMapOf<Scalar>, ConstMatrixMapOf<Scalar> a, ConstMatrixMapOf<Scalar> g, MatrixMapOf<Scalar> dz) const override {
    dz.array() = g.array() * (1 - a.array().abs()).square();  // 1/(1+|z|)² = (1 - |A|)²
  }
};

FASTMLP_REGISTER(Softsign);

}  // namespace
}  // namespace fastmlp
