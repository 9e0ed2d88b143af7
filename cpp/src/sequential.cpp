#include "fastmlp/sequential.hpp"

#include <stdexcept>

#include "fastmlp/layers/model_layer.hpp"

namespace fastmlp {

Sequential::Sequential(std::uint64_t seed) : Model(seed) {
  set_chain({}, {});
}

Sequential::Sequential(Model&& model) : Model(std::move(model)) {
  if (!sequential_)
    throw std::invalid_argument("a functional model is not a Sequential; use it as a Model");
}

void Sequential::add(std::shared_ptr<Layer> layer) {
  if (!layer) throw std::invalid_argument("Sequential.add: layer is null");
  std::vector<std::shared_ptr<Layer>> layers = this->layers();
  layers.push_back(std::move(layer));
  set_chain(std::move(layers), input_shape());
}

void Sequential::pop() {
  if (layers().empty()) throw std::invalid_argument("Sequential.pop: the model has no layers");
  std::vector<std::shared_ptr<Layer>> layers = this->layers();
  layers.pop_back();
  set_chain(std::move(layers), input_shape());
}

void Sequential::build() {
  if (input_shape().empty())
    throw std::invalid_argument("Sequential.build: the model has no input shape; declare one or pass input_dim");
  if (layers().empty()) throw std::invalid_argument("Sequential.build: the model has no layers; add a layer first");
  set_chain(layers(), input_shape());
}

void Sequential::build(Index input_dim) {
  if (layers().empty()) throw std::invalid_argument("Sequential.build: the model has no layers; add a layer first");
  if (built()) {
    if (input_dim != this->input_dim())
      throw std::invalid_argument("the model was built for " + std::to_string(this->input_dim()) +
                                  " input features, got " + std::to_string(input_dim));
    return;
  }
  std::vector<Index> shape = input_shape();
  if (!shape.empty() && features_of(shape) != input_dim)
    throw std::invalid_argument("the model's input shape holds " + std::to_string(features_of(shape)) +
                                " features per sample, got " + std::to_string(input_dim));
  if (input_dim <= 0) throw std::invalid_argument("input dimension must be positive, got " + std::to_string(input_dim));
  set_chain(layers(), shape.empty() ? std::vector<Index>{input_dim} : shape);
}

void Sequential::set_input_shape(std::vector<Index> shape) {
  const Index features = features_of(shape);
  if (!shape.empty() && built() && features != input_dim())
    throw std::invalid_argument("the model was built for " + std::to_string(input_dim()) +
                                " input features; an input shape of " + std::to_string(features) +
                                " values does not match them");
  set_input_shape_only(std::move(shape));
}

Sequential Sequential::from_config(const Config& config, std::uint64_t seed) {
  const Config::Object& members = config.as_object("Sequential config");
  for (const auto& [key, unused] : members)
    if (key != "name" && key != "input_shape" && key != "layers")
      throw ConfigError("Sequential config has no member '" + key + "'; it holds name, input_shape and layers");
  Sequential model(seed);
  if (const Config* name = config.find("name")) model.set_name(name->as_string("Sequential name"));
  std::vector<std::shared_ptr<Layer>> layers;
  for (const Config& layer : config.at("layers").as_array("Sequential layers"))
    layers.push_back(layer_from_config(layer, "Sequential layer"));
  model.set_chain(std::move(layers), {});
  if (const Config* shape = config.find("input_shape")) {
    std::vector<Index> dims;
    options::from_config(*shape, "Sequential input_shape", dims);
    model.set_input_shape(std::move(dims));
    if (!model.layers().empty()) model.build();
  }
  return model;
}

}  // namespace fastmlp
