// What a traced graph computes: its inputs, weights, constants and primitives in order, with every
// node's (symbolic) shape. fastmlp.ops records into one while Python traces a layer's call, a loss
// or a metric; a layer, loss or metric then runs it (graph.hpp) and model files keep it in the
// owner's config, so a model with users' own layers loads and runs in C++ without Python.
#pragma once

#include <string>
#include <vector>

#include "fastmlp/config.hpp"
#include "fastmlp/graph/dims.hpp"

namespace fastmlp::graph {

// A weight the graph reads: Keras's add_weight(shape, initializer, trainable, name, regularizer).
struct WeightSpec {
  std::string name;
  Dims shape;
  Config initializer;  // a serialized initializer ("glorot_uniform", {"class_name": ...})
  Config regularizer;  // null, or a serialized regularizer
  Config constraint;   // null, or a serialized constraint (applied after each optimizer step)
  bool trainable = true;
};

struct NodeSpec {
  std::string op;  // "input", "weight", "constant" or a primitive's name
  std::vector<int> inputs;
  Config attrs;    // "index" for inputs and weights; "values" for constants; the primitive's own
  Dims shape;
};

class GraphSpec {
 public:
  // Each returns the new node's id. Inputs must be batched (their first dimension the batch).
  int add_input(const Dims& shape);
  int add_weight(WeightSpec weight);
  int add_constant(const std::vector<double>& values, const Dims& shape);
  // A primitive applied to earlier nodes: its shape is inferred here, so a shape mistake is an
  // std::invalid_argument while tracing, naming the op and the shapes.
  int add(const std::string& op, const std::vector<int>& inputs, const Config& attrs);
  void set_outputs(const std::vector<int>& outputs);

  const Dims& shape(int node) const;
  const std::vector<NodeSpec>& nodes() const { return nodes_; }
  const std::vector<WeightSpec>& weights() const { return weights_; }
  const std::vector<int>& inputs() const { return inputs_; }
  const std::vector<int>& outputs() const { return outputs_; }
  // A constant node's values; an input's or weight node's index among the inputs or weights.
  const std::vector<double>& constant(int node) const { return constants_.at(node); }
  int slot(int node) const { return slots_.at(node); }

  // The config form model files hold, and back (validated as the calls above validate).
  Config to_config() const;
  static GraphSpec from_config(const Config& config, const std::string& what);
  bool operator==(const GraphSpec& other) const { return to_config() == other.to_config(); }

 private:
  int push(NodeSpec node);

  std::vector<NodeSpec> nodes_;
  std::vector<std::vector<double>> constants_;  // per node: a constant's values, else empty
  std::vector<int> slots_;                      // per node: an input's or weight's index, else -1
  std::vector<WeightSpec> weights_;
  std::vector<int> inputs_;   // node ids of the inputs, in order
  std::vector<int> outputs_;
};

}  // namespace fastmlp::graph
