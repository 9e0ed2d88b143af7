// sigmoid: 1 / (1 + e^-z).
#include "simple.hpp"

namespace fastmlp {
namespace {

class Sigmoid : public ParameterlessActivation<Sigmoid> {
 public:
  static constexpr const char* kClassName = "sigmoid";
  using ParameterlessActivation::ParameterlessActivation;

  template <class Scalar>
  void apply_rows_of(MatrixMapOf<Scalar> z) const { z.array() = z.array().logistic(); }
  template <class Scalar>
  void backward_rows_of(ConstMatrixMapOf<Scalar>, ConstMatrixMapOf<Scalar> a, ConstMatrixMapOf<Scalar> g,
                        MatrixMapOf<Scalar> dz) const {
    dz.array() = g.array() * a.array() * (1 - a.array());  // σ' = σ(1 - σ)
  }
};

FASTMLP_REGISTER(Sigmoid);

}  // namespace
}  // namespace fastmlp
