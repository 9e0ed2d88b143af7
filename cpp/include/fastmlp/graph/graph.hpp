// Runs a traced graph (graph_spec.hpp) forward and backward (reverse mode) in one scalar type.
//
// Inputs and weights are read where their owners keep them (no copy); every other node has a value
// buffer, and a gradient buffer where a gradient flows, sized by reserve() for the largest batch so
// that passes allocate nothing. A pass runs without Python and without the GIL.
#pragma once

#include <vector>

#include "fastmlp/graph/graph_spec.hpp"
#include "fastmlp/graph/primitive.hpp"

namespace fastmlp::graph {

template <class Scalar>
class GraphOf {
 public:
  explicit GraphOf(const GraphSpec& spec);

  // Where weight i lives (its Keras shape's elements, row-major) and where its gradient goes (null:
  // no gradient, such as a frozen weight). Set before the first pass.
  void bind_weight(size_t weight, const Scalar* value, Scalar* gradient);
  // Sizes the buffers for batches of up to `rows` rows; passes with more rows reserve again.
  void reserve(Index rows);

  // Computes every node for inputs of `rows` rows (input i at inputs[i], its concrete shape's
  // elements row-major).
  void forward(const Scalar* const* inputs, Index rows);
  ConstTensorOf<Scalar> output(size_t i) const;
  // The value of any node after forward (for tests).
  ConstTensorOf<Scalar> value(int node) const;

  // After forward: from dL/d output_i (output_grads[i], null for an output that does not reach the
  // loss), overwrites every bound weight gradient and, for inputs with need_input_grad[i], the
  // gradient input_gradient(i) returns.
  void backward(const Scalar* const* output_grads, const std::vector<bool>& need_input_grad);
  const Scalar* input_gradient(size_t i) const;

  const GraphSpec& spec() const { return spec_; }

 private:
  GraphSpec spec_;
  std::vector<PrimitivePtrOf<Scalar>> primitives_;  // null for inputs, weights and constants
  std::vector<std::vector<Scalar>> storage_;        // op nodes' values; constants' values
  std::vector<std::vector<Scalar>> grad_storage_;   // gradients of op nodes and inputs
  std::vector<std::vector<Scalar>> scratch_;
  std::vector<const Scalar*> values_;               // where each node's value is this pass
  std::vector<Scalar*> grads_;                      // where each node's gradient goes (null: none)
  std::vector<Scalar*> weight_grads_;
  std::vector<Dims> dims_;                          // concrete shapes this pass
  std::vector<char> needs_grad_;
  std::vector<ConstTensorOf<Scalar>> args_;         // one node's inputs, refilled per node
  std::vector<TensorOf<Scalar>> grad_args_;
  Index capacity_ = 0;
  Index rows_ = 0;
};

}  // namespace fastmlp::graph
