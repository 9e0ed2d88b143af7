// linear: the identity, f(z) = z.
#include "simple.hpp"

namespace fastmlp {
namespace {

class Linear : public ParameterlessActivation<Linear> {
 public:
  static constexpr const char* kClassName = "linear";
  using ParameterlessActivation::ParameterlessActivation;
  bool is_linear() const override { return true; }

 protected:
  void apply_rows(MatrixMap) const override {}
  void backward_rows(ConstMatrixMap, ConstMatrixMap, ConstMatrixMap g, MatrixMap dz) const override { dz = g; }
};

FASTMLP_REGISTER(Linear);

}  // namespace
}  // namespace fastmlp
