// activation: any registered activation (relu, gelu, softmax over the last axis, ...) as one
// primitive, computed by the same kernels as Dense's activation, so a traced layer and a built-in
// one agree to the last bit.
#include <algorithm>

#include "fastmlp/activation.hpp"
#include "fastmlp/graph/primitive.hpp"
#include "walk.hpp"

namespace fastmlp::graph {
namespace {

template <class Scalar>
class ActivationOp : public PrimitiveOf<Scalar> {
 public:
  explicit ActivationOp(const Config& attrs) {
    Attributes read(attrs, "activation");
    activation_ = Registry<Activation>::instance().deserialize(read.at("activation"), "activation");
    read.done();
  }
  Dims output_shape(const std::vector<Dims>& inputs) const override {
    expect_inputs(inputs, 1, "activation");
    Dims out = inputs[0];
    if (out.rank == 0) throw std::invalid_argument("activation: needs a tensor of at least one axis");
    if (out.d[out.rank - 1] < 0) throw std::invalid_argument("activation: the last axis cannot be the batch axis");
    out.d[out.rank - 1] = activation_->output_width(out.d[out.rank - 1]);
    return out;
  }
  // backward() overwrites its gradient, which the graph accumulates.
  Index scratch_size(const std::vector<Dims>& inputs, const Dims&) const override { return inputs[0].size(); }

  void forward(const ConstTensorOf<Scalar>* in, TensorOf<Scalar> out, Scalar*) const override {
    activation_->apply<Scalar>(rows_of(in[0]), MatrixMapOf<Scalar>(out.data, rows_of(in[0]).rows(), last(out.dims)));
  }
  void backward(const ConstTensorOf<Scalar>* in, ConstTensorOf<Scalar> out, ConstTensorOf<Scalar> grad_out,
                TensorOf<Scalar>* grads, Scalar* scratch) const override {
    if (grads[0].data == nullptr) return;
    const ConstMatrixMapOf<Scalar> x = rows_of(in[0]);
    const ConstMatrixMapOf<Scalar> y(out.data, x.rows(), last(out.dims)), g(grad_out.data, x.rows(), last(out.dims));
    MatrixMapOf<Scalar> dx(scratch, x.rows(), x.cols());
    activation_->backward<Scalar>(x, y, g, dx);
    MatrixMapOf<Scalar>(grads[0].data, x.rows(), x.cols()) += dx;
  }

 private:
  static Index last(const Dims& dims) { return dims.d[dims.rank - 1]; }
  static ConstMatrixMapOf<Scalar> rows_of(const ConstTensorOf<Scalar>& t) {
    return ConstMatrixMapOf<Scalar>(t.data, t.dims.size() / last(t.dims), last(t.dims));
  }

  std::shared_ptr<Activation> activation_;
};

}  // namespace

FASTMLP_PRIMITIVE(ActivationOp, "activation");

}  // namespace fastmlp::graph
