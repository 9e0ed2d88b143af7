#include "fastmlp/activations.hpp"

#include <array>
#include <cmath>
#include <stdexcept>

#include "fastmlp/parallel.hpp"

namespace fastmlp {
namespace {

struct NamedKind {
  const char* name;
  ActivationKind kind;
};

constexpr std::array<NamedKind, 14> kActivations{{
    {"linear", ActivationKind::Linear},
    {"sigmoid", ActivationKind::Sigmoid},
    {"tanh", ActivationKind::Tanh},
    {"relu", ActivationKind::Relu},
    {"leaky_relu", ActivationKind::LeakyRelu},
    {"elu", ActivationKind::Elu},
    {"selu", ActivationKind::Selu},
    {"softplus", ActivationKind::Softplus},
    {"softsign", ActivationKind::Softsign},
    {"softmax", ActivationKind::Softmax},
    {"silu", ActivationKind::Silu},
    {"gelu", ActivationKind::Gelu},
    {"hard_sigmoid", ActivationKind::HardSigmoid},
    {"exponential", ActivationKind::Exponential},
}};

// SELU's constants (Klambauer et al. 2017), as Keras defines them.
constexpr Scalar kSeluAlpha = 1.67326324235437728481f;
constexpr Scalar kSeluScale = 1.05070098735548049342f;
constexpr Scalar kInvSqrt2 = 0.70710678118654752440f;
constexpr Scalar kInvSqrt2Pi = 0.39894228040143267794f;
// The tanh approximation of gelu: sqrt(2/π) and the cubic coefficient, as Keras writes them.
constexpr Scalar kSqrt2OverPi = 0.79788456080286535588f;
constexpr Scalar kGeluCubic = 0.044715f;

std::string join_names() {
  std::string all;
  for (const auto& a : kActivations) all += (all.empty() ? "" : ", ") + std::string(a.name);
  return all + ", swish";
}

}  // namespace

Activation::Activation(ActivationKind kind) : Activation(kind, default_alpha_for(kind)) {}

Activation::Activation(ActivationKind kind, Scalar alpha) : kind_(kind), alpha_(alpha) {
  // With a negative slope the output's sign no longer tells which side of zero Z was on, and
  // backward reads the derivative from the output.
  if (kind == ActivationKind::LeakyRelu && !(alpha >= 0))
    throw std::invalid_argument("leaky_relu negative_slope must be >= 0, got " + std::to_string(alpha));
  if (kind == ActivationKind::Elu && !(alpha > 0))
    throw std::invalid_argument("elu alpha must be > 0, got " + std::to_string(alpha));
}

Activation Activation::relu(Scalar negative_slope, Scalar max_value, Scalar threshold) {
  if (!std::isfinite(negative_slope)) throw std::invalid_argument("relu negative_slope must be finite");
  if (!(max_value >= 0)) throw std::invalid_argument("relu max_value must be >= 0, got " + std::to_string(max_value));
  if (!std::isfinite(threshold)) throw std::invalid_argument("relu threshold must be finite");
  Activation a(ActivationKind::Relu, negative_slope);
  a.max_value_ = max_value;
  a.threshold_ = threshold;
  return a;
}

Activation Activation::gelu(bool approximate) {
  Activation a(ActivationKind::Gelu);
  a.approximate_ = approximate;
  return a;
}

Scalar Activation::default_alpha_for(ActivationKind kind) {
  switch (kind) {
    case ActivationKind::LeakyRelu: return 0.2f;
    case ActivationKind::Elu: return 1.0f;
    default: return 0.0f;
  }
}

Activation Activation::from_name(const std::string& name) {
  const std::string key = name.empty() || name == "None" ? "linear" : name == "swish" ? "silu" : name;
  for (const auto& a : kActivations)
    if (key == a.name) return Activation(a.kind);
  throw std::invalid_argument("unknown activation '" + name + "'; valid names are: " + join_names());
}

std::vector<std::string> Activation::names() {
  std::vector<std::string> all;
  for (const auto& a : kActivations) all.emplace_back(a.name);
  all.emplace_back("swish");
  return all;
}

const std::string& Activation::name() const {
  static const std::array<std::string, kActivations.size()> names = [] {
    std::array<std::string, kActivations.size()> n;
    for (const auto& a : kActivations) n[static_cast<size_t>(a.kind)] = a.name;
    return n;
  }();
  return names[static_cast<size_t>(kind_)];
}

bool Activation::needs_preactivation() const {
  switch (kind_) {
    case ActivationKind::Silu:
    case ActivationKind::Gelu: return true;
    case ActivationKind::Relu: return alpha_ != 0 || threshold_ != 0 || std::isfinite(max_value_);
    default: return false;
  }
}

void Activation::apply(MatrixMap values, const Scalar* bias) const {
  // Nothing to do, and softmax's row maximum of an empty row would read past the data.
  if ((kind_ == ActivationKind::Linear && bias == nullptr) || values.size() == 0) return;
  parallel_for(values.rows(), values.cols(),
               [&](Index first, Index end) { apply_rows(row_block(values, first, end), bias); });
}

void Activation::backward(ConstMatrixMap preactivation, ConstMatrixMap output, ConstMatrixMap grad_output,
                          MatrixMap grad_input) const {
  const bool with_z = needs_preactivation();
  parallel_for(output.rows(), output.cols(), [&](Index first, Index end) {
    backward_rows(with_z ? row_block(preactivation, first, end) : row_block(output, first, end),
                  row_block(output, first, end), row_block(grad_output, first, end),
                  row_block(grad_input, first, end));
  });
}

void Activation::apply_rows(MatrixMap values, const Scalar* bias) const {
  if (bias != nullptr) values.rowwise() += Eigen::Map<const RowVector>(bias, values.cols());
  auto z = values.array();
  switch (kind_) {
    case ActivationKind::Linear: break;
    case ActivationKind::Sigmoid: z = z.logistic(); break;
    case ActivationKind::Tanh: z = z.tanh(); break;
    case ActivationKind::Relu:
      if (!needs_preactivation()) {
        z = z.max(Scalar(0));
      } else {
        const Scalar slope = alpha_, theta = threshold_, cap = max_value_;
        const bool capped = std::isfinite(cap);
        // Keras keeps x above the threshold as it is, and clips to [0, max_value] only when capped:
        // with a negative threshold, x in (threshold, 0) passes through uncapped.
        z = z.unaryExpr([=](Scalar x) {
          const Scalar above = x > theta ? (capped ? std::min(std::max(x, Scalar(0)), cap) : x) : Scalar(0);
          return above - slope * std::max(theta - x, Scalar(0));
        });
      }
      break;
    case ActivationKind::LeakyRelu: z = (z > 0).select(z, alpha_ * z); break;
    case ActivationKind::Elu: z = (z > 0).select(z, alpha_ * (z.exp() - 1)); break;
    case ActivationKind::Selu: z = kSeluScale * (z > 0).select(z, kSeluAlpha * (z.exp() - 1)); break;
    // log(1 + e^z) = max(z, 0) + log1p(e^-|z|): never overflows, keeps precision for z << 0.
    case ActivationKind::Softplus: z = z.max(Scalar(0)) + (-z.abs()).exp().log1p(); break;
    case ActivationKind::Softsign: z = z / (1 + z.abs()); break;
    case ActivationKind::Silu: z = z * z.logistic(); break;
    case ActivationKind::Gelu:
      if (approximate_) {
        z = z.unaryExpr([](Scalar x) {
          return Scalar(0.5) * x * (1 + std::tanh(kSqrt2OverPi * (x + kGeluCubic * x * x * x)));
        });
      } else {
        z = z.unaryExpr([](Scalar x) { return Scalar(0.5) * x * (1 + std::erf(x * kInvSqrt2)); });
      }
      break;
    case ActivationKind::HardSigmoid: z = ((z + 3) / 6).max(Scalar(0)).min(Scalar(1)); break;  // relu6(x + 3) / 6
    case ActivationKind::Exponential: z = z.exp(); break;
    case ActivationKind::Softmax:
      // Subtracting the row maximum leaves softmax unchanged and keeps exp() from overflowing.
      for (Index r = 0; r < values.rows(); ++r) {
        auto row = values.row(r).array();
        row = (row - row.maxCoeff()).exp();
        row /= row.sum();
      }
      break;
  }
}

void Activation::backward_rows(ConstMatrixMap preactivation, ConstMatrixMap output, ConstMatrixMap grad_output,
                               MatrixMap grad_input) const {
  const auto z = preactivation.array();
  const auto a = output.array();
  const auto g = grad_output.array();
  auto dz = grad_input.array();
  switch (kind_) {
    case ActivationKind::Linear: dz = g; break;
    case ActivationKind::Sigmoid: dz = g * a * (1 - a); break;       // σ' = σ(1 - σ)
    case ActivationKind::Tanh: dz = g * (1 - a.square()); break;     // tanh' = 1 - tanh²
    case ActivationKind::Relu:
      if (!needs_preactivation()) {
        dz = (a > 0).select(g, Scalar(0));
      } else {
        const Scalar slope = alpha_, theta = threshold_, cap = max_value_;
        const bool capped = std::isfinite(cap);
        dz = g * z.unaryExpr([=](Scalar x) {
          if (x > theta) return !capped || (x > 0 && x < cap) ? Scalar(1) : Scalar(0);
          return slope;
        });
      }
      break;
    case ActivationKind::LeakyRelu: dz = (a > 0).select(g, alpha_ * g); break;
    case ActivationKind::Elu: dz = (a > 0).select(g, g * (a + alpha_)); break;  // α e^z = A + α
    case ActivationKind::Selu: dz = (a > 0).select(kSeluScale * g, g * (a + kSeluScale * kSeluAlpha)); break;
    case ActivationKind::Softplus: dz = g * -(-a).expm1(); break;   // σ(z) = 1 - e^-A
    case ActivationKind::Softsign: dz = g * (1 - a.abs()).square(); break;  // 1/(1+|z|)² = (1 - |A|)²
    case ActivationKind::Silu: {
      const auto s = z.logistic();
      dz = g * s * (1 + z * (1 - s));  // d(z σ(z)) = σ + z σ (1 - σ)
      break;
    }
    case ActivationKind::Gelu:
      if (approximate_) {
        // With u = sqrt(2/π)(z + c z³): d/dz 0.5 z (1 + tanh u) = 0.5 (1 + tanh u) + 0.5 z (1 - tanh² u) u'.
        dz = g * z.unaryExpr([](Scalar x) {
          const Scalar t = std::tanh(kSqrt2OverPi * (x + kGeluCubic * x * x * x));
          const Scalar du = kSqrt2OverPi * (1 + 3 * kGeluCubic * x * x);
          return Scalar(0.5) * (1 + t) + Scalar(0.5) * x * (1 - t * t) * du;
        });
      } else {
        // d/dz z Φ(z) = Φ(z) + z φ(z)
        dz = g * z.unaryExpr([](Scalar x) {
          return Scalar(0.5) * (1 + std::erf(x * kInvSqrt2)) + x * kInvSqrt2Pi * std::exp(Scalar(-0.5) * x * x);
        });
      }
      break;
    case ActivationKind::HardSigmoid: dz = (a > 0 && a < 1).select(g / 6, Scalar(0)); break;
    case ActivationKind::Exponential: dz = g * a; break;
    case ActivationKind::Softmax:
      // dZ = A ∘ (dA - rowsum(dA ∘ A)): the softmax Jacobian applied row by row.
      for (Index r = 0; r < output.rows(); ++r) {
        const Scalar dot = output.row(r).dot(grad_output.row(r));
        grad_input.row(r).array() = output.row(r).array() * (grad_output.row(r).array() - dot);
      }
      break;
  }
}

}  // namespace fastmlp
