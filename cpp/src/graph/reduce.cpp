// Reductions over axes: sum, mean, max and min, with keepdims. The mean divides by the number of
// elements reduced *this pass*, so a mean over the batch axis stays a mean for any batch size.
#include <algorithm>
#include <limits>

#include "fastmlp/graph/primitive.hpp"
#include "walk.hpp"

namespace fastmlp::graph {
namespace {

enum class Reduction { Sum, Mean, Max, Min };

template <class Scalar, Reduction R>
class Reduce : public PrimitiveOf<Scalar> {
 public:
  static constexpr const char* kName =
      R == Reduction::Sum ? "sum" : R == Reduction::Mean ? "mean" : R == Reduction::Max ? "max" : "min";

  explicit Reduce(const Config& attrs) {
    Attributes read(attrs, kName);
    axes_ = read.integers("axes");  // empty: every axis
    keepdims_ = read.flag("keepdims", false);
    read.done();
  }

  Dims output_shape(const std::vector<Dims>& inputs) const override {
    expect_inputs(inputs, 1, kName);
    const std::array<bool, kMaxRank> reduced = reduced_axes(inputs[0].rank);
    Dims out;
    for (int axis = 0; axis < inputs[0].rank; ++axis) {
      if (!reduced[axis]) {
        out.d[out.rank++] = inputs[0].d[axis];
      } else if (keepdims_) {
        out.d[out.rank++] = 1;
      }
    }
    return out;
  }

  // max and min: how many elements tie for each output, for their gradient.
  Index scratch_size(const std::vector<Dims>&, const Dims& out) const override {
    return R == Reduction::Max || R == Reduction::Min ? out.size() : 0;
  }

  void forward(const ConstTensorOf<Scalar>* in, TensorOf<Scalar> out, Scalar*) const override {
    const Scalar* x = in[0].data;
    Scalar* y = out.data;
    const Index n = out.dims.size();
    Scalar start = 0;
    if (R == Reduction::Max) start = -std::numeric_limits<Scalar>::infinity();
    if (R == Reduction::Min) start = std::numeric_limits<Scalar>::infinity();
    std::fill(y, y + n, start);
    walk(in[0].dims, strides_of(in[0].dims), [&](Index i, const std::array<Index, 1>& at) {
      if constexpr (R == Reduction::Sum || R == Reduction::Mean) {
        y[at[0]] += x[i];
      } else if constexpr (R == Reduction::Max) {
        y[at[0]] = std::max(y[at[0]], x[i]);
      } else {
        y[at[0]] = std::min(y[at[0]], x[i]);
      }
    });
    if constexpr (R == Reduction::Mean) {
      const Scalar scale = Scalar(n) / Scalar(in[0].dims.size());
      for (Index o = 0; o < n; ++o) y[o] *= scale;
    }
  }

  void backward(const ConstTensorOf<Scalar>* in, ConstTensorOf<Scalar> out, ConstTensorOf<Scalar> grad_out,
                TensorOf<Scalar>* grads, Scalar* scratch) const override {
    Scalar* gx = grads[0].data;
    if (gx == nullptr) return;
    const Scalar *x = in[0].data, *y = out.data, *g = grad_out.data;
    const auto strides = strides_of(in[0].dims);
    if constexpr (R == Reduction::Sum || R == Reduction::Mean) {
      // d sum / dx = 1 for every element reduced; the mean's 1/count.
      const Scalar scale = R == Reduction::Mean ? Scalar(out.dims.size()) / Scalar(in[0].dims.size()) : Scalar(1);
      walk(in[0].dims, strides, [&](Index i, const std::array<Index, 1>& at) { gx[i] += g[at[0]] * scale; });
    } else {
      // The gradient of a max (min) goes to the elements equal to it, shared equally between ties.
      Scalar* ties = scratch;
      std::fill(ties, ties + out.dims.size(), Scalar(0));
      walk(in[0].dims, strides, [&](Index i, const std::array<Index, 1>& at) {
        if (x[i] == y[at[0]]) ties[at[0]] += 1;
      });
      walk(in[0].dims, strides, [&](Index i, const std::array<Index, 1>& at) {
        if (x[i] == y[at[0]]) gx[i] += g[at[0]] / ties[at[0]];
      });
    }
  }

 private:
  std::array<bool, kMaxRank> reduced_axes(int rank) const {
    std::array<bool, kMaxRank> reduced{};
    if (axes_.empty()) reduced.fill(true);
    for (Index axis : axes_) {
      const int a = normalize_axis(axis, rank, kName);
      if (reduced[a]) throw std::invalid_argument(std::string(kName) + ": axis " + std::to_string(axis) + " is repeated");
      reduced[a] = true;
    }
    return reduced;
  }

  // Strides of the output as seen from the input's axes: 0 along reduced axes.
  std::array<std::array<Index, kMaxRank>, 1> strides_of(const Dims& input) const {
    const std::array<bool, kMaxRank> reduced = reduced_axes(input.rank);
    std::array<std::array<Index, kMaxRank>, 1> strides{};
    Index stride = 1;
    for (int axis = input.rank - 1; axis >= 0; --axis) {
      if (reduced[axis]) continue;
      strides[0][axis] = stride;
      stride *= input.d[axis];
    }
    return strides;
  }

  std::vector<Index> axes_;
  bool keepdims_ = false;
};

// argmax and argmin along one axis: the index (as a number) of the first extreme element. They have no
// gradient (indices are data); metrics use them.
template <class Scalar, bool Largest>
class ArgReduce : public PrimitiveOf<Scalar> {
 public:
  static constexpr const char* kName = Largest ? "argmax" : "argmin";

  explicit ArgReduce(const Config& attrs) {
    Attributes read(attrs, kName);
    axis_ = static_cast<Index>(read.number("axis"));
    keepdims_ = read.flag("keepdims", false);
    read.done();
  }
  Dims output_shape(const std::vector<Dims>& inputs) const override {
    expect_inputs(inputs, 1, kName);
    const int axis = normalize_axis(axis_, inputs[0].rank, kName);
    if (inputs[0].d[axis] < 0) throw std::invalid_argument(std::string(kName) + ": not along the batch axis");
    Dims out;
    for (int i = 0; i < inputs[0].rank; ++i) {
      if (i != axis) {
        out.d[out.rank++] = inputs[0].d[i];
      } else if (keepdims_) {
        out.d[out.rank++] = 1;
      }
    }
    return out;
  }
  bool differentiable(size_t) const override { return false; }
  void forward(const ConstTensorOf<Scalar>* in, TensorOf<Scalar> out, Scalar*) const override {
    const Dims& dims = in[0].dims;
    const int axis = normalize_axis(axis_, dims.rank, kName);
    Index outer = 1, inner = 1;
    for (int i = 0; i < axis; ++i) outer *= dims.d[i];
    for (int i = axis + 1; i < dims.rank; ++i) inner *= dims.d[i];
    const Index length = dims.d[axis];
    for (Index o = 0; o < outer; ++o)
      for (Index i = 0; i < inner; ++i) {
        const Scalar* x = in[0].data + o * length * inner + i;
        Index best = 0;
        for (Index k = 1; k < length; ++k)
          if (Largest ? x[k * inner] > x[best * inner] : x[k * inner] < x[best * inner]) best = k;
        out.data[o * inner + i] = static_cast<Scalar>(best);
      }
  }
  void backward(const ConstTensorOf<Scalar>*, ConstTensorOf<Scalar>, ConstTensorOf<Scalar>, TensorOf<Scalar>*,
                Scalar*) const override {}

 private:
  Index axis_;
  bool keepdims_ = false;
};

template <class S>
using ArgMax = ArgReduce<S, true>;
template <class S>
using ArgMin = ArgReduce<S, false>;
template <class S>
using Sum = Reduce<S, Reduction::Sum>;
template <class S>
using Mean = Reduce<S, Reduction::Mean>;
template <class S>
using Max = Reduce<S, Reduction::Max>;
template <class S>
using Min = Reduce<S, Reduction::Min>;

}  // namespace

FASTMLP_PRIMITIVE(Sum, "sum");
FASTMLP_PRIMITIVE(Mean, "mean");
FASTMLP_PRIMITIVE(Max, "max");
FASTMLP_PRIMITIVE(Min, "min");
FASTMLP_PRIMITIVE(ArgMax, "argmax");
FASTMLP_PRIMITIVE(ArgMin, "argmin");

}  // namespace fastmlp::graph
