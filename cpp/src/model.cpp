// Model: the graph (inputs, layer calls, outputs), its order, compiling and configuration. The
// training loop and inference are in model_training.cpp.
#include "fastmlp/model.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <numeric>
#include <set>
#include <stdexcept>

#include "fastmlp/layers/model_layer.hpp"
#include "fastmlp/sequential.hpp"
#include "model_allocation.hpp"

namespace fastmlp {
namespace {

std::string unique_input_name(const std::vector<std::string>& taken) {
  for (size_t index = 0;; ++index) {
    const std::string name = index == 0 ? "input_layer" : "input_layer_" + std::to_string(index);
    if (std::find(taken.begin(), taken.end(), name) == taken.end()) return name;
  }
}

std::string widths_text(const std::vector<Index>& widths) {
  std::string text;
  for (const Index w : widths) text += (text.empty() ? "" : ", ") + std::to_string(w);
  return "(" + text + ")";
}

}  // namespace

Index features_of(const std::vector<Index>& shape) {
  Index features = 1;
  for (const Index d : shape) {
    if (d < 1) throw std::invalid_argument("input shape dimensions must be >= 1, got " + std::to_string(d));
    if (features > std::numeric_limits<Index>::max() / d)
      throw std::invalid_argument("an input shape of more than 2^63 values per sample is too large");
    features *= d;
  }
  return features;
}

template <class Scalar>
ModelOf<Scalar>::ModelOf(std::uint64_t seed) : rng_(seed) {}
template <class Scalar>
ModelOf<Scalar>::~ModelOf() = default;
template <class Scalar>
ModelOf<Scalar>::ModelOf(ModelOf<Scalar>&&) noexcept = default;
template <class Scalar>
ModelOf<Scalar>& ModelOf<Scalar>::operator=(ModelOf<Scalar>&&) noexcept = default;

template <class Scalar>
typename ModelOf<Scalar>::StructureHold ModelOf<Scalar>::hold_structure() const {
  StructureHold holds;
  holds.push_back(lock_.read());
  // A model used as a layer is read by this one's passes: its structure must hold still too.
  for (const auto& layer : layers_)
    if (const auto* nested = dynamic_cast<const ModelLayerOf<Scalar>*>(layer.get()))
      for (ModelLock::Hold& hold : nested->model()->hold_structure()) holds.push_back(std::move(hold));
  return holds;
}

// ---- the graph ----------------------------------------------------------------------------------------
template <class Scalar>
Tensor ModelOf<Scalar>::input(std::vector<Index> shape, std::string name) {
  const auto changing = lock_.write("input");
  if (!nodes_.empty()) throw std::invalid_argument("Model.input: declare every input before the first call");
  if (shape.empty()) throw std::invalid_argument("Model.input: an input needs a shape, such as {16}");
  features_of(shape);
  std::vector<std::string> taken;
  for (const Input& input : inputs_) taken.push_back(input.name);
  if (name.empty()) name = unique_input_name(taken);
  if (std::find(taken.begin(), taken.end(), name) != taken.end())
    throw std::invalid_argument("Model.input: two inputs are named '" + name + "'");
  inputs_.push_back({std::move(name), std::move(shape)});
  return Tensor{inputs_.size() - 1};
}

template <class Scalar>
Index ModelOf<Scalar>::tensor_width(size_t tensor) const {
  if (tensor < inputs_.size()) return inputs_[tensor].shape.empty() ? 0 : features_of(inputs_[tensor].shape);
  const size_t node = tensor - inputs_.size();
  if (node >= nodes_.size()) throw std::invalid_argument("tensor " + std::to_string(tensor) + " is not in the model");
  return layers_[nodes_[node].layer]->output_dim();
}

template <class Scalar>
Tensor ModelOf<Scalar>::call(std::shared_ptr<LayerOf<Scalar>> layer, const std::vector<Tensor>& inputs) {
  if (!layer) throw std::invalid_argument("Model.call: layer is null");
  const auto changing = lock_.write("call");
  if (!outputs_.empty()) throw std::invalid_argument("Model.call: the model's outputs are already set");
  if (inputs.empty()) throw std::invalid_argument("Model.call: a layer needs at least one input tensor");
  if (!layer->takes_list() && inputs.size() != 1)
    throw std::invalid_argument("a " + layer->class_name() + " layer takes one input, it was called on " +
                                std::to_string(inputs.size()) + "; merge them first (Concatenate, Add, ...)");
  std::vector<Index> widths;
  for (const Tensor& t : inputs) widths.push_back(tensor_width(t.id));
  if (!layer->built()) {
    allocate_for(*layer, widths.front(), "build", [&] { layer->build_inputs(widths, rng_); });
  } else {
    // A built layer (shared with another call or model) keeps its widths.
    bool same = layer->input_count() == widths.size();
    for (size_t i = 0; same && i < widths.size(); ++i) same = layer->input_dim_of(i) == widths[i];
    if (!same) {
      std::vector<Index> built;
      for (size_t i = 0; i < layer->input_count(); ++i) built.push_back(layer->input_dim_of(i));
      throw std::invalid_argument("a " + layer->class_name() + " layer" +
                                  (layer->name().empty() ? "" : " ('" + layer->name() + "')") + " was built for " +
                                  widths_text(built) + " input features, it is called on " + widths_text(widths));
    }
  }
  size_t index = std::find(layers_.begin(), layers_.end(), layer) - layers_.begin();
  if (index == layers_.size()) layers_.push_back(std::move(layer));
  Node node;
  node.layer = index;
  for (const Tensor& t : inputs) node.inputs.push_back(t.id);
  node.list = layers_[index]->takes_list();
  nodes_.push_back(std::move(node));
  return Tensor{inputs_.size() + nodes_.size() - 1};
}

template <class Scalar>
void ModelOf<Scalar>::set_outputs(std::vector<Tensor> outputs) {
  if (outputs.empty()) throw std::invalid_argument("Model.set_outputs: a model needs at least one output");
  const auto changing = lock_.write("set_outputs");
  const size_t first_node = inputs_.size();
  for (const Tensor& t : outputs) {
    if (t.id >= first_node + nodes_.size()) throw std::invalid_argument("Model.set_outputs: an output is not in the model");
    if (t.id < first_node) throw std::invalid_argument("Model.set_outputs: an output must be a layer's output, not an input");
  }
  // Keep the calls some output depends on, in their order; renumber tensors accordingly.
  std::vector<bool> needed(nodes_.size(), false);
  for (const Tensor& t : outputs) needed[t.id - first_node] = true;
  for (size_t k = nodes_.size(); k-- > 0;)
    if (needed[k])
      for (const size_t source : nodes_[k].inputs)
        if (source >= first_node) needed[source - first_node] = true;
  std::vector<size_t> renumber(first_node + nodes_.size());
  std::iota(renumber.begin(), renumber.begin() + static_cast<std::ptrdiff_t>(first_node), size_t{0});
  std::vector<Node> kept;
  for (size_t k = 0; k < nodes_.size(); ++k) {
    if (!needed[k]) continue;
    renumber[first_node + k] = first_node + kept.size();
    kept.push_back(std::move(nodes_[k]));
    for (size_t& source : kept.back().inputs) source = renumber[source];
  }
  nodes_ = std::move(kept);
  outputs_.clear();
  for (const Tensor& t : outputs) outputs_.push_back(renumber[t.id]);
  order_layers();
}

// Keras's order of a functional model's layers (keras.src.ops.function.map_graph): walk back from the
// outputs depth-first, noting the order operations (inputs and layers) are first met; give each call
// its depth (the longest path to an output) and each operation the largest depth of its calls; sort
// by decreasing depth, ties by the order first met. Weights, configs and files follow this order.
template <class Scalar>
void ModelOf<Scalar>::order_layers() {
  const size_t first_node = inputs_.size();
  // Operations: inputs 0..I-1, then layers I.. (by their current index).
  const size_t operations = first_node + layers_.size();
  const auto operation_of = [&](size_t tensor) {
    return tensor < first_node ? tensor : first_node + nodes_[tensor - first_node].layer;
  };
  std::vector<long> first_met(operations, -1);
  long met = 0;
  std::vector<size_t> finished;  // tensors (each call's output, each input) once all they read is done
  std::vector<bool> done(first_node + nodes_.size(), false);
  for (const size_t output : outputs_) {
    std::vector<std::pair<size_t, size_t>> stack;  // (tensor, next input to visit)
    const auto enter = [&](size_t tensor) {
      if (first_met[operation_of(tensor)] < 0) first_met[operation_of(tensor)] = met++;
      stack.emplace_back(tensor, 0);
    };
    if (done[output]) continue;
    enter(output);
    while (!stack.empty()) {
      auto& [tensor, next] = stack.back();
      const std::vector<size_t>* sources = tensor >= first_node ? &nodes_[tensor - first_node].inputs : nullptr;
      if (sources && next < sources->size()) {
        const size_t source = (*sources)[next++];
        if (!done[source]) enter(source);
        continue;
      }
      done[tensor] = true;
      finished.push_back(tensor);
      stack.pop_back();
    }
  }
  std::vector<long> call_depth(first_node + nodes_.size(), 0), operation_depth(operations, 0);
  for (auto it = finished.rbegin(); it != finished.rend(); ++it) {
    const size_t op = operation_of(*it);
    const long depth = std::max(call_depth[*it], operation_depth[op]);
    operation_depth[op] = depth;
    call_depth[*it] = depth;
    if (*it >= first_node)
      for (const size_t source : nodes_[*it - first_node].inputs)
        call_depth[source] = std::max(call_depth[source], depth + 1);
  }
  for (size_t i = 0; i < first_node; ++i)
    if (first_met[i] < 0) first_met[i] = -1, operation_depth[i] = 0;  // an input no output reads
  std::vector<size_t> order(operations);
  std::iota(order.begin(), order.end(), size_t{0});
  // Layers no longer called (dropped with their calls) are left out.
  std::vector<bool> called(layers_.size(), false);
  for (const Node& node : nodes_) called[node.layer] = true;
  order.erase(std::remove_if(order.begin(), order.end(),
                             [&](size_t op) { return op >= first_node && !called[op - first_node]; }),
              order.end());
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (operation_depth[a] != operation_depth[b]) return operation_depth[a] > operation_depth[b];
    return first_met[a] < first_met[b];
  });
  std::vector<std::shared_ptr<LayerOf<Scalar>>> layers;
  std::vector<size_t> new_index(layers_.size());
  entries_.clear();
  for (const size_t op : order) {
    if (op < first_node) {
      entries_.push_back({true, op});
    } else {
      new_index[op - first_node] = layers.size();
      entries_.push_back({false, layers.size()});
      layers.push_back(layers_[op - first_node]);
    }
  }
  layers_ = std::move(layers);
  for (Node& node : nodes_) node.layer = new_index[node.layer];
}

template <class Scalar>
void ModelOf<Scalar>::set_chain(std::vector<std::shared_ptr<LayerOf<Scalar>>> layers, std::vector<Index> shape) {
  sequential_ = true;
  for (const auto& layer : layers) {
    if (!layer) throw std::invalid_argument("Sequential: a layer is null");
    if (layer->takes_list())
      throw std::invalid_argument("a " + layer->class_name() + " layer is called on a list of tensors; a Sequential "
                                  "model passes one tensor from layer to layer (use the functional API)");
  }
  const std::string input_name = inputs_.empty() ? "input_layer" : inputs_[0].name;
  inputs_ = {{input_name, std::move(shape)}};
  layers_ = std::move(layers);
  nodes_.clear();
  entries_.clear();
  outputs_.clear();
  // Widths flow from the input through every layer: build the unbuilt ones once the input's is known.
  Index width = inputs_[0].shape.empty() ? 0 : features_of(inputs_[0].shape);
  for (size_t i = 0; i < layers_.size(); ++i) {
    LayerOf<Scalar>& layer = *layers_[i];
    if (width > 0 && !layer.built()) allocate_for(layer, width, "build", [&] { layer.build(width, rng_); });
    // A layer built earlier (shared with another model) keeps its width; reading a narrower
    // activation buffer as if it were that wide would run past its end.
    if (width > 0 && layer.input_dim() != width)
      throw std::invalid_argument("Sequential: a " + layer.class_name() + " layer was already built for " +
                                  std::to_string(layer.input_dim()) + " inputs, but the layer before it gives " +
                                  std::to_string(width) + " (is it shared with another model?)");
    width = layer.built() ? layer.output_dim() : 0;
    Node node;
    node.layer = i;
    node.inputs = {i};  // the input, then each call's output: tensor i is what layer i reads
    nodes_.push_back(std::move(node));
    entries_.push_back({false, i});
  }
  if (!layers_.empty()) outputs_ = {layers_.size()};
}

template <class Scalar>
Index ModelOf<Scalar>::input_dim(size_t input) const {
  if (!built()) return 0;
  return features_of(inputs_.at(input).shape);
}

template <class Scalar>
Index ModelOf<Scalar>::output_dim(size_t output) const {
  if (output >= outputs_.size()) return 0;
  const LayerOf<Scalar>& last = *layers_[nodes_[outputs_[output] - inputs_.size()].layer];
  return last.built() ? last.output_dim() : 0;
}

template <class Scalar>
std::string ModelOf<Scalar>::output_name(size_t output) const {
  const size_t layer = nodes_.at(outputs_.at(output) - inputs_.size()).layer;
  return layer_name(layer);
}

template <class Scalar>
std::string ModelOf<Scalar>::layer_name(size_t layer) const {
  const std::string& name = layers_.at(layer)->name();
  return name.empty() ? "layer_" + std::to_string(layer) : name;  // an unnamed C++ layer, as configs name it
}

template <class Scalar>
bool ModelOf<Scalar>::built() const {
  if (outputs_.empty() || inputs_.empty()) return false;
  for (const auto& layer : layers_)
    if (!layer->built()) return false;
  for (const Input& input : inputs_)
    if (input.shape.empty()) return false;
  return true;
}

template <class Scalar>
const Activation* ModelOf<Scalar>::final_activation(size_t output) const {
  return layers_[nodes_[outputs_.at(output) - inputs_.size()].layer]->final_activation();
}

template <class Scalar>
bool ModelOf<Scalar>::output_read_inside(size_t output) const {
  for (const Node& node : nodes_)
    for (const size_t source : node.inputs)
      if (source == outputs_.at(output)) return true;
  return false;
}

template <class Scalar>
void ModelOf<Scalar>::require_graph(const char* caller) const {
  if (outputs_.empty())
    throw std::invalid_argument(std::string(caller) + ": the model has no layers or no outputs yet");
  if (!built())
    throw std::invalid_argument(std::string(caller) + ": the model is not built; give it an input shape or fit it first");
}

// ---- compiling ----------------------------------------------------------------------------------------
template <class Scalar>
void ModelOf<Scalar>::compile(LossPtr loss, OptimizerPtr optimizer, std::vector<MetricPtr> metrics) {
  if (!loss) throw std::invalid_argument("compile: loss is required");
  const size_t outputs = std::max<size_t>(1, outputs_.size());
  compile(std::vector<LossPtr>(outputs, loss), std::move(optimizer),
          std::vector<std::vector<MetricPtr>>(outputs, metrics), {});
}

template <class Scalar>
void ModelOf<Scalar>::compile(std::vector<LossPtr> losses, OptimizerPtr optimizer, std::vector<std::vector<MetricPtr>> metrics,
                    std::vector<double> loss_weights) {
  if (!optimizer) throw std::invalid_argument("compile: optimizer is required");
  const size_t outputs = std::max<size_t>(1, outputs_.size());
  if (losses.size() != outputs)
    throw std::invalid_argument("compile: the model has " + std::to_string(outputs) + " outputs, got " +
                                std::to_string(losses.size()) + " losses");
  if (std::none_of(losses.begin(), losses.end(), [](const LossPtr& l) { return l != nullptr; }))
    throw std::invalid_argument("compile: loss is required (for at least one output)");
  if (metrics.empty()) metrics.resize(outputs);
  if (metrics.size() != outputs)
    throw std::invalid_argument("compile: the model has " + std::to_string(outputs) + " outputs, got metrics for " +
                                std::to_string(metrics.size()));
  for (size_t o = 0; o < outputs; ++o)
    for (const auto& metric : metrics[o]) {
      if (!metric) throw std::invalid_argument("compile: a metric is null");
      if (!losses[o]) throw std::invalid_argument("compile: an output without a loss cannot have metrics");
    }
  if (loss_weights.empty()) loss_weights.assign(outputs, 1.0);
  if (loss_weights.size() != outputs)
    throw std::invalid_argument("compile: the model has " + std::to_string(outputs) + " outputs, got " +
                                std::to_string(loss_weights.size()) + " loss weights");
  const auto changing = lock_.write("compile");
  losses_ = std::move(losses);
  optimizer_ = std::move(optimizer);
  metrics_ = std::move(metrics);
  loss_weights_ = std::move(loss_weights);
  if (built()) resolve_metrics();  // metrics the loss cannot feed fail here, not after an epoch
}

template <class Scalar>
void ModelOf<Scalar>::clear_compile() {
  const auto changing = lock_.write("clear_compile");
  losses_.clear();
  optimizer_.reset();
  metrics_.clear();
  loss_weights_.clear();
}

template <class Scalar>
const LossPtr& ModelOf<Scalar>::loss() const {
  static const LossPtr none;
  for (const LossPtr& loss : losses_)
    if (loss) return loss;
  return none;
}

template <class Scalar>
std::vector<MetricPtr> ModelOf<Scalar>::metrics() const {
  std::vector<MetricPtr> all;
  for (const auto& list : metrics_) all.insert(all.end(), list.begin(), list.end());
  return all;
}

template <class Scalar>
std::vector<std::string> ModelOf<Scalar>::log_names() const {
  std::vector<std::string> names{"loss"};
  const bool several = outputs_.size() > 1;
  if (several)
    for (size_t o = 0; o < losses_.size(); ++o)
      if (losses_[o]) names.push_back(output_name(o) + "_loss");
  for (size_t o = 0; o < metrics_.size(); ++o)
    for (const auto& metric : metrics_[o]) names.push_back(several ? output_name(o) + "_" + metric->name() : metric->name());
  return names;
}

template <class Scalar>
std::vector<std::vector<MetricPtr>> ModelOf<Scalar>::resolve_metrics() const {
  std::vector<std::vector<MetricPtr>> resolved(metrics_.size());
  for (size_t o = 0; o < metrics_.size(); ++o)
    for (const auto& metric : metrics_[o]) resolved[o].push_back(metric->resolved_for(metric, *losses_[o], output_dim(o)));
  return resolved;
}

template <class Scalar>
std::vector<ParameterOf<Scalar>> ModelOf<Scalar>::trainable_parameters() {
  std::vector<ParameterOf<Scalar>> params;
  for (auto& layer : layers_)
    if (layer->trainable())
      for (auto& p : layer->parameters()) params.push_back(p);
  return params;
}

template <class Scalar>
Index ModelOf<Scalar>::count_params() {
  Index n = 0;
  for (auto& layer : layers_) n += layer->count_params();
  return n;
}

template <class Scalar>
double ModelOf<Scalar>::weight_penalty() const {
  double total = 0;
  for (const auto& layer : layers_) total += layer->weight_penalty();
  return total;
}

// ---- configuration ------------------------------------------------------------------------------------
namespace {

// A tensor as Keras 3 writes one in inbound_nodes: the output of call `node` of `layer`.
Config keras_tensor(const std::string& layer, std::int64_t node, Index width, const char* dtype) {
  return Config::Object{{"class_name", "__keras_tensor__"},
                        {"config", Config::Object{{"shape", Config::Array{Config(), Config(width)}},
                                                  {"dtype", dtype},
                                                  {"keras_history", Config::Array{layer, node, 0}}}}};
}

Config tensor_reference(const std::string& layer, std::int64_t node) { return Config::Array{layer, node, 0}; }

}  // namespace

template <class Scalar>
Config ModelOf<Scalar>::serialized() const { return Config::Object{{"class_name", class_name()}, {"config", config()}}; }

template <class Scalar>
Config ModelOf<Scalar>::chain_config() const {
  Config::Array layers;
  for (const auto& layer : layers_) layers.push_back(serialize_layer(*layer));
  Config config = Config::Object{{"name", name_}};
  if (!inputs_[0].shape.empty()) config.set("input_shape", options::to_config(inputs_[0].shape));
  config.set("layers", std::move(layers));
  return config;
}

template <class Scalar>
Config ModelOf<Scalar>::config() const {
  if (sequential_) return chain_config();
  const size_t first_node = inputs_.size();
  // Each call's (layer name, node index): a layer's calls are numbered in execution order, as Keras
  // numbers a layer's inbound nodes.
  std::vector<std::pair<std::string, std::int64_t>> producer(first_node + nodes_.size());
  std::vector<std::int64_t> calls_of(layers_.size(), 0);
  std::vector<std::string> names(layers_.size());
  for (size_t j = 0; j < layers_.size(); ++j) names[j] = layer_name(j);
  for (size_t i = 0; i < first_node; ++i) producer[i] = {inputs_[i].name, 0};
  for (size_t k = 0; k < nodes_.size(); ++k)
    producer[first_node + k] = {names[nodes_[k].layer], calls_of[nodes_[k].layer]++};

  Config::Array layers;
  for (const Entry& entry : entries_) {
    if (entry.is_input) {
      Config::Array batch_shape{Config()};
      for (const Index d : inputs_[entry.index].shape) batch_shape.push_back(d);
      layers.push_back(Config::Object{
          {"class_name", "InputLayer"},
          {"config", Config::Object{{"batch_shape", batch_shape}, {"dtype", dtype()}, {"sparse", false},
                                    {"name", inputs_[entry.index].name}}},
          {"name", inputs_[entry.index].name},
          {"inbound_nodes", Config::Array{}}});
      continue;
    }
    const LayerOf<Scalar>& layer = *layers_[entry.index];
    Config::Array inbound;
    for (const Node& node : nodes_) {
      if (node.layer != entry.index) continue;
      Config::Array tensors;
      for (const size_t source : node.inputs)
        tensors.push_back(keras_tensor(producer[source].first, producer[source].second, tensor_width(source), dtype()));
      // Keras writes a merge layer's list as one argument, other layers' tensor as the argument.
      Config::Array args = node.list ? Config::Array{Config(tensors)} : tensors;
      inbound.push_back(Config::Object{{"args", args}, {"kwargs", Config::Object{}}});
    }
    Config item = serialize_layer(layer);
    item.set("name", names[entry.index]);
    item.set("inbound_nodes", std::move(inbound));
    layers.push_back(std::move(item));
  }
  Config::Array input_layers, output_layers;
  for (size_t i = 0; i < first_node; ++i) input_layers.push_back(tensor_reference(inputs_[i].name, 0));
  for (const size_t t : outputs_) output_layers.push_back(tensor_reference(producer[t].first, producer[t].second));
  return Config::Object{{"name", name_},
                        {"trainable", true},
                        {"layers", std::move(layers)},
                        {"input_layers", std::move(input_layers)},
                        {"output_layers", std::move(output_layers)}};
}

}  // namespace fastmlp

namespace fastmlp {
namespace {

// (layer name, node index) of a tensor in Keras 3's form ({"class_name": "__keras_tensor__", "config":
// {"keras_history": [layer, node, tensor]}}) or Keras 2's ([layer, node, tensor, kwargs]).
std::pair<std::string, std::int64_t> history_of(const Config& tensor, const std::string& what) {
  const Config* history = &tensor;
  if (tensor.is_object()) {
    const Config& inner = tensor.at("config");
    history = &inner.at("keras_history");
  }
  const Config::Array& items = history->as_array(what);
  if (items.size() < 3) throw ConfigError(what + " must be [layer, node, tensor]");
  if (items[2].as_integer(what + " tensor index") != 0)
    throw ConfigError(what + " reads output " + std::to_string(items[2].as_integer(what)) + " of layer '" +
                      items[0].as_string(what) + "'; every fastmlp layer has a single output");
  return {items[0].as_string(what + " layer"), items[1].as_integer(what + " node index")};
}

// The tensors of one inbound node: Keras 3's {"args": [tensor] or [[tensors]], "kwargs"} or Keras 2's list.
std::vector<std::pair<std::string, std::int64_t>> inbound_tensors(const Config& node, const std::string& what) {
  std::vector<std::pair<std::string, std::int64_t>> refs;
  const Config::Array* tensors = nullptr;
  if (node.is_object()) {
    const Config::Array& args = node.at("args").as_array(what + " args");
    tensors = &args;
    if (args.size() == 1 && args[0].is_array() && !args[0].as_array(what).empty() &&
        !args[0].as_array(what)[0].is_string())
      tensors = &args[0].as_array(what);  // a merge layer's list
  } else {
    tensors = &node.as_array(what);
  }
  for (const Config& tensor : *tensors) refs.push_back(history_of(tensor, what + " tensor"));
  return refs;
}

// input_layers / output_layers: one [name, node, 0], a list of them, or a dict of them (values in order).
std::vector<std::pair<std::string, std::int64_t>> model_tensors(const Config& value, const std::string& what) {
  std::vector<std::pair<std::string, std::int64_t>> refs;
  if (value.is_object()) {
    for (const auto& [key, item] : value.as_object(what)) refs.push_back(history_of(item, what + " " + key));
  } else {
    const Config::Array& items = value.as_array(what);
    if (!items.empty() && items[0].is_string()) return {history_of(value, what)};
    for (const Config& item : items) refs.push_back(history_of(item, what));
  }
  if (refs.empty()) throw ConfigError(what + " must name at least one tensor");
  return refs;
}

}  // namespace

template <class Scalar>
ModelOf<Scalar> ModelOf<Scalar>::from_config(const Config& config, std::uint64_t seed, const BuildCheck& before_build) {
  for (const auto& [key, unused] : config.as_object("Functional config"))
    if (key != "name" && key != "trainable" && key != "layers" && key != "input_layers" && key != "output_layers")
      throw ConfigError("Functional config has no member '" + key +
                        "'; it holds name, trainable, layers, input_layers and output_layers");
  ModelOf<Scalar> model(seed);
  if (const Config* name = config.find("name")) model.set_name(name->as_string("Functional name"));

  struct Pending {
    std::string layer;
    std::vector<std::pair<std::string, std::int64_t>> inputs;
  };
  std::map<std::string, Config> input_shapes;  // InputLayer name -> batch shape
  std::map<std::string, std::shared_ptr<LayerOf<Scalar>>> layers;
  std::map<std::string, size_t> positions;  // among the layers, InputLayers left out (as files number them)
  std::vector<Pending> pending;  // every call, in the order the config lists them
  for (const Config& entry : config.at("layers").as_array("Functional layers")) {
    const std::string& class_name = entry.at("class_name").as_string("layer class_name");
    const Config& layer_config = entry.at("config");
    std::string name;
    if (const Config* n = entry.find("name")) name = n->as_string("layer name");
    if (name.empty()) name = layer_config.at("name").as_string(class_name + " name");
    if (input_shapes.count(name) || layers.count(name)) throw ConfigError("two layers are named '" + name + "'");
    if (class_name == "InputLayer") {
      const Config* shape = layer_config.find("batch_shape");
      if (!shape) shape = layer_config.find("batch_input_shape");  // Keras 2
      if (!shape) throw ConfigError("InputLayer '" + name + "' has no batch_shape");
      input_shapes[name] = *shape;
      continue;
    }
    const size_t position = layers.size();
    std::shared_ptr<LayerOf<Scalar>> layer =
        layer_from_config<Scalar>(entry, "layer '" + name + "'", nested_check<Scalar>(before_build, std::to_string(position)));
    layer->set_name(name);
    positions[name] = position;
    layers[name] = layer;
    if (const Config* nodes = entry.find("inbound_nodes"))
      for (const Config& node : nodes->as_array("layer '" + name + "' inbound_nodes"))
        pending.push_back({name, inbound_tensors(node, "layer '" + name + "' inbound node")});
  }

  std::map<std::pair<std::string, std::int64_t>, Tensor> tensors;
  for (const auto& [input, node] : model_tensors(config.at("input_layers"), "input_layers")) {
    const auto found = input_shapes.find(input);
    if (found == input_shapes.end() || node != 0) throw ConfigError("input_layers names '" + input + "', which is no InputLayer");
    const Config::Array& batch_shape = found->second.as_array("InputLayer '" + input + "' batch_shape");
    std::vector<Index> shape;
    for (size_t d = 1; d < batch_shape.size(); ++d)
      shape.push_back(batch_shape[d].as_integer("InputLayer '" + input + "' batch_shape", 1));
    tensors[{input, 0}] = model.input(std::move(shape), input);
  }
  // Calls in an order where each comes after the calls it reads (configs list layers in Keras's
  // order, not necessarily that one): repeatedly make every call whose inputs exist.
  std::map<std::string, std::int64_t> calls_made;
  std::vector<bool> made(pending.size(), false);
  for (size_t remaining = pending.size(); remaining > 0;) {
    const size_t before = remaining;
    for (size_t c = 0; c < pending.size(); ++c) {
      if (made[c]) continue;
      std::vector<Tensor> inputs;
      for (const auto& ref : pending[c].inputs) {
        const auto found = tensors.find(ref);
        if (found == tensors.end()) break;
        inputs.push_back(found->second);
      }
      if (inputs.size() != pending[c].inputs.size()) continue;
      // A layer's calls are made in the order its inbound_nodes list them, which their numbers follow.
      const std::int64_t node_index = calls_made[pending[c].layer];
      bool earlier_pending = false;
      for (size_t e = 0; e < c; ++e) earlier_pending = earlier_pending || (!made[e] && pending[e].layer == pending[c].layer);
      if (earlier_pending) continue;
      const std::shared_ptr<LayerOf<Scalar>>& layer = layers.at(pending[c].layer);
      if (before_build && !layer->built()) {
        std::vector<Index> widths;
        for (const Tensor& t : inputs) widths.push_back(model.tensor_width(t.id));
        before_build(std::to_string(positions.at(pending[c].layer)), *layer, widths);
      }
      tensors[{pending[c].layer, node_index}] = model.call(layer, inputs);
      ++calls_made[pending[c].layer];
      made[c] = true;
      --remaining;
    }
    if (remaining == before)
      throw ConfigError("the layers' inbound nodes refer to tensors no layer produces, or form a cycle");
  }
  std::vector<Tensor> outputs;
  for (const auto& ref : model_tensors(config.at("output_layers"), "output_layers")) {
    const auto found = tensors.find(ref);
    if (found == tensors.end()) throw ConfigError("output_layers names '" + ref.first + "', which no call produces");
    outputs.push_back(found->second);
  }
  model.set_outputs(std::move(outputs));
  return model;
}

template <class Scalar>
ModelOf<Scalar> model_from_config(const Config& serialized, std::uint64_t seed,
                                  const typename ModelOf<Scalar>::BuildCheck& before_build) {
  const std::string& class_name = serialized.at("class_name").as_string("model class_name");
  const Config& config = serialized.at("config");
  if (class_name == "Sequential") return SequentialOf<Scalar>::from_config(config, seed, before_build);
  if (class_name == "Functional" || class_name == "Model") return ModelOf<Scalar>::from_config(config, seed, before_build);
  throw ConfigError("a model of class '" + class_name + "' cannot be read; fastmlp reads Sequential and Functional "
                    "models (a subclassed Keras model has no config to read)");
}

// ---- compile configuration ----------------------------------------------------------------------------
template <class Scalar>
Config ModelOf<Scalar>::compile_config() const {
  if (!compiled()) return Config();
  const bool several = losses_.size() > 1;
  Config::Array losses, metrics, weights;
  for (size_t o = 0; o < losses_.size(); ++o) {
    losses.push_back(losses_[o] ? serialize(*losses_[o]) : Config());
    Config::Array list;
    for (const auto& metric : metrics_[o]) list.push_back(serialize(*metric));
    metrics.push_back(std::move(list));
    weights.push_back(loss_weights_[o]);
  }
  Config config = Config::Object{{"loss", several ? Config(losses) : losses[0]},
                                 {"optimizer", serialize(*optimizer_)},
                                 {"metrics", several ? Config(metrics) : metrics[0]}};
  if (several || loss_weights_[0] != 1.0) config.set("loss_weights", several ? Config(weights) : weights[0]);
  return config;
}

template <class Scalar>
void ModelOf<Scalar>::compile_from_config(const Config& config) {
  for (const auto& [key, unused] : config.as_object("compile config"))
    if (key != "loss" && key != "optimizer" && key != "metrics" && key != "loss_weights")
      throw ConfigError("compile config has no member '" + key + "'; it holds loss, optimizer, metrics and loss_weights");
  const size_t outputs = std::max<size_t>(1, outputs_.size());
  const bool several = outputs > 1;
  const auto per_output = [&](const Config* value, const char* what) {
    std::vector<Config> items(outputs);
    if (value == nullptr) return items;
    if (!several) {
      items[0] = *value;
      return items;
    }
    const Config::Array& list = value->as_array(std::string("compile ") + what);
    if (list.size() != outputs)
      throw ConfigError(std::string("compile ") + what + " lists " + std::to_string(list.size()) + " entries for " +
                        std::to_string(outputs) + " outputs");
    return std::vector<Config>(list.begin(), list.end());
  };
  std::vector<LossPtr> losses;
  for (const Config& loss : per_output(&config.at("loss"), "loss"))
    losses.push_back(loss.is_null() ? nullptr : Registry<Loss>::instance().deserialize(loss, "loss"));
  std::vector<std::vector<MetricPtr>> metrics;
  for (const Config& list : per_output(config.find("metrics"), "metrics")) {
    metrics.emplace_back();
    if (list.is_null()) continue;
    for (const Config& metric : list.as_array("compile metrics"))
      metrics.back().push_back(Registry<Metric>::instance().deserialize(metric, "metric"));
  }
  std::vector<double> weights;
  if (config.find("loss_weights"))
    for (const Config& weight : per_output(config.find("loss_weights"), "loss_weights"))
      weights.push_back(weight.as_number("loss weight"));
  compile(std::move(losses), Registry<Optimizer>::instance().deserialize(config.at("optimizer"), "optimizer"),
          std::move(metrics), std::move(weights));
}

// ModelOf's members are defined in this file and in model_training.cpp; each instantiates those it
// defines, for both scalar types.
template class ModelOf<float>;
template class ModelOf<double>;
template ModelOf<float> model_from_config(const Config&, std::uint64_t, const ModelOf<float>::BuildCheck&);
template ModelOf<double> model_from_config(const Config&, std::uint64_t, const ModelOf<double>::BuildCheck&);

}  // namespace fastmlp
