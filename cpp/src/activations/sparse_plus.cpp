// sparse_plus: 0 for z <= -1, (z + 1)² / 4 for -1 < z < 1, z for z >= 1.
#include "simple.hpp"

namespace fastmlp {
namespace {

class SparsePlus : public ParameterlessActivation<SparsePlus> {
 public:
  static constexpr const char* kClassName = "sparse_plus";
  using ParameterlessActivation::ParameterlessActivation;
  bool needs_preactivation() const override { return true; }

 protected:
  void apply_rows(MatrixMapOf<Scalar> values) const override {
    auto z = values.array();
    z = (z <= -1).select(Scalar(0), (z >= 1).select(z, (z + 1).square() / 4));
  }
  void backward_rows(ConstMatrixMapOf<Scalar> input, ConstMatrixMapOf<Scalar>, ConstMatrixMapOf<Scalar> g, MatrixMapOf<Scalar> dz) const override {
    const auto z = input.array();
    dz.array() = g.array() * (z <= -1).select(Scalar(0), (z >= 1).select(Scalar(1), (z + 1) / 2));
  }
};

FASTMLP_REGISTER(SparsePlus);

}  // namespace
}  // namespace fastmlp
