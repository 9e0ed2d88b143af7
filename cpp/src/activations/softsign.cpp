// softsign: z / (1 + |z|).
#include "simple.hpp"

namespace fastmlp {
namespace {

class Softsign : public ParameterlessActivation<Softsign> {
 public:
  static constexpr const char* kClassName = "softsign";
  using ParameterlessActivation::ParameterlessActivation;

 protected:
  void apply_rows(MatrixMap values) const override {
    auto z = values.array();
    z = z / (1 + z.abs());
  }
  void backward_rows(ConstMatrixMap, ConstMatrixMap a, ConstMatrixMap g, MatrixMap dz) const override {
    dz.array() = g.array() * (1 - a.array().abs()).square();  // 1/(1+|z|)² = (1 - |A|)²
  }
};

FASTMLP_REGISTER(Softsign);

}  // namespace
}  // namespace fastmlp
