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

constexpr std::array<NamedKind, 8> kActivations{{
    {"linear", ActivationKind::Linear},
    {"sigmoid", ActivationKind::Sigmoid},
    {"tanh", ActivationKind::Tanh},
    {"relu", ActivationKind::Relu},
    {"leaky_relu", ActivationKind::LeakyRelu},
    {"elu", ActivationKind::Elu},
    {"softplus", ActivationKind::Softplus},
    {"softmax", ActivationKind::Softmax},
}};

std::string join_names() {
  std::string all;
  for (const auto& a : kActivations) all += (all.empty() ? "" : ", ") + std::string(a.name);
  return all;
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

Scalar Activation::default_alpha_for(ActivationKind kind) {
  switch (kind) {
    case ActivationKind::LeakyRelu: return 0.2f;
    case ActivationKind::Elu: return 1.0f;
    default: return 0.0f;
  }
}

Activation Activation::from_name(const std::string& name) {
  std::string key = name == "None" || name.empty() ? "linear" : name;
  if (key == "leaky_relu" || key == "LeakyReLU") key = "leaky_relu";
  for (const auto& a : kActivations)
    if (key == a.name) return Activation(a.kind);
  throw std::invalid_argument("unknown activation '" + name + "'; valid names are: " + join_names());
}

std::vector<std::string> Activation::names() {
  std::vector<std::string> all;
  for (const auto& a : kActivations) all.emplace_back(a.name);
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

void Activation::apply(MatrixMap values, const Scalar* bias) const {
  if (kind_ == ActivationKind::Linear && bias == nullptr) return;
  parallel_for(values.rows(), values.cols(),
               [&](Index first, Index end) { apply_rows(row_block(values, first, end), bias); });
}

void Activation::backward(ConstMatrixMap output, ConstMatrixMap grad_output, MatrixMap grad_input) const {
  parallel_for(output.rows(), output.cols(), [&](Index first, Index end) {
    backward_rows(row_block(output, first, end), row_block(grad_output, first, end),
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
    case ActivationKind::Relu: z = z.max(Scalar(0)); break;
    case ActivationKind::LeakyRelu: z = (z > 0).select(z, alpha_ * z); break;
    case ActivationKind::Elu: z = (z > 0).select(z, alpha_ * (z.exp() - 1)); break;
    // log(1 + e^z) = max(z, 0) + log1p(e^-|z|): never overflows, keeps precision for z << 0.
    case ActivationKind::Softplus: z = z.max(Scalar(0)) + (-z.abs()).exp().log1p(); break;
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

void Activation::backward_rows(ConstMatrixMap output, ConstMatrixMap grad_output, MatrixMap grad_input) const {
  const auto a = output.array();
  const auto g = grad_output.array();
  auto dz = grad_input.array();
  switch (kind_) {
    case ActivationKind::Linear: dz = g; break;
    case ActivationKind::Sigmoid: dz = g * a * (1 - a); break;       // σ' = σ(1 - σ)
    case ActivationKind::Tanh: dz = g * (1 - a.square()); break;     // tanh' = 1 - tanh²
    case ActivationKind::Relu: dz = (a > 0).select(g, Scalar(0)); break;
    case ActivationKind::LeakyRelu: dz = (a > 0).select(g, alpha_ * g); break;
    case ActivationKind::Elu: dz = (a > 0).select(g, g * (a + alpha_)); break;  // α e^z = A + α
    case ActivationKind::Softplus: dz = g * -(-a).expm1(); break;   // σ(z) = 1 - e^-A
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
