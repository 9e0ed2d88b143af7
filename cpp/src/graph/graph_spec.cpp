#include "fastmlp/graph/graph_spec.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>

#include "fastmlp/graph/primitive.hpp"

namespace fastmlp::graph {
namespace {

Config dims_config(const Dims& dims) {
  Config::Array items;
  for (int i = 0; i < dims.rank; ++i) items.emplace_back(static_cast<std::int64_t>(dims.d[i]));
  return items;
}

Dims dims_from(const Config& config, const std::string& what) {
  std::vector<Index> dims;
  for (const Config& item : config.as_array(what)) {
    const std::int64_t d = item.as_integer(what, -(std::int64_t{1} << 40));
    if (d > (std::int64_t{1} << 40)) throw ConfigError(what + ": dimension " + std::to_string(d) + " is too large");
    dims.push_back(static_cast<Index>(d));
  }
  return Dims::of(dims, what);
}

// JSON has no NaN or infinity, which constants may hold (a mask of -inf): they are written as text.
Config number_config(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  return value;
}

double number_from(const Config& config, const std::string& what) {
  if (config.is_string()) {
    const std::string& text = config.as_string(what);
    if (text == "nan") return std::numeric_limits<double>::quiet_NaN();
    if (text == "inf") return std::numeric_limits<double>::infinity();
    if (text == "-inf") return -std::numeric_limits<double>::infinity();
  }
  return config.as_number(what);
}

// Elements a constant or weight of this shape may hold, so that a hostile file cannot make a graph
// allocate out of proportion to its own size (a constant's values are in the file; a weight's
// tensor is checked against the file's tensor table by the owner).
constexpr Index kMaxElements = Index{1} << 31;

}  // namespace

int GraphSpec::push(NodeSpec node) {
  const bool indexed = node.op == "input" || node.op == "weight";
  slots_.push_back(indexed ? static_cast<int>(node.attrs.at("index").as_integer("index")) : -1);
  constants_.emplace_back();
  nodes_.push_back(std::move(node));
  return static_cast<int>(nodes_.size()) - 1;
}

int GraphSpec::add_input(const Dims& shape) {
  if (shape.rank < 1 || shape.d[0] != -1) throw std::invalid_argument("a graph input's first axis is the batch");
  for (int i = 1; i < shape.rank; ++i)
    if (shape.d[i] < 1) throw std::invalid_argument("a graph input's axes after the first must be positive");
  if (shape.concrete(1).size() > kMaxElements) throw std::invalid_argument("a graph input is too large");
  inputs_.push_back(push({"input", {}, Config::Object{{"index", static_cast<std::int64_t>(inputs_.size())}}, shape}));
  return inputs_.back();
}

int GraphSpec::add_weight(WeightSpec weight) {
  if (weight.shape.batched() || weight.shape.size() > kMaxElements)
    throw std::invalid_argument("weight '" + weight.name + "': shape " + weight.shape.str() + " is not a weight's");
  const Dims shape = weight.shape;
  weights_.push_back(std::move(weight));
  return push({"weight", {}, Config::Object{{"index", static_cast<std::int64_t>(weights_.size() - 1)}}, shape});
}

int GraphSpec::add_constant(const std::vector<double>& values, const Dims& shape) {
  if (shape.batched() || static_cast<Index>(values.size()) != shape.size())
    throw std::invalid_argument("a constant of shape " + shape.str() + " needs " + std::to_string(shape.size()) +
                                " values, got " + std::to_string(values.size()));
  Config::Array items;
  items.reserve(values.size());
  for (double v : values) items.push_back(number_config(v));
  const int id = push({"constant", {}, Config::Object{{"values", std::move(items)}}, shape});
  constants_[id] = values;
  return id;
}

int GraphSpec::add(const std::string& op, const std::vector<int>& inputs, const Config& attrs) {
  std::vector<Dims> shapes;
  for (int input : inputs) {
    if (input < 0 || input >= static_cast<int>(nodes_.size()))
      throw std::invalid_argument(op + ": input " + std::to_string(input) + " is not an earlier node");
    shapes.push_back(nodes_[input].shape);
  }
  const Dims shape = make_primitive<double>(op, attrs)->output_shape(shapes);
  for (int i = 0; i < shape.rank; ++i)
    if (shape.d[i] == 0) throw std::invalid_argument(op + ": the result " + shape.str() + " is empty");
  return push({op, inputs, attrs, shape});
}

void GraphSpec::set_outputs(const std::vector<int>& outputs) {
  for (int output : outputs)
    if (output < 0 || output >= static_cast<int>(nodes_.size()))
      throw std::invalid_argument("graph output " + std::to_string(output) + " is not a node");
  outputs_ = outputs;
}

const Dims& GraphSpec::shape(int node) const {
  if (node < 0 || node >= static_cast<int>(nodes_.size()))
    throw std::invalid_argument("node " + std::to_string(node) + " is not in the graph");
  return nodes_[node].shape;
}

Config GraphSpec::to_config() const {
  Config::Array weights, nodes, outputs;
  for (const WeightSpec& w : weights_)
    weights.push_back(Config::Object{{"name", w.name}, {"shape", dims_config(w.shape)}, {"initializer", w.initializer},
                                     {"regularizer", w.regularizer}, {"constraint", w.constraint},
                                     {"trainable", w.trainable}});
  for (const NodeSpec& node : nodes_) {
    Config::Object item{{"op", node.op}};
    if (node.op == "input" || node.op == "constant") item.emplace_back("shape", dims_config(node.shape));
    if (node.op == "constant") {
      item.emplace_back("values", node.attrs.at("values"));
    } else if (node.op != "input" && node.op != "weight") {
      Config::Array inputs;
      for (int input : node.inputs) inputs.emplace_back(static_cast<std::int64_t>(input));
      item.emplace_back("inputs", std::move(inputs));
      item.emplace_back("attrs", node.attrs);
    } else if (node.op == "weight") {
      item.emplace_back("index", node.attrs.at("index"));
    }
    nodes.push_back(std::move(item));
  }
  for (int output : outputs_) outputs.emplace_back(static_cast<std::int64_t>(output));
  return Config::Object{{"weights", std::move(weights)}, {"nodes", std::move(nodes)}, {"outputs", std::move(outputs)}};
}

GraphSpec GraphSpec::from_config(const Config& config, const std::string& what) {
  GraphSpec spec;
  std::vector<WeightSpec> weights;
  for (const Config& w : config.at("weights").as_array(what + " weights")) {
    WeightSpec weight;
    weight.name = w.at("name").as_string(what + " weight name");
    weight.shape = dims_from(w.at("shape"), what + " weight shape");
    weight.initializer = w.at("initializer");
    const Config* regularizer = w.find("regularizer");
    weight.regularizer = regularizer ? *regularizer : Config();
    const Config* constraint = w.find("constraint");
    weight.constraint = constraint ? *constraint : Config();
    weight.trainable = w.at("trainable").as_bool(what + " weight trainable");
    weights.push_back(std::move(weight));
  }
  std::vector<bool> weight_used(weights.size(), false);
  for (const Config& node : config.at("nodes").as_array(what + " nodes")) {
    const std::string& op = node.at("op").as_string(what + " op");
    if (op == "input") {
      spec.add_input(dims_from(node.at("shape"), what + " input shape"));
    } else if (op == "weight") {
      const std::int64_t index = node.at("index").as_integer(what + " weight index");
      if (index >= static_cast<std::int64_t>(weights.size()) || weight_used[index])
        throw ConfigError(what + ": weight node " + std::to_string(index) + " is not a weight or is repeated");
      weight_used[index] = true;
      // Weights are listed in the order their nodes come, as tracing makes them.
      if (index != static_cast<std::int64_t>(spec.weights_.size()))
        throw ConfigError(what + ": weight nodes must come in the weights' order");
      spec.add_weight(weights[index]);
    } else if (op == "constant") {
      const Dims shape = dims_from(node.at("shape"), what + " constant shape");
      const Config::Array& items = node.at("values").as_array(what + " constant values");
      std::vector<double> values;
      values.reserve(items.size());
      for (const Config& item : items) values.push_back(number_from(item, what + " constant value"));
      spec.add_constant(values, shape);
    } else {
      std::vector<int> inputs;
      for (const Config& input : node.at("inputs").as_array(what + " op inputs"))
        inputs.push_back(static_cast<int>(input.as_integer(what + " op input", 0)));
      spec.add(op, inputs, node.at("attrs"));
    }
  }
  if (spec.weights_.size() != weights.size()) throw ConfigError(what + ": a weight has no node");
  std::vector<int> outputs;
  for (const Config& output : config.at("outputs").as_array(what + " outputs"))
    outputs.push_back(static_cast<int>(output.as_integer(what + " output", 0)));
  spec.set_outputs(outputs);
  return spec;
}

}  // namespace fastmlp::graph
