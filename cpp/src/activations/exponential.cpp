// exponential: e^z.
#include "simple.hpp"

namespace fastmlp {
namespace {

class Exponential : public ParameterlessActivation<Exponential> {
 public:
  static constexpr const char* kClassName = "exponential";
  using ParameterlessActivation::ParameterlessActivation;

 protected:
  void apply_rows(MatrixMap values) const override { values.array() = values.array().exp(); }
  void backward_rows(ConstMatrixMap, ConstMatrixMap a, ConstMatrixMap g, MatrixMap dz) const override {
    dz.array() = g.array() * a.array();
  }
};

FASTMLP_REGISTER(Exponential);

}  // namespace
}  // namespace fastmlp
