#include "fastmlp/sequential.hpp"

#include <iterator>
#include <stdexcept>

#include "fastmlp/layers/model_layer.hpp"

namespace fastmlp {

template <class Scalar>
SequentialOf<Scalar>::SequentialOf(std::uint64_t seed) : ModelOf<Scalar>(seed) {
  this->set_chain({}, {});
}

template <class Scalar>
SequentialOf<Scalar>::SequentialOf(ModelOf<Scalar>&& model) : ModelOf<Scalar>(std::move(model)) {
  if (!this->sequential_)
    throw std::invalid_argument("a functional model is not a Sequential; use it as a Model");
}

// [issue 13] Each change takes the model lock (model_lock.hpp). A chain whose new layer cannot be
// built (too large for memory) is put back as it was: set_chain rebuilds nothing already built.
template <class Scalar>
void SequentialOf<Scalar>::change_chain(std::vector<std::shared_ptr<LayerOf<Scalar>>> layers, std::vector<Index> shape) {
  std::vector<std::shared_ptr<LayerOf<Scalar>>> before = this->layers();
  std::vector<Index> shape_before = this->input_shape();
  try {
    this->set_chain(std::move(layers), std::move(shape));
  } catch (...) {
    this->set_chain(std::move(before), std::move(shape_before));
    throw;
  }
}

template <class Scalar>
void SequentialOf<Scalar>::add(std::shared_ptr<LayerOf<Scalar>> layer) {
  if (!layer) throw std::invalid_argument("Sequential.add: layer is null");
  const auto changing = this->change_structure("add");
  std::vector<std::shared_ptr<LayerOf<Scalar>>> layers = this->layers();
  layers.push_back(std::move(layer));
  change_chain(std::move(layers), this->input_shape());
}

template <class Scalar>
void SequentialOf<Scalar>::add_all(std::vector<std::shared_ptr<LayerOf<Scalar>>> more) {
  for (const auto& layer : more)
    if (!layer) throw std::invalid_argument("Sequential.add: a layer is null");
  const auto changing = this->change_structure("add");
  std::vector<std::shared_ptr<LayerOf<Scalar>>> layers = this->layers();
  layers.insert(layers.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
  change_chain(std::move(layers), this->input_shape());
}

template <class Scalar>
void SequentialOf<Scalar>::pop() {
  const auto changing = this->change_structure("pop");
  if (this->layers().empty()) throw std::invalid_argument("Sequential.pop: the model has no layers");
  std::vector<std::shared_ptr<LayerOf<Scalar>>> layers = this->layers();
  layers.pop_back();
  change_chain(std::move(layers), this->input_shape());
}

template <class Scalar>
void SequentialOf<Scalar>::build() {
  if (this->input_shape().empty())
    throw std::invalid_argument("Sequential.build: the model has no input shape; declare one or pass input_dim");
  if (this->layers().empty()) throw std::invalid_argument("Sequential.build: the model has no layers; add a layer first");
  // Finding the model built only reads it, so that building again can run while other threads predict.
  if (const auto reading = this->hold_structure(); this->built()) return;
  const auto changing = this->change_structure("build");
  change_chain(this->layers(), this->input_shape());
}

template <class Scalar>
void SequentialOf<Scalar>::build(Index input_dim) {
  if (this->layers().empty()) throw std::invalid_argument("Sequential.build: the model has no layers; add a layer first");
  if (const auto reading = this->hold_structure(); this->built()) {
    if (input_dim != this->input_dim())
      throw std::invalid_argument("the model was built for " + std::to_string(this->input_dim()) +
                                  " input features, got " + std::to_string(input_dim));
    return;
  }
  std::vector<Index> shape = this->input_shape();
  if (!shape.empty() && features_of(shape) != input_dim)
    throw std::invalid_argument("the model's input shape holds " + std::to_string(features_of(shape)) +
                                " features per sample, got " + std::to_string(input_dim));
  if (input_dim <= 0) throw std::invalid_argument("input dimension must be positive, got " + std::to_string(input_dim));
  const auto changing = this->change_structure("build");
  change_chain(this->layers(), shape.empty() ? std::vector<Index>{input_dim} : shape);
}

template <class Scalar>
void SequentialOf<Scalar>::set_input_shape(std::vector<Index> shape) {
  if (const auto reading = this->hold_structure(); shape == this->input_shape()) return;  // Python sets it again and again
  const Index features = features_of(shape);
  if (!shape.empty() && this->built() && features != this->input_dim())
    throw std::invalid_argument("the model was built for " + std::to_string(this->input_dim()) +
                                " input features; an input shape of " + std::to_string(features) +
                                " values does not match them");
  const auto changing = this->change_structure("set_input_shape");
  this->set_input_shape_only(std::move(shape));
}

template <class Scalar>
SequentialOf<Scalar> SequentialOf<Scalar>::from_config(const Config& config, std::uint64_t seed,
                                                       const typename ModelOf<Scalar>::BuildCheck& before_build) {
  const Config::Object& members = config.as_object("Sequential config");
  for (const auto& [key, unused] : members)
    if (key != "name" && key != "input_shape" && key != "layers")
      throw ConfigError("Sequential config has no member '" + key + "'; it holds name, input_shape and layers");
  SequentialOf<Scalar> model(seed);
  if (const Config* name = config.find("name")) model.set_name(name->as_string("Sequential name"));
  std::vector<std::shared_ptr<LayerOf<Scalar>>> layers;
  for (const Config& layer : config.at("layers").as_array("Sequential layers"))
    layers.push_back(layer_from_config<Scalar>(layer, "Sequential layer", nested_check<Scalar>(before_build, std::to_string(layers.size()))));
  model.set_chain(std::move(layers), {});
  if (const Config* shape = config.find("input_shape")) {
    std::vector<Index> dims;
    options::from_config(*shape, "Sequential input_shape", dims);
    model.set_input_shape(std::move(dims));
    if (before_build && !model.layers().empty()) {
      // Every layer, with the width it will be built for, before build() allocates any of them.
      Index width = features_of(model.input_shape());
      for (size_t i = 0; i < model.layers().size(); ++i) {
        const LayerOf<Scalar>& layer = *model.layers()[i];
        if (!layer.built()) before_build(std::to_string(i), layer, {width});
        width = layer.output_dim_for(width);
      }
    }
    if (!model.layers().empty()) model.build();
  }
  return model;
}

template class SequentialOf<float>;
template class SequentialOf<double>;

}  // namespace fastmlp
