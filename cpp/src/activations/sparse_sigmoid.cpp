// sparse_sigmoid: (z + 1) / 2 clipped to [0, 1], Keras 3's definition.
#include "simple.hpp"

namespace fastmlp {
namespace {

class SparseSigmoid : public ParameterlessActivation<SparseSigmoid> {
 public:
  static constexpr const char* kClassName = "sparse_sigmoid";
  using ParameterlessActivation::ParameterlessActivation;
  bool needs_preactivation() const override { return true; }

  template <class Scalar>
  void apply_rows_of(MatrixMapOf<Scalar> values) const {
    auto z = values.array();
    z = ((z + 1) / 2).max(Scalar(0)).min(Scalar(1));
  }
  template <class Scalar>
  void backward_rows_of(ConstMatrixMapOf<Scalar> input, ConstMatrixMapOf<Scalar>, ConstMatrixMapOf<Scalar> g,
                        MatrixMapOf<Scalar> dz) const {
    const auto z = input.array();
    dz.array() = (z > -1 && z < 1).select(g.array() / 2, Scalar(0));
  }
};

FASTMLP_REGISTER(SparseSigmoid);

}  // namespace
}  // namespace fastmlp
