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

}  // namespace fastmlp::graph
