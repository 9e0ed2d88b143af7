#include "fastmlp/graph/graph.hpp"

#include <algorithm>
#include <stdexcept>

namespace fastmlp::graph {

template <class Scalar>
GraphOf<Scalar>::GraphOf(const GraphSpec& spec) : spec_(spec) {
  const auto& nodes = spec_.nodes();
  const size_t n = nodes.size();
  primitives_.resize(n);
  storage_.resize(n);
  grad_storage_.resize(n);
  scratch_.resize(n);
  values_.assign(n, nullptr);
  grads_.assign(n, nullptr);
  dims_.resize(n);
  needs_grad_.assign(n, 0);
  weight_grads_.assign(spec_.weights().size(), nullptr);
  size_t widest = 0;
  for (size_t i = 0; i < n; ++i) {
    const NodeSpec& node = nodes[i];
    widest = std::max(widest, node.inputs.size());
    if (node.op == "constant") {
      const std::vector<double>& values = spec_.constant(static_cast<int>(i));
      storage_[i].assign(values.begin(), values.end());
      values_[i] = storage_[i].data();
      dims_[i] = node.shape;
    } else if (node.op == "weight") {
      dims_[i] = node.shape;
    } else if (node.op != "input") {
      primitives_[i] = make_primitive<Scalar>(node.op, node.attrs);
    }
  }
  args_.resize(widest);
  grad_args_.resize(widest);
}

template <class Scalar>
void GraphOf<Scalar>::bind_weight(size_t weight, const Scalar* value, Scalar* gradient) {
  const auto& nodes = spec_.nodes();
  for (size_t i = 0; i < nodes.size(); ++i)
    if (nodes[i].op == "weight" && static_cast<size_t>(spec_.slot(static_cast<int>(i))) == weight)
      values_[i] = value;
  weight_grads_.at(weight) = gradient;
}

template <class Scalar>
void GraphOf<Scalar>::reserve(Index rows) {
  if (rows <= capacity_) return;
  const auto& nodes = spec_.nodes();
  for (size_t i = 0; i < nodes.size(); ++i) {
    const NodeSpec& node = nodes[i];
    const Dims largest = node.shape.concrete(rows);
    if (node.op != "constant" && node.op != "weight" && node.op != "input") {
      storage_[i].resize(largest.size());
      std::vector<Dims> inputs;
      for (int input : node.inputs) inputs.push_back(nodes[input].shape.concrete(rows));
      scratch_[i].resize(primitives_[i]->scratch_size(inputs, largest));
    }
    if (node.op != "weight") grad_storage_[i].resize(largest.size());
  }
  capacity_ = rows;
}

template <class Scalar>
void GraphOf<Scalar>::forward(const Scalar* const* inputs, Index rows) {
  reserve(rows);
  rows_ = rows;
  const auto& nodes = spec_.nodes();
  for (size_t i = 0; i < nodes.size(); ++i) {
    const NodeSpec& node = nodes[i];
    if (node.op == "constant" || node.op == "weight") continue;
    dims_[i] = node.shape.concrete(rows);
    if (node.op == "input") {
      values_[i] = inputs[spec_.slot(static_cast<int>(i))];
      continue;
    }
    for (size_t k = 0; k < node.inputs.size(); ++k) args_[k] = {values_[node.inputs[k]], dims_[node.inputs[k]]};
    primitives_[i]->forward(args_.data(), {storage_[i].data(), dims_[i]}, scratch_[i].data());
    values_[i] = storage_[i].data();
  }
}

template <class Scalar>
ConstTensorOf<Scalar> GraphOf<Scalar>::output(size_t i) const {
  return value(spec_.outputs().at(i));
}

template <class Scalar>
ConstTensorOf<Scalar> GraphOf<Scalar>::value(int node) const {
  return {values_.at(node), dims_.at(node)};
}

template <class Scalar>
void GraphOf<Scalar>::backward(const Scalar* const* output_grads, const std::vector<bool>& need_input_grad) {
  const auto& nodes = spec_.nodes();
  // Which nodes a gradient must reach: those that lead from a weight with a gradient buffer or an
  // input whose gradient is asked for, through differentiable edges.
  for (size_t i = 0; i < nodes.size(); ++i) {
    const NodeSpec& node = nodes[i];
    char needed = 0;
    if (node.op == "weight") {
      needed = weight_grads_[spec_.slot(static_cast<int>(i))] != nullptr;
    } else if (node.op == "input") {
      const auto index = static_cast<size_t>(spec_.slot(static_cast<int>(i)));
      needed = index < need_input_grad.size() && need_input_grad[index];
    } else if (node.op != "constant") {
      for (size_t k = 0; k < node.inputs.size() && !needed; ++k)
        needed = needs_grad_[node.inputs[k]] && primitives_[i]->differentiable(k);
    }
    needs_grad_[i] = needed;
    grads_[i] = nullptr;
    if (!needed) continue;
    const Index size = dims_[i].size();
    grads_[i] = node.op == "weight" ? weight_grads_[spec_.slot(static_cast<int>(i))]
                                    : grad_storage_[i].data();
    std::fill(grads_[i], grads_[i] + size, Scalar(0));
  }
  // Bound weight gradients that no path reaches are still overwritten: with zeros.
  for (size_t w = 0; w < weight_grads_.size(); ++w) {
    if (weight_grads_[w] == nullptr) continue;
    bool reached = false;
    for (size_t i = 0; i < nodes.size(); ++i)
      reached = reached || (nodes[i].op == "weight" && grads_[i] == weight_grads_[w]);
    if (!reached) std::fill(weight_grads_[w], weight_grads_[w] + spec_.weights()[w].shape.size(), Scalar(0));
  }
  const auto& outputs = spec_.outputs();
  for (size_t k = 0; k < outputs.size(); ++k) {
    Scalar* g = grads_[outputs[k]];
    if (output_grads[k] == nullptr || g == nullptr) continue;
    const Index size = dims_[outputs[k]].size();
    for (Index j = 0; j < size; ++j) g[j] += output_grads[k][j];
  }
  for (size_t i = nodes.size(); i-- > 0;) {
    const NodeSpec& node = nodes[i];
    if (!primitives_[i] || !needs_grad_[i]) continue;
    bool any = false;
    for (size_t k = 0; k < node.inputs.size(); ++k) {
      const int input = node.inputs[k];
      args_[k] = {values_[input], dims_[input]};
      const bool flows = needs_grad_[input] && primitives_[i]->differentiable(k);
      grad_args_[k] = {flows ? grads_[input] : nullptr, dims_[input]};
      any = any || flows;
    }
    if (!any) continue;
    primitives_[i]->backward(args_.data(), {values_[i], dims_[i]}, {grads_[i], dims_[i]}, grad_args_.data(),
                             scratch_[i].data());
  }
}

template <class Scalar>
const Scalar* GraphOf<Scalar>::input_gradient(size_t i) const {
  return grads_.at(spec_.inputs().at(i));
}

template class GraphOf<float>;
template class GraphOf<double>;

}  // namespace fastmlp::graph
