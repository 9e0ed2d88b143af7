#include "fastmlp/layers/dense.hpp"

#include "fastmlp/gemm.hpp"
#include "fastmlp/memory.hpp"

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "fastmlp/parallel.hpp"

namespace fastmlp {

template <class Scalar>
DenseOf<Scalar>::DenseOf(const Options& options) : DescribedBase(options), units_(options.units), outputs_(options.units) {
  if (options.units <= 0)
    throw std::invalid_argument("Dense units must be a positive integer, got " + std::to_string(options.units));
  if (!options.activation) throw std::invalid_argument("Dense activation is null; use linear_activation()");
  try {
    outputs_ = options.activation->output_width(units_);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument("Dense units: " + std::string(e.what()));
  }
  if (!options.kernel_initializer || !options.bias_initializer)
    throw std::invalid_argument("Dense kernel_initializer and bias_initializer are required");
  check_constraint(options.kernel_constraint, 2, "Dense kernel_constraint");
  check_constraint(options.bias_constraint, 1, "Dense bias_constraint");
}

namespace {
DenseOptions dense_options(Index units, ActivationPtr activation) {
  DenseOptions options;
  options.units = units;
  options.activation = std::move(activation);
  return options;
}
}  // namespace

template <class Scalar>
DenseOf<Scalar>::DenseOf(Index units, ActivationPtr activation) : DenseOf(dense_options(units, std::move(activation))) {}

template <class Scalar>
void DenseOf<Scalar>::build(Index input_dim, Rng& rng) {
  if (input_dim <= 0) throw std::invalid_argument("Dense input dimension must be positive, got " + std::to_string(input_dim));
  try {
    explain_allocation_failure(
        [&] {
          kernel_.resize(input_dim, units_);
          kernel_grad_.setZero(input_dim, units_);
          if (options_.use_bias) {
            bias_.resize(1, units_);
            bias_grad_.setZero(1, units_);
          }
        },
        [&] {
          return "its kernel of shape (" + std::to_string(input_dim) + ", " + std::to_string(units_) +
                 ") and the kernel's gradient need " +
                 byte_count(2.0 * sizeof(Scalar) * static_cast<double>(input_dim) * static_cast<double>(units_));
        });
  } catch (const std::bad_alloc&) {
    kernel_.resize(0, 0);  // unbuilt, not half built: the layer can still join a smaller model
    kernel_grad_.resize(0, 0);
    throw;
  }
  inputs_ = input_dim;
  options_.kernel_initializer->fill(kernel_, inputs_, units_, rng);
  if (options_.use_bias) options_.bias_initializer->fill(bias_, units_, units_, rng);
}

template <class Scalar>
void DenseOf<Scalar>::reserve_batch(Index max_batch) {
  if (output_.rows() == max_batch) return;
  const double wide = 1 + activation().needs_preactivation(), narrow = 1 + has_activity_penalty();
  explain_allocation_failure(
      [&] {
        if (activation().needs_preactivation()) preact_.resize(max_batch, units_);
        if (has_activity_penalty()) activity_grad_.resize(max_batch, outputs_);
        grad_preact_.resize(max_batch, units_);
        grad_input_.resize(max_batch, inputs_);
        output_.resize(max_batch, outputs_);  // last: its size says that all of them are reserved
      },
      [&] {
        const double rows = static_cast<double>(max_batch);
        const double columns = wide * static_cast<double>(units_) + narrow * static_cast<double>(outputs_) +
                               static_cast<double>(inputs_);
        return "its buffers for batches of " + std::to_string(max_batch) + " rows need " +
               byte_count(sizeof(Scalar) * rows * columns);
      });
}

template <class Scalar>
void DenseOf<Scalar>::affine_activate(ConstMatrixMapOf<Scalar> input, MatrixMapOf<Scalar> output, const Activation& activation) const {
  if (input.cols() != inputs_)
    throw std::invalid_argument("Dense expected " + std::to_string(inputs_) + " input features, got " +
                                std::to_string(input.cols()));
  multiply(input, Op::Plain, top_rows(kernel_, inputs_), Op::Plain, output);  // X W: (n, in) x (in, units)
  activation.apply(output, options_.use_bias ? bias_.data() : nullptr);        // A = f(X W + b), one pass
}

template <class Scalar>
void DenseOf<Scalar>::affine_activate(const CsrRowsOf<Scalar>& input, MatrixMapOf<Scalar> output, const Activation& activation) const {
  if (input.cols != inputs_)
    throw std::invalid_argument("Dense expected " + std::to_string(inputs_) + " input features, got " +
                                std::to_string(input.cols));
  // X W over X's stored entries only: row r of the output sums value * W.row(column) (Eigen's
  // sparse x dense product, parallel over rows with OpenMP for large batches).
  output.noalias() = input.map() * top_rows(kernel_, inputs_);
  activation.apply(output, options_.use_bias ? bias_.data() : nullptr);
}

template <class Scalar>
template <class Affine>
ConstMatrixMapOf<Scalar> DenseOf<Scalar>::forward_with(Index rows, const Affine& affine) {
  if (rows > output_.rows())
    throw std::logic_error("Dense::forward: batch of " + std::to_string(rows) + " rows exceeds the reserved " +
                           std::to_string(output_.rows()));
  MatrixMapOf<Scalar> output = top_rows(output_, rows);
  if (!activation().needs_preactivation()) {
    affine(output, activation());
  } else {
    MatrixMapOf<Scalar> preact = top_rows(preact_, rows);
    affine(preact, *linear_activation());             // Z = XW + b
    activation().apply(as_const_map(preact), output);  // A = f(Z)
  }
  return as_const_map(output);
}

template <class Scalar>
ConstMatrixMapOf<Scalar> DenseOf<Scalar>::forward(ConstMatrixMapOf<Scalar> input, bool /*training*/) {
  return forward_with(input.rows(), [&](MatrixMapOf<Scalar> out, const Activation& f) { affine_activate(input, out, f); });
}

template <class Scalar>
ConstMatrixMapOf<Scalar> DenseOf<Scalar>::forward_sparse(const CsrRowsOf<Scalar>& input, bool /*training*/) {
  return forward_with(input.rows, [&](MatrixMapOf<Scalar> out, const Activation& f) { affine_activate(input, out, f); });
}

template <class Scalar>
ConstMatrixMapOf<Scalar> DenseOf<Scalar>::preactivation_gradient(ConstMatrixMapOf<Scalar> grad, GradientAt at) {
  const Index n = grad.rows();
  const ConstMatrixMapOf<Scalar> z = top_rows(std::as_const(preact_), activation().needs_preactivation() ? n : 0);
  const ConstMatrixMapOf<Scalar> a = top_rows(std::as_const(output_), n);
  const bool activity = has_activity_penalty();
  if (!activity && (at == GradientAt::PreActivation || activation().is_linear())) return grad;

  MatrixMapOf<Scalar> grad_z = top_rows(grad_preact_, n);
  const Scalar inv_n = Scalar(1) / static_cast<Scalar>(n);  // the penalty is divided by the batch size
  if (at == GradientAt::Output) {
    if (activity) {
      MatrixMapOf<Scalar> total = top_rows(activity_grad_, n);
      total.setZero();
      add_gradient_of(options_.activity_regularizer, a, total);
      total = grad + inv_n * total;                              // dA + d(penalty / n)/dA
      activation().backward(z, a, as_const_map(total), grad_z);  // dZ = dA ∘ f'(Z)
    } else {
      activation().backward(z, a, grad, grad_z);
    }
  } else {
    // The loss already gave dL/dZ; the activity penalty's dP/dA still goes through f'.
    MatrixMapOf<Scalar> penalty_grad = top_rows(activity_grad_, n);
    penalty_grad.setZero();
    add_gradient_of(options_.activity_regularizer, a, penalty_grad);
    penalty_grad *= inv_n;
    activation().backward(z, a, as_const_map(penalty_grad), grad_z);
    grad_z += grad;
  }
  return as_const_map(grad_z);
}

template <class Scalar>
void DenseOf<Scalar>::finish_gradients(ConstMatrixMapOf<Scalar> grad_z) {
  add_gradient_of(options_.kernel_regularizer, map_of(std::as_const(kernel_)), map_of(kernel_grad_));
  if (options_.use_bias) {
    bias_grad_.noalias() = grad_z.colwise().sum();  // db = 1ᵀ dZ
    add_gradient_of(options_.bias_regularizer, map_of(std::as_const(bias_)), map_of(bias_grad_));
  }
}

template <class Scalar>
ConstMatrixMapOf<Scalar> DenseOf<Scalar>::backward(ConstMatrixMapOf<Scalar> input, ConstMatrixMapOf<Scalar> grad, GradientAt at, bool need_grad_input) {
  const ConstMatrixMapOf<Scalar> grad_z = preactivation_gradient(grad, at);
  multiply(input, Op::Transposed, grad_z, Op::Plain, top_rows(kernel_grad_, inputs_));  // dW = Xᵀ dZ
  finish_gradients(grad_z);
  if (!need_grad_input) return {grad_input_.data(), 0, inputs_};
  MatrixMapOf<Scalar> grad_input = top_rows(grad_input_, input.rows());
  const ConstMatrixMapOf<Scalar> kernel = top_rows(std::as_const(kernel_), inputs_);
  multiply(grad_z, Op::Plain, kernel, Op::Transposed, grad_input);  // dX = dZ Wᵀ
  return as_const_map(grad_input);
}

template <class Scalar>
void DenseOf<Scalar>::backward_sparse(const CsrRowsOf<Scalar>& input, ConstMatrixMapOf<Scalar> grad, GradientAt at) {
  const ConstMatrixMapOf<Scalar> grad_z = preactivation_gradient(grad, at);
  // dW = Xᵀ dZ: zero, then each stored x[r, c] adds x[r, c] * dZ.row(r) to dW.row(c); the rows of
  // columns the batch never stores stay zero, as in the dense product.
  kernel_grad_.noalias() = input.map().transpose() * grad_z;
  finish_gradients(grad_z);
}

// Inference keeps nothing for backward, so even activations that need Z are applied in place; one
// that changes the width (glu) needs Z apart from A, in the calling thread's own buffer, so that
// threads may still predict at once and a chunk allocates only the first time it is seen this wide
// (one buffer per scalar type: each instantiation of this template has its own).
template <class Scalar>
template <class Affine>
void DenseOf<Scalar>::infer_with(Index rows, MatrixMapOf<Scalar> output, const Affine& affine) const {
  if (activation().keeps_width()) return affine(output, activation());
  thread_local std::vector<Scalar> buffer;
  const size_t size = static_cast<size_t>(rows) * static_cast<size_t>(units_);
  if (buffer.size() < size) buffer.resize(size);
  const MatrixMapOf<Scalar> preact(buffer.data(), rows, units_);  // (rows, units) Z
  affine(preact, *linear_activation());
  activation().apply(as_const_map(preact), output);
}

template <class Scalar>
void DenseOf<Scalar>::infer(ConstMatrixMapOf<Scalar> input, MatrixMapOf<Scalar> output) const {
  infer_with(input.rows(), output, [&](MatrixMapOf<Scalar> out, const Activation& f) { affine_activate(input, out, f); });
}
template <class Scalar>
void DenseOf<Scalar>::infer_sparse(const CsrRowsOf<Scalar>& input, MatrixMapOf<Scalar> output) const {
  infer_with(input.rows, output, [&](MatrixMapOf<Scalar> out, const Activation& f) { affine_activate(input, out, f); });
}

template <class Scalar>
double DenseOf<Scalar>::weight_penalty() const {
  return penalty_of(options_.kernel_regularizer, map_of(kernel_)) +
         (options_.use_bias ? penalty_of(options_.bias_regularizer, map_of(bias_)) : 0.0);
}

template <class Scalar>
std::vector<TensorShape> DenseOf<Scalar>::tensor_shapes(Index input_dim) const {
  std::vector<TensorShape> shapes{{"kernel", input_dim, units_}};
  if (options_.use_bias) shapes.push_back({"bias", 1, units_});
  return shapes;
}

template <class Scalar>
std::vector<ParameterOf<Scalar>> DenseOf<Scalar>::parameters() {
  std::vector<ParameterOf<Scalar>> params{{"kernel", &kernel_, &kernel_grad_, options_.kernel_constraint, 2}};
  if (options_.use_bias) params.push_back({"bias", &bias_, &bias_grad_, options_.bias_constraint, 1});
  return params;
}

template class DenseOf<float>;
template class DenseOf<double>;

FASTMLP_REGISTER(DenseOf<float>);
FASTMLP_REGISTER(DenseOf<double>);

}  // namespace fastmlp
