// Element-wise primitives: unary functions, binary ones with NumPy broadcasting, where and clip.
// Each function is its value and its derivative, side by side.
#include <cmath>

#include "fastmlp/graph/primitive.hpp"
#include "walk.hpp"

namespace fastmlp::graph {
namespace {

// ---- unary: y = f(x), dx = dy * f'(x) written with x and y -----------------------------------------
#define FASTMLP_UNARY(Name, name, differentiable, value, derivative)    \
  struct Name {                                                         \
    static constexpr const char* kName = name;                          \
    static constexpr bool kDifferentiable = differentiable;             \
    template <class S>                                                  \
    static S f(S x) { return value; }                                   \
    template <class S>                                                  \
    static S df(S x, S y) { (void)x; (void)y; return derivative; }      \
  };

FASTMLP_UNARY(Negative, "negative", true, -x, S(-1))
FASTMLP_UNARY(Exp, "exp", true, std::exp(x), y)
FASTMLP_UNARY(Log, "log", true, std::log(x), S(1) / x)
FASTMLP_UNARY(Sqrt, "sqrt", true, std::sqrt(x), S(0.5) / y)
FASTMLP_UNARY(Abs, "abs", true, std::abs(x), x > 0 ? S(1) : (x < 0 ? S(-1) : S(0)))
FASTMLP_UNARY(Sign, "sign", false, x > 0 ? S(1) : (x < 0 ? S(-1) : S(0)), S(0))
FASTMLP_UNARY(Square, "square", true, x * x, S(2) * x)
FASTMLP_UNARY(Reciprocal, "reciprocal", true, S(1) / x, -y * y)
FASTMLP_UNARY(Log1p, "log1p", true, std::log1p(x), S(1) / (S(1) + x))
FASTMLP_UNARY(Expm1, "expm1", true, std::expm1(x), y + S(1))
FASTMLP_UNARY(Tanh, "tanh", true, std::tanh(x), S(1) - y * y)
FASTMLP_UNARY(Sin, "sin", true, std::sin(x), std::cos(x))
FASTMLP_UNARY(Cos, "cos", true, std::cos(x), -std::sin(x))
FASTMLP_UNARY(Floor, "floor", false, std::floor(x), S(0))
FASTMLP_UNARY(Ceil, "ceil", false, std::ceil(x), S(0))
FASTMLP_UNARY(Round, "round", false, std::nearbyint(x), S(0))  // half to even, as NumPy and Keras
FASTMLP_UNARY(Trunc, "trunc", false, std::trunc(x), S(0))      // cast to an integer type
FASTMLP_UNARY(LogicalNot, "logical_not", false, x == 0 ? S(1) : S(0), S(0))
FASTMLP_UNARY(IsNan, "isnan", false, std::isnan(x) ? S(1) : S(0), S(0))
FASTMLP_UNARY(IsFinite, "isfinite", false, std::isfinite(x) ? S(1) : S(0), S(0))
FASTMLP_UNARY(StopGradient, "stop_gradient", false, x, S(0))
#undef FASTMLP_UNARY

template <class Fn>
struct UnaryOf {
  template <class Scalar>
  class Op : public PrimitiveOf<Scalar> {
   public:
    explicit Op(const Config& attrs) { Attributes(attrs, Fn::kName).done(); }
    Dims output_shape(const std::vector<Dims>& inputs) const override {
      expect_inputs(inputs, 1, Fn::kName);
      return inputs[0];
    }
    bool differentiable(size_t) const override { return Fn::kDifferentiable; }
    void forward(const ConstTensorOf<Scalar>* in, TensorOf<Scalar> out, Scalar*) const override {
      const Scalar* x = in[0].data;
      for (Index i = 0, n = out.dims.size(); i < n; ++i) out.data[i] = Fn::f(x[i]);
    }
    void backward(const ConstTensorOf<Scalar>* in, ConstTensorOf<Scalar> out, ConstTensorOf<Scalar> grad_out,
                  TensorOf<Scalar>* grads, Scalar*) const override {
      if (!Fn::kDifferentiable || grads[0].data == nullptr) return;
      const Scalar *x = in[0].data, *y = out.data, *g = grad_out.data;
      for (Index i = 0, n = out.dims.size(); i < n; ++i) grads[0].data[i] += g[i] * Fn::df(x[i], y[i]);
    }
  };
};

// ---- binary: y = f(a, b) broadcast; da = dy * ∂f/∂a, db = dy * ∂f/∂b, summed over broadcast axes ----
#define FASTMLP_BINARY(Name, name, differentiable, value, by_a, by_b)  \
  struct Name {                                                        \
    static constexpr const char* kName = name;                         \
    static constexpr bool kDifferentiable = differentiable;            \
    template <class S>                                                 \
    static S f(S a, S b) { return value; }                             \
    template <class S>                                                 \
    static S da(S a, S b, S y) { (void)a; (void)b; (void)y; return by_a; } \
    template <class S>                                                 \
    static S db(S a, S b, S y) { (void)a; (void)b; (void)y; return by_b; } \
  };

FASTMLP_BINARY(Add, "add", true, a + b, S(1), S(1))
FASTMLP_BINARY(Subtract, "subtract", true, a - b, S(1), S(-1))
FASTMLP_BINARY(Multiply, "multiply", true, a * b, b, a)
FASTMLP_BINARY(Divide, "divide", true, a / b, S(1) / b, -y / b)
// d(a^b)/db = a^b log a, taken as 0 where a <= 0 (where log a is not real), as JAX does for a = 0.
FASTMLP_BINARY(Power, "power", true, std::pow(a, b), b == 0 ? S(0) : b * std::pow(a, b - 1),
               a > 0 ? y * std::log(a) : S(0))
// A tie sends the whole gradient to the first operand (a subgradient; finite differences halve it).
FASTMLP_BINARY(Maximum, "maximum", true, a >= b ? a : b, a >= b ? S(1) : S(0), a >= b ? S(0) : S(1))
FASTMLP_BINARY(Minimum, "minimum", true, a <= b ? a : b, a <= b ? S(1) : S(0), a <= b ? S(0) : S(1))
FASTMLP_BINARY(Equal, "equal", false, a == b ? S(1) : S(0), S(0), S(0))
FASTMLP_BINARY(NotEqual, "not_equal", false, a != b ? S(1) : S(0), S(0), S(0))
FASTMLP_BINARY(Greater, "greater", false, a > b ? S(1) : S(0), S(0), S(0))
FASTMLP_BINARY(GreaterEqual, "greater_equal", false, a >= b ? S(1) : S(0), S(0), S(0))
FASTMLP_BINARY(Less, "less", false, a < b ? S(1) : S(0), S(0), S(0))
FASTMLP_BINARY(LessEqual, "less_equal", false, a <= b ? S(1) : S(0), S(0), S(0))
FASTMLP_BINARY(LogicalAnd, "logical_and", false, (a != 0 && b != 0) ? S(1) : S(0), S(0), S(0))
FASTMLP_BINARY(LogicalOr, "logical_or", false, (a != 0 || b != 0) ? S(1) : S(0), S(0), S(0))
#undef FASTMLP_BINARY

template <class Fn>
struct BinaryOf {
  template <class Scalar>
  class Op : public PrimitiveOf<Scalar> {
   public:
    explicit Op(const Config& attrs) { Attributes(attrs, Fn::kName).done(); }
    Dims output_shape(const std::vector<Dims>& inputs) const override {
      expect_inputs(inputs, 2, Fn::kName);
      return broadcast(inputs[0], inputs[1], Fn::kName);
    }
    bool differentiable(size_t) const override { return Fn::kDifferentiable; }
    void forward(const ConstTensorOf<Scalar>* in, TensorOf<Scalar> out, Scalar*) const override {
      const Scalar *a = in[0].data, *b = in[1].data;
      Scalar* y = out.data;
      if (in[0].dims == out.dims && in[1].dims == out.dims) {  // no broadcast: one flat loop
        for (Index i = 0, n = out.dims.size(); i < n; ++i) y[i] = Fn::f(a[i], b[i]);
        return;
      }
      const std::array<std::array<Index, kMaxRank>, 2> strides{broadcast_strides(in[0].dims, out.dims.rank),
                                                                broadcast_strides(in[1].dims, out.dims.rank)};
      walk(out.dims, strides, [&](Index o, const std::array<Index, 2>& at) { y[o] = Fn::f(a[at[0]], b[at[1]]); });
    }
    void backward(const ConstTensorOf<Scalar>* in, ConstTensorOf<Scalar> out, ConstTensorOf<Scalar> grad_out,
                  TensorOf<Scalar>* grads, Scalar*) const override {
      if (!Fn::kDifferentiable) return;
      const Scalar *a = in[0].data, *b = in[1].data, *y = out.data, *g = grad_out.data;
      Scalar *ga = grads[0].data, *gb = grads[1].data;
      const std::array<std::array<Index, kMaxRank>, 2> strides{broadcast_strides(in[0].dims, out.dims.rank),
                                                                broadcast_strides(in[1].dims, out.dims.rank)};
      walk(out.dims, strides, [&](Index o, const std::array<Index, 2>& at) {
        const Scalar av = a[at[0]], bv = b[at[1]];
        if (ga) ga[at[0]] += g[o] * Fn::da(av, bv, y[o]);
        if (gb) gb[at[1]] += g[o] * Fn::db(av, bv, y[o]);
      });
    }
  };
};

// ---- where(condition, x, y): x where the condition is non-zero, else y --------------------------------
template <class Scalar>
class Where : public PrimitiveOf<Scalar> {
 public:
  explicit Where(const Config& attrs) { Attributes(attrs, "where").done(); }
  Dims output_shape(const std::vector<Dims>& inputs) const override {
    expect_inputs(inputs, 3, "where");
    return broadcast(broadcast(inputs[0], inputs[1], "where"), inputs[2], "where");
  }
  bool differentiable(size_t input) const override { return input > 0; }
  void forward(const ConstTensorOf<Scalar>* in, TensorOf<Scalar> out, Scalar*) const override {
    const Scalar *c = in[0].data, *x = in[1].data, *y = in[2].data;
    walk(out.dims, strides_of(in, out.dims.rank),
         [&](Index o, const std::array<Index, 3>& at) { out.data[o] = c[at[0]] != 0 ? x[at[1]] : y[at[2]]; });
  }
  void backward(const ConstTensorOf<Scalar>* in, ConstTensorOf<Scalar> out, ConstTensorOf<Scalar> grad_out,
                TensorOf<Scalar>* grads, Scalar*) const override {
    const Scalar *c = in[0].data, *g = grad_out.data;
    Scalar *gx = grads[1].data, *gy = grads[2].data;
    walk(out.dims, strides_of(in, out.dims.rank), [&](Index o, const std::array<Index, 3>& at) {
      if (c[at[0]] != 0) {
        if (gx) gx[at[1]] += g[o];
      } else if (gy) {
        gy[at[2]] += g[o];
      }
    });
  }

 private:
  static std::array<std::array<Index, kMaxRank>, 3> strides_of(const ConstTensorOf<Scalar>* in, int rank) {
    return {broadcast_strides(in[0].dims, rank), broadcast_strides(in[1].dims, rank),
            broadcast_strides(in[2].dims, rank)};
  }
};

// ---- clip(x, min, max) with bounds fixed when traced; the gradient passes where min <= x <= max ------
template <class Scalar>
class Clip : public PrimitiveOf<Scalar> {
 public:
  explicit Clip(const Config& attrs) {
    Attributes read(attrs, "clip");
    low_ = static_cast<Scalar>(read.number("min"));
    high_ = static_cast<Scalar>(read.number("max"));
    read.done();
  }
  Dims output_shape(const std::vector<Dims>& inputs) const override {
    expect_inputs(inputs, 1, "clip");
    return inputs[0];
  }
  void forward(const ConstTensorOf<Scalar>* in, TensorOf<Scalar> out, Scalar*) const override {
    for (Index i = 0, n = out.dims.size(); i < n; ++i) out.data[i] = std::min(std::max(in[0].data[i], low_), high_);
  }
  void backward(const ConstTensorOf<Scalar>* in, ConstTensorOf<Scalar> out, ConstTensorOf<Scalar> grad_out,
                TensorOf<Scalar>* grads, Scalar*) const override {
    if (grads[0].data == nullptr) return;
    for (Index i = 0, n = out.dims.size(); i < n; ++i) {
      const Scalar x = in[0].data[i];
      if (x >= low_ && x <= high_) grads[0].data[i] += grad_out.data[i];
    }
  }

 private:
  Scalar low_, high_;
};

#define FASTMLP_UNARY_OP(Fn) \
  template <class S>         \
  using Fn##Op = UnaryOf<Fn>::Op<S>;
#define FASTMLP_BINARY_OP(Fn) \
  template <class S>          \
  using Fn##Op = BinaryOf<Fn>::Op<S>;
FASTMLP_UNARY_OP(Negative) FASTMLP_UNARY_OP(Exp) FASTMLP_UNARY_OP(Log) FASTMLP_UNARY_OP(Sqrt) FASTMLP_UNARY_OP(Abs)
FASTMLP_UNARY_OP(Sign) FASTMLP_UNARY_OP(Square) FASTMLP_UNARY_OP(Reciprocal) FASTMLP_UNARY_OP(Log1p)
FASTMLP_UNARY_OP(Expm1) FASTMLP_UNARY_OP(Tanh) FASTMLP_UNARY_OP(Sin) FASTMLP_UNARY_OP(Cos) FASTMLP_UNARY_OP(Floor)
FASTMLP_UNARY_OP(Ceil) FASTMLP_UNARY_OP(Round) FASTMLP_UNARY_OP(Trunc) FASTMLP_UNARY_OP(LogicalNot)
FASTMLP_UNARY_OP(IsNan) FASTMLP_UNARY_OP(IsFinite) FASTMLP_UNARY_OP(StopGradient)
FASTMLP_BINARY_OP(Add) FASTMLP_BINARY_OP(Subtract) FASTMLP_BINARY_OP(Multiply) FASTMLP_BINARY_OP(Divide)
FASTMLP_BINARY_OP(Power) FASTMLP_BINARY_OP(Maximum) FASTMLP_BINARY_OP(Minimum) FASTMLP_BINARY_OP(Equal)
FASTMLP_BINARY_OP(NotEqual) FASTMLP_BINARY_OP(Greater) FASTMLP_BINARY_OP(GreaterEqual) FASTMLP_BINARY_OP(Less)
FASTMLP_BINARY_OP(LessEqual) FASTMLP_BINARY_OP(LogicalAnd) FASTMLP_BINARY_OP(LogicalOr)
#undef FASTMLP_UNARY_OP
#undef FASTMLP_BINARY_OP

}  // namespace

FASTMLP_PRIMITIVE(NegativeOp, "negative");
FASTMLP_PRIMITIVE(ExpOp, "exp");
FASTMLP_PRIMITIVE(LogOp, "log");
FASTMLP_PRIMITIVE(SqrtOp, "sqrt");
FASTMLP_PRIMITIVE(AbsOp, "abs");
FASTMLP_PRIMITIVE(SignOp, "sign");
FASTMLP_PRIMITIVE(SquareOp, "square");
FASTMLP_PRIMITIVE(ReciprocalOp, "reciprocal");
FASTMLP_PRIMITIVE(Log1pOp, "log1p");
FASTMLP_PRIMITIVE(Expm1Op, "expm1");
FASTMLP_PRIMITIVE(TanhOp, "tanh");
FASTMLP_PRIMITIVE(SinOp, "sin");
FASTMLP_PRIMITIVE(CosOp, "cos");
FASTMLP_PRIMITIVE(FloorOp, "floor");
FASTMLP_PRIMITIVE(CeilOp, "ceil");
FASTMLP_PRIMITIVE(RoundOp, "round");
FASTMLP_PRIMITIVE(TruncOp, "trunc");
FASTMLP_PRIMITIVE(LogicalNotOp, "logical_not");
FASTMLP_PRIMITIVE(IsNanOp, "isnan");
FASTMLP_PRIMITIVE(IsFiniteOp, "isfinite");
FASTMLP_PRIMITIVE(StopGradientOp, "stop_gradient");
FASTMLP_PRIMITIVE(AddOp, "add");
FASTMLP_PRIMITIVE(SubtractOp, "subtract");
FASTMLP_PRIMITIVE(MultiplyOp, "multiply");
FASTMLP_PRIMITIVE(DivideOp, "divide");
FASTMLP_PRIMITIVE(PowerOp, "power");
FASTMLP_PRIMITIVE(MaximumOp, "maximum");
FASTMLP_PRIMITIVE(MinimumOp, "minimum");
FASTMLP_PRIMITIVE(EqualOp, "equal");
FASTMLP_PRIMITIVE(NotEqualOp, "not_equal");
FASTMLP_PRIMITIVE(GreaterOp, "greater");
FASTMLP_PRIMITIVE(GreaterEqualOp, "greater_equal");
FASTMLP_PRIMITIVE(LessOp, "less");
FASTMLP_PRIMITIVE(LessEqualOp, "less_equal");
FASTMLP_PRIMITIVE(LogicalAndOp, "logical_and");
FASTMLP_PRIMITIVE(LogicalOrOp, "logical_or");
FASTMLP_PRIMITIVE(Where, "where");
FASTMLP_PRIMITIVE(Clip, "clip");

}  // namespace fastmlp::graph
