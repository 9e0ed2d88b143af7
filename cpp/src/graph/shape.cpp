// Primitives that move elements without computing: reshape, transpose, concatenate, slice,
// broadcast_to and take. Their gradients move the gradient back (summing where elements were copied
// more than once).
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "fastmlp/graph/primitive.hpp"
#include "walk.hpp"

namespace fastmlp::graph {
namespace {

// A shape's size as (symbolic dimensions, product of |d|): two shapes hold the same number of
// elements for every batch size when both agree.
std::pair<int, Index> symbolic_size(const Dims& dims) {
  int symbolic = 0;
  Index product = 1;
  for (int i = 0; i < dims.rank; ++i) {
    symbolic += dims.d[i] < 0;
    product *= dims.d[i] < 0 ? -dims.d[i] : dims.d[i];
  }
  return {symbolic, product};
}

Dims shape_attribute(Attributes& read, const char* key) { return Dims::of(read.integers(key), read.op()); }

template <class Scalar>
void add_into(Scalar* target, const Scalar* source, Index n) {
  for (Index i = 0; i < n; ++i) target[i] += source[i];
}

// ---- reshape: the same elements in the same order, another shape --------------------------------------
template <class Scalar>
class Reshape : public PrimitiveOf<Scalar> {
 public:
  explicit Reshape(const Config& attrs) {
    Attributes read(attrs, "reshape");
    shape_ = shape_attribute(read, "shape");
    read.done();
  }
  Dims output_shape(const std::vector<Dims>& inputs) const override {
    expect_inputs(inputs, 1, "reshape");
    const auto from = symbolic_size(inputs[0]), to = symbolic_size(shape_);
    if (from != to || from.first > 1)
      throw std::invalid_argument("reshape: cannot reshape a tensor of shape " + inputs[0].str() + " to " +
                                  shape_.str());
    return shape_;
  }
  void forward(const ConstTensorOf<Scalar>* in, TensorOf<Scalar> out, Scalar*) const override {
    std::copy(in[0].data, in[0].data + out.dims.size(), out.data);
  }
  void backward(const ConstTensorOf<Scalar>*, ConstTensorOf<Scalar> out, ConstTensorOf<Scalar> grad_out,
                TensorOf<Scalar>* grads, Scalar*) const override {
    if (grads[0].data) add_into(grads[0].data, grad_out.data, out.dims.size());
  }

 private:
  Dims shape_;
};

// ---- transpose: out[i_0, ..., i_r] = in[i_perm^-1 ...], NumPy's transpose(x, perm) -----------------------
template <class Scalar>
class Transpose : public PrimitiveOf<Scalar> {
 public:
  explicit Transpose(const Config& attrs) {
    Attributes read(attrs, "transpose");
    perm_ = read.integers("perm");
    read.done();
  }
  Dims output_shape(const std::vector<Dims>& inputs) const override {
    expect_inputs(inputs, 1, "transpose");
    const Dims& in = inputs[0];
    if (static_cast<int>(perm_.size()) != in.rank)
      throw std::invalid_argument("transpose: axes must list each of the " + std::to_string(in.rank) +
                                  " axes once, got " + std::to_string(perm_.size()));
    std::array<bool, kMaxRank> seen{};
    Dims out = in;
    for (int i = 0; i < in.rank; ++i) {
      const int axis = normalize_axis(perm_[i], in.rank, "transpose");
      if (seen[axis]) throw std::invalid_argument("transpose: axis " + std::to_string(perm_[i]) + " is repeated");
      seen[axis] = true;
      out.d[i] = in.d[axis];
    }
    return out;
  }
  void forward(const ConstTensorOf<Scalar>* in, TensorOf<Scalar> out, Scalar*) const override {
    walk(out.dims, strides(in[0].dims), [&](Index o, const std::array<Index, 1>& at) { out.data[o] = in[0].data[at[0]]; });
  }
  void backward(const ConstTensorOf<Scalar>* in, ConstTensorOf<Scalar> out, ConstTensorOf<Scalar> grad_out,
                TensorOf<Scalar>* grads, Scalar*) const override {
    if (grads[0].data == nullptr) return;
    walk(out.dims, strides(in[0].dims),
         [&](Index o, const std::array<Index, 1>& at) { grads[0].data[at[0]] += grad_out.data[o]; });
  }

 private:
  // Output axis i walks input axis perm[i].
  std::array<std::array<Index, kMaxRank>, 1> strides(const Dims& in) const {
    std::array<Index, kMaxRank> in_strides{};
    Index stride = 1;
    for (int axis = in.rank - 1; axis >= 0; --axis) {
      in_strides[axis] = stride;
      stride *= in.d[axis];
    }
    std::array<std::array<Index, kMaxRank>, 1> out{};
    for (int i = 0; i < in.rank; ++i) out[0][i] = in_strides[normalize_axis(perm_[i], in.rank, "transpose")];
    return out;
  }

  std::vector<Index> perm_;
};

// ---- concatenate along an axis ------------------------------------------------------------------------
template <class Scalar>
class Concatenate : public PrimitiveOf<Scalar> {
 public:
  explicit Concatenate(const Config& attrs) {
    Attributes read(attrs, "concatenate");
    axis_ = static_cast<Index>(read.number("axis"));
    read.done();
  }
  Dims output_shape(const std::vector<Dims>& inputs) const override {
    if (inputs.empty()) throw std::invalid_argument("concatenate needs at least one tensor");
    Dims out = inputs[0];
    const int axis = normalize_axis(axis_, out.rank, "concatenate");
    if (out.d[axis] < 0) throw std::invalid_argument("concatenate: cannot join tensors along the batch axis");
    for (size_t i = 1; i < inputs.size(); ++i) {
      Dims other = inputs[i];
      if (other.rank != out.rank || other.d[axis] < 0)
        throw std::invalid_argument("concatenate: shapes " + inputs[0].str() + " and " + other.str() + " differ");
      other.d[axis] = out.d[axis];
      if (other != out)
        throw std::invalid_argument("concatenate: shapes " + inputs[0].str() + " and " + inputs[i].str() +
                                    " differ outside axis " + std::to_string(axis_));
      out.d[axis] += inputs[i].d[axis];
    }
    return out;
  }
  void forward(const ConstTensorOf<Scalar>* in, TensorOf<Scalar> out, Scalar*) const override {
    copy_blocks(in, out, /*to_output=*/true, nullptr);
  }
  void backward(const ConstTensorOf<Scalar>* in, ConstTensorOf<Scalar> out, ConstTensorOf<Scalar> grad_out,
                TensorOf<Scalar>* grads, Scalar*) const override {
    TensorOf<Scalar> g{const_cast<Scalar*>(grad_out.data), out.dims};
    copy_blocks(in, g, /*to_output=*/false, grads);
  }

 private:
  // Rows of the output (the axes before `axis`) hold one block of each input in turn.
  void copy_blocks(const ConstTensorOf<Scalar>* in, TensorOf<Scalar> out, bool to_output, TensorOf<Scalar>* grads) const {
    const int axis = normalize_axis(axis_, out.dims.rank, "concatenate");
    Index outer = 1, inner = 1;
    for (int i = 0; i < axis; ++i) outer *= out.dims.d[i];
    for (int i = axis + 1; i < out.dims.rank; ++i) inner *= out.dims.d[i];
    const Index row = out.dims.d[axis] * inner;
    Index column = 0;
    for (size_t k = 0; column < row; ++k) {
      const Index block = in[k].dims.d[axis] * inner;
      for (Index r = 0; r < outer; ++r) {
        Scalar* o = out.data + r * row + column;
        if (to_output) {
          std::copy(in[k].data + r * block, in[k].data + (r + 1) * block, o);
        } else if (grads[k].data) {
          add_into(grads[k].data + r * block, o, block);
        }
      }
      column += block;
    }
  }

  Index axis_;
};

// ---- slice: start, step and count per axis (x[1:5:2, ::-1]); a batch axis is taken whole -------------
template <class Scalar>
class Slice : public PrimitiveOf<Scalar> {
 public:
  explicit Slice(const Config& attrs) {
    Attributes read(attrs, "slice");
    start_ = read.integers("start");
    step_ = read.integers("step");
    shape_ = shape_attribute(read, "shape");
    read.done();
  }
  Dims output_shape(const std::vector<Dims>& inputs) const override {
    expect_inputs(inputs, 1, "slice");
    const Dims& in = inputs[0];
    if (static_cast<int>(start_.size()) != in.rank || static_cast<int>(step_.size()) != in.rank || shape_.rank != in.rank)
      throw std::invalid_argument("slice: start, step and shape need one entry per axis of " + in.str());
    for (int axis = 0; axis < in.rank; ++axis) {
      const Index dim = in.d[axis], start = start_[axis], step = step_[axis], count = shape_.d[axis];
      if (dim < 0) {
        if (count != dim || start != 0 || step != 1)
          throw std::invalid_argument("slice: the batch axis is taken whole (x[:, ...])");
        continue;
      }
      const Index last = start + (count - 1) * step;
      if (step == 0 || count < 1 || start < 0 || start >= dim || last < 0 || last >= dim)
        throw std::invalid_argument("slice: axis " + std::to_string(axis) + " of " + in.str() + " has no elements " +
                                    std::to_string(start) + " + k * " + std::to_string(step) + " for k < " +
                                    std::to_string(count));
    }
    return shape_;
  }
  void forward(const ConstTensorOf<Scalar>* in, TensorOf<Scalar> out, Scalar*) const override {
    const Index base = base_offset(in[0].dims);
    walk(out.dims, strides(in[0].dims),
         [&](Index o, const std::array<Index, 1>& at) { out.data[o] = in[0].data[base + at[0]]; });
  }
  void backward(const ConstTensorOf<Scalar>* in, ConstTensorOf<Scalar> out, ConstTensorOf<Scalar> grad_out,
                TensorOf<Scalar>* grads, Scalar*) const override {
    if (grads[0].data == nullptr) return;
    const Index base = base_offset(in[0].dims);
    walk(out.dims, strides(in[0].dims),
         [&](Index o, const std::array<Index, 1>& at) { grads[0].data[base + at[0]] += grad_out.data[o]; });
  }

 private:
  std::array<std::array<Index, kMaxRank>, 1> strides(const Dims& in) const {
    std::array<std::array<Index, kMaxRank>, 1> out{};
    Index stride = 1;
    for (int axis = in.rank - 1; axis >= 0; --axis) {
      out[0][axis] = stride * step_[axis];
      stride *= in.d[axis];
    }
    return out;
  }
  Index base_offset(const Dims& in) const {
    Index offset = 0, stride = 1;
    for (int axis = in.rank - 1; axis >= 0; --axis) {
      offset += start_[axis] * stride;
      stride *= in.d[axis];
    }
    return offset;
  }

  std::vector<Index> start_, step_;
  Dims shape_;
};

// ---- broadcast_to(x, shape) -----------------------------------------------------------------------------
template <class Scalar>
class BroadcastTo : public PrimitiveOf<Scalar> {
 public:
  explicit BroadcastTo(const Config& attrs) {
    Attributes read(attrs, "broadcast_to");
    shape_ = shape_attribute(read, "shape");
    read.done();
  }
  Dims output_shape(const std::vector<Dims>& inputs) const override {
    expect_inputs(inputs, 1, "broadcast_to");
    if (broadcast(inputs[0], shape_, "broadcast_to") != shape_)
      throw std::invalid_argument("broadcast_to: cannot broadcast " + inputs[0].str() + " to " + shape_.str());
    return shape_;
  }
  void forward(const ConstTensorOf<Scalar>* in, TensorOf<Scalar> out, Scalar*) const override {
    const std::array<std::array<Index, kMaxRank>, 1> strides{broadcast_strides(in[0].dims, out.dims.rank)};
    walk(out.dims, strides, [&](Index o, const std::array<Index, 1>& at) { out.data[o] = in[0].data[at[0]]; });
  }
  void backward(const ConstTensorOf<Scalar>* in, ConstTensorOf<Scalar> out, ConstTensorOf<Scalar> grad_out,
                TensorOf<Scalar>* grads, Scalar*) const override {
    if (grads[0].data == nullptr) return;
    const std::array<std::array<Index, kMaxRank>, 1> strides{broadcast_strides(in[0].dims, out.dims.rank)};
    walk(out.dims, strides,
         [&](Index o, const std::array<Index, 1>& at) { grads[0].data[at[0]] += grad_out.data[o]; });
  }

 private:
  Dims shape_;
};

// ---- take(x, indices, axis): elements of x at whole-number indices along an axis (NumPy's take) --------
// The indices are a tensor (a constant for x[:, [0, 2]], data for an embedding lookup); an index out
// of range is an error, as NumPy's take raises, rather than JAX's silent clamp.
template <class Scalar>
class Take : public PrimitiveOf<Scalar> {
 public:
  explicit Take(const Config& attrs) {
    Attributes read(attrs, "take");
    axis_ = static_cast<Index>(read.number("axis"));
    read.done();
  }
  Dims output_shape(const std::vector<Dims>& inputs) const override {
    expect_inputs(inputs, 2, "take");
    const Dims &x = inputs[0], &indices = inputs[1];
    const int axis = normalize_axis(axis_, x.rank, "take");
    if (x.d[axis] < 0) throw std::invalid_argument("take: cannot gather along the batch axis");
    if (x.rank - 1 + indices.rank > kMaxRank) throw std::invalid_argument("take: the result has too many axes");
    Dims out;
    for (int i = 0; i < axis; ++i) out.d[out.rank++] = x.d[i];
    for (int i = 0; i < indices.rank; ++i) out.d[out.rank++] = indices.d[i];
    for (int i = axis + 1; i < x.rank; ++i) out.d[out.rank++] = x.d[i];
    return out;
  }
  bool differentiable(size_t input) const override { return input == 0; }
  void forward(const ConstTensorOf<Scalar>* in, TensorOf<Scalar> out, Scalar*) const override {
    each_block(in, [&](Scalar* target, const Scalar* source, Index n) { std::copy(source, source + n, target); },
               out.data);
  }
  void backward(const ConstTensorOf<Scalar>* in, ConstTensorOf<Scalar>, ConstTensorOf<Scalar> grad_out,
                TensorOf<Scalar>* grads, Scalar*) const override {
    if (grads[0].data == nullptr) return;
    Scalar* g = grads[0].data;
    const Scalar* go = grad_out.data;
    const int axis = normalize_axis(axis_, in[0].dims.rank, "take");
    Index outer = 1, inner = 1;
    for (int i = 0; i < axis; ++i) outer *= in[0].dims.d[i];
    for (int i = axis + 1; i < in[0].dims.rank; ++i) inner *= in[0].dims.d[i];
    const Index dim = in[0].dims.d[axis], count = in[1].dims.size();
    for (Index r = 0; r < outer; ++r)
      for (Index j = 0; j < count; ++j)
        add_into(g + (r * dim + index_at(in[1].data[j], dim)) * inner, go + (r * count + j) * inner, inner);
  }

 private:
  static Index index_at(Scalar value, Index dim) {
    const Index index = static_cast<Index>(std::floor(value));
    const Index wrapped = index < 0 ? index + dim : index;  // NumPy's negative indices
    if (!(value == std::floor(value)) || wrapped < 0 || wrapped >= dim)
      throw std::out_of_range("take: index " + std::to_string(value) + " is out of range for an axis of " +
                              std::to_string(dim));
    return wrapped;
  }
  template <class F>
  void each_block(const ConstTensorOf<Scalar>* in, F&& f, Scalar* out) const {
    const int axis = normalize_axis(axis_, in[0].dims.rank, "take");
    Index outer = 1, inner = 1;
    for (int i = 0; i < axis; ++i) outer *= in[0].dims.d[i];
    for (int i = axis + 1; i < in[0].dims.rank; ++i) inner *= in[0].dims.d[i];
    const Index dim = in[0].dims.d[axis], count = in[1].dims.size();
    for (Index r = 0; r < outer; ++r)
      for (Index j = 0; j < count; ++j)
        f(out + (r * count + j) * inner, in[0].data + (r * dim + index_at(in[1].data[j], dim)) * inner, inner);
  }

  Index axis_;
};

}  // namespace

FASTMLP_PRIMITIVE(Reshape, "reshape");
FASTMLP_PRIMITIVE(Transpose, "transpose");
FASTMLP_PRIMITIVE(Concatenate, "concatenate");
FASTMLP_PRIMITIVE(Slice, "slice");
FASTMLP_PRIMITIVE(BroadcastTo, "broadcast_to");
FASTMLP_PRIMITIVE(Take, "take");

}  // namespace fastmlp::graph
