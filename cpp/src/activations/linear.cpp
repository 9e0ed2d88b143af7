// linear: the identity, f(z) = z.
#include "simple.hpp"

namespace fastmlp {
namespace {

class Linear : public ParameterlessActivation<Linear> {
 public:
  static constexpr const char* kClassName = "linear";
  using ParameterlessActivation::ParameterlessActivation;
  bool is_linear() const override { return true; }

  template <class Scalar>
  void apply_rows_of(MatrixMapOf<Scalar>) const {}
  template <class Scalar>
  void backward_rows_of(ConstMatrixMapOf<Scalar>, ConstMatrixMapOf<Scalar>, ConstMatrixMapOf<Scalar> g,
                        MatrixMapOf<Scalar> dz) const {
    dz = g;
  }
};

FASTMLP_REGISTER(Linear);

}  // namespace
}  // namespace fastmlp
