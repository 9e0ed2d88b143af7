// sigmoid: 1 / (1 + e^-z).
#include "simple.hpp"

namespace fastmlp {
namespace {

class Sigmoid : public ParameterlessActivation<Sigmoid> {
 public:
  static constexpr const char* kClassName = "sigmoid";
  using ParameterlessActivation::ParameterlessActivation;

 protected:
  void apply_rows(MatrixMap z) const override { z.array() = z.array().logistic(); }
  void backward_rows(ConstMatrixMap, ConstMatrixMap a, ConstMatrixMap g, MatrixMap dz) const override {
    dz.array() = g.array() * a.array() * (1 - a.array());  // σ' = σ(1 - σ)
  }
};

FASTMLP_REGISTER(Sigmoid);

}  // namespace
}  // namespace fastmlp
