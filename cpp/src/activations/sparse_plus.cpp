// sparse_plus: 0 for z <= -1, (z + 1)² / 4 for -1 < z < 1, z for z >= 1.
#include "simple.hpp"

namespace fastmlp {
namespace {

class SparsePlus : public ParameterlessActivation<SparsePlus> {
 public:
  static constexpr const char* kClassName = "sparse_plus";
  using ParameterlessActivation::ParameterlessActivation;
  bool needs_preactivation() const override { return true; }

  template <class Scalar>
  void apply_rows_of(MatrixMapOf<Scalar> values) const {
    auto z = values.array();
    z = (z <= -1).select(Scalar(0), (z >= 1).select(z, (z + 1).square() / 4));
  }
  template <class Scalar>
  void backward_rows_of(ConstMatrixMapOf<Scalar> input, ConstMatrixMapOf<Scalar>, ConstMatrixMapOf<Scalar> g,
                        MatrixMapOf<Scalar> dz) const {
    const auto z = input.array();
    dz.array() = g.array() * (z <= -1).select(Scalar(0), (z >= 1).select(Scalar(1), (z + 1) / 2));
  }
};

FASTMLP_REGISTER(SparsePlus);

}  // namespace
}  // namespace fastmlp
