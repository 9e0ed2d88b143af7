// matmul: (..., m, k) @ (..., k, n) -> (..., m, n), the leading axes broadcast as NumPy's matmul
// (fastmlp.ops turns 1-D operands into matrices first). dA = dC Bᵀ, dB = Aᵀ dC, summed over the
// broadcast axes. The products run on the same kernel as Dense (gemm.hpp).
#include <algorithm>

#include "fastmlp/gemm.hpp"
#include "fastmlp/graph/primitive.hpp"
#include "walk.hpp"

namespace fastmlp::graph {
namespace {

template <class Scalar>
class Matmul : public PrimitiveOf<Scalar> {
 public:
  explicit Matmul(const Config& attrs) { Attributes(attrs, "matmul").done(); }

  Dims output_shape(const std::vector<Dims>& inputs) const override {
    expect_inputs(inputs, 2, "matmul");
    const Dims &a = inputs[0], &b = inputs[1];
    if (a.rank < 2 || b.rank < 2) throw std::invalid_argument("matmul: operands need two axes or more");
    if (a.d[a.rank - 1] != b.d[b.rank - 2])
      throw std::invalid_argument("matmul: shapes " + a.str() + " and " + b.str() + " do not fit (" +
                                  std::to_string(a.d[a.rank - 1]) + " vs " + std::to_string(b.d[b.rank - 2]) + ")");
    if (b.d[b.rank - 2] < 0 || b.d[b.rank - 1] < 0 || a.d[a.rank - 1] < 0)
      throw std::invalid_argument("matmul: the batch axis can only be a row axis of the first operand");
    Dims lead = leading(a, b), out = lead;
    out.d[out.rank++] = a.d[a.rank - 2];
    out.d[out.rank++] = b.d[b.rank - 1];
    return out;
  }

  // A product into scratch, then added into the gradient (the gradient buffers accumulate).
  Index scratch_size(const std::vector<Dims>& inputs, const Dims&) const override {
    return std::max(inputs[0].size(), inputs[1].size());
  }

  void forward(const ConstTensorOf<Scalar>* in, TensorOf<Scalar> out, Scalar*) const override {
    each_product(in, out.dims, [&](const Scalar* a, const Scalar* b, Index c_offset, Index m, Index k, Index n) {
      multiply<Scalar>(ConstMatrixMapOf<Scalar>(a, m, k), fastmlp::Op::Plain, ConstMatrixMapOf<Scalar>(b, k, n),
                       fastmlp::Op::Plain, MatrixMapOf<Scalar>(out.data + c_offset, m, n));
    });
  }

  void backward(const ConstTensorOf<Scalar>* in, ConstTensorOf<Scalar> out, ConstTensorOf<Scalar> grad_out,
                TensorOf<Scalar>* grads, Scalar* scratch) const override {
    each_product(in, out.dims, [&](const Scalar* a, const Scalar* b, Index c_offset, Index m, Index k, Index n) {
      const ConstMatrixMapOf<Scalar> dc(grad_out.data + c_offset, m, n);
      if (grads[0].data) {  // dA = dC Bᵀ
        MatrixMapOf<Scalar> product(scratch, m, k);
        multiply<Scalar>(dc, fastmlp::Op::Plain, ConstMatrixMapOf<Scalar>(b, k, n), fastmlp::Op::Transposed, product);
        MatrixMapOf<Scalar>(grads[0].data + (a - in[0].data), m, k) += product;
      }
      if (grads[1].data) {  // dB = Aᵀ dC
        MatrixMapOf<Scalar> product(scratch, k, n);
        multiply<Scalar>(ConstMatrixMapOf<Scalar>(a, m, k), fastmlp::Op::Transposed, dc, fastmlp::Op::Plain, product);
        MatrixMapOf<Scalar>(grads[1].data + (b - in[1].data), k, n) += product;
      }
    });
  }

 private:
  static Dims leading(const Dims& a, const Dims& b) {
    Dims la = a, lb = b;
    la.rank -= 2;
    lb.rank -= 2;
    return broadcast(la, lb, "matmul");
  }

  // Calls f(a, b, c_offset, m, k, n) for each matrix product. When B has no leading axes (x @ W, the
  // usual case) A's leading axes fold into its rows: one product for the whole batch.
  template <class F>
  static void each_product(const ConstTensorOf<Scalar>* in, const Dims& out, F&& f) {
    const Dims &a = in[0].dims, &b = in[1].dims;
    const Index m = a.d[a.rank - 2], k = a.d[a.rank - 1], n = b.d[b.rank - 1];
    if (b.rank == 2) {
      f(in[0].data, in[1].data, 0, a.size() / k, k, n);
      return;
    }
    Dims lead = out;
    lead.rank -= 2;
    Dims la = a, lb = b;
    la.rank -= 2;
    lb.rank -= 2;
    const std::array<std::array<Index, kMaxRank>, 2> strides{broadcast_strides(la, lead.rank),
                                                              broadcast_strides(lb, lead.rank)};
    walk(lead, strides, [&](Index o, const std::array<Index, 2>& at) {
      f(in[0].data + at[0] * m * k, in[1].data + at[1] * k * n, o * m * n, m, k, n);
    });
  }
};

}  // namespace

FASTMLP_PRIMITIVE(Matmul, "matmul");

}  // namespace fastmlp::graph
