#include "fastmlp/layers/model_layer.hpp"

#include <algorithm>
#include <stdexcept>

#include "fastmlp/sequential.hpp"

namespace fastmlp {

template <class Scalar>
ModelLayerOf<Scalar>::ModelLayerOf(std::shared_ptr<ModelOf<Scalar>> model) : model_(std::move(model)), at_(1, GradientAt::Output) {
  if (!model_) throw std::invalid_argument("a model used as a layer is null");
  if (model_->output_count() > 1)
    throw std::invalid_argument("model '" + model_->name() + "' has " + std::to_string(model_->output_count()) +
                                " outputs; a model used as a layer must have one");
  this->set_name(model_->name());
  const int nesting = model_nesting(*model_);
  if (nesting >= kMaxModelNesting)
    throw std::invalid_argument("model '" + model_->name() + "' holds models nested " + std::to_string(nesting) +
                                " deep; used as a layer it would make " + std::to_string(nesting + 1) +
                                ", and models may be nested at most " + std::to_string(kMaxModelNesting) + " deep");
}

template <class Scalar>
int model_nesting(const ModelOf<Scalar>& model) {
  int deepest = 0;
  for (const auto& layer : model.layers())
    if (const auto* inner = dynamic_cast<const ModelLayerOf<Scalar>*>(layer.get()))
      deepest = std::max(deepest, model_nesting(*inner->model()));
  return deepest + 1;
}

template <class Scalar>
void ModelLayerOf<Scalar>::build(Index input_dim, Rng&) {
  if (model_->built()) {
    if (model_->input_count() != 1 || model_->input_dim(0) != input_dim)
      throw std::invalid_argument("model '" + model_->name() + "' takes " + std::to_string(model_->input_dim(0)) +
                                  " features, it is called on " + std::to_string(input_dim));
    return;
  }
  auto* chain = dynamic_cast<SequentialOf<Scalar>*>(model_.get());
  if (chain == nullptr) throw std::invalid_argument("model '" + model_->name() + "' is not built");
  chain->build(input_dim);  // its own generator draws its weights, as it would for a call of it
}

template <class Scalar>
void ModelLayerOf<Scalar>::build_inputs(const std::vector<Index>& input_dims, Rng& rng) {
  if (input_dims.size() == 1) return build(input_dims[0], rng);
  bool same = model_->built() && input_dims.size() == model_->input_count();
  for (size_t i = 0; same && i < input_dims.size(); ++i) same = model_->input_dim(i) == input_dims[i];
  if (!same)
    throw std::invalid_argument("model '" + model_->name() + "' takes " + std::to_string(model_->input_count()) +
                                " inputs of other widths than it is called on");
}

template <class Scalar>
ConstMatrixMapOf<Scalar> ModelLayerOf<Scalar>::forward(ConstMatrixMapOf<Scalar> input, bool training) {
  const Scalar* data = input.data();
  model_->forward_pass(&data, input.rows(), training);
  return ConstMatrixMapOf<Scalar>(model_->output_data(0), input.rows(), output_dim());
}

template <class Scalar>
ConstMatrixMapOf<Scalar> ModelLayerOf<Scalar>::forward_inputs(const LayerInputsOf<Scalar>& inputs, bool training) {
  model_->forward_pass(inputs.data, inputs.rows, training);
  return ConstMatrixMapOf<Scalar>(model_->output_data(0), inputs.rows, output_dim());
}

template <class Scalar>
ConstMatrixMapOf<Scalar> ModelLayerOf<Scalar>::backward(ConstMatrixMapOf<Scalar> input, ConstMatrixMapOf<Scalar> grad, GradientAt at, bool need_grad_input) {
  const Scalar* data = grad.data();
  at_[0] = at;
  model_->backward_pass(&data, input.rows(), at_, need_grad_input);
  if (!need_grad_input) return ConstMatrixMapOf<Scalar>(nullptr, 0, input_dim());
  return ConstMatrixMapOf<Scalar>(model_->input_gradient(0), input.rows(), input_dim());
}

template <class Scalar>
void ModelLayerOf<Scalar>::backward_inputs(const LayerInputsOf<Scalar>& inputs, ConstMatrixMapOf<Scalar> grad, GradientAt at,
                                 const std::vector<bool>& need_grad, const Scalar** grad_inputs) {
  const Scalar* data = grad.data();
  at_[0] = at;
  bool any = false;
  for (size_t i = 0; i < inputs.count; ++i) any = any || need_grad[i];
  model_->backward_pass(&data, inputs.rows, at_, any);
  for (size_t i = 0; i < inputs.count; ++i)
    if (need_grad[i]) grad_inputs[i] = model_->input_gradient(i);
}

template <class Scalar>
void ModelLayerOf<Scalar>::infer(ConstMatrixMapOf<Scalar> input, MatrixMapOf<Scalar> output) const {
  const Scalar* data = input.data();
  Scalar* out = output.data();
  std::vector<RowMatrixOf<Scalar>> scratch;
  model_->infer_rows(&data, input.rows(), &out, scratch);
}

template <class Scalar>
void ModelLayerOf<Scalar>::infer_inputs(const LayerInputsOf<Scalar>& inputs, MatrixMapOf<Scalar> output) const {
  Scalar* out = output.data();
  std::vector<RowMatrixOf<Scalar>> scratch;
  model_->infer_rows(inputs.data, inputs.rows, &out, scratch);
}

template <class Scalar>
const Activation* ModelLayerOf<Scalar>::final_activation() const {
  // Fusing the outer loss's gradient is right only when nothing inside reads the output too.
  return model_->output_read_inside(0) ? nullptr : model_->final_activation(0);
}

// An inner Sequential not yet built (a config without an input shape) is built by build() for the
// width it is called on: its widths flow through its layers as they will then.
template <class Scalar>
Index ModelLayerOf<Scalar>::output_dim_for(Index input_dim) const {
  if (model_->built()) return model_->output_dim(0);
  for (const auto& layer : model_->layers()) input_dim = layer->output_dim_for(input_dim);
  return input_dim;
}

template <class Scalar>
std::vector<TensorShape> ModelLayerOf<Scalar>::tensor_shapes(Index input_dim) const {
  std::vector<TensorShape> shapes;
  if (model_->built()) return shapes;
  const auto& layers = model_->layers();
  for (size_t i = 0; i < layers.size(); ++i) {
    for (TensorShape shape : layers[i]->tensor_shapes(input_dim)) {
      shape.name = std::to_string(i) + "/" + shape.name;
      shapes.push_back(std::move(shape));
    }
    input_dim = layers[i]->output_dim_for(input_dim);
  }
  return shapes;
}

template <class Scalar>
std::vector<ParameterOf<Scalar>> ModelLayerOf<Scalar>::parameters() {
  std::vector<ParameterOf<Scalar>> params;
  const auto& layers = model_->layers();
  for (size_t i = 0; i < layers.size(); ++i)
    if (layers[i]->trainable())
      for (ParameterOf<Scalar> p : layers[i]->parameters()) {
        p.name = std::to_string(i) + "/" + p.name;
        params.push_back(std::move(p));
      }
  return params;
}

template <class Scalar>
std::vector<ParameterOf<Scalar>> ModelLayerOf<Scalar>::non_trainable() {
  std::vector<ParameterOf<Scalar>> state;
  const auto& layers = model_->layers();
  for (size_t i = 0; i < layers.size(); ++i) {
    std::vector<ParameterOf<Scalar>> tensors = layers[i]->trainable() ? std::vector<ParameterOf<Scalar>>{} : layers[i]->parameters();
    for (const ParameterOf<Scalar>& p : layers[i]->non_trainable()) tensors.push_back(p);
    for (ParameterOf<Scalar> p : tensors) {
      p.name = std::to_string(i) + "/" + p.name;
      state.push_back(std::move(p));
    }
  }
  return state;
}

template <class Scalar>
std::shared_ptr<LayerOf<Scalar>> ModelLayerOf<Scalar>::fresh_copy() const {
  return std::make_shared<ModelLayerOf<Scalar>>(shared_model_from_config<Scalar>(model_->serialized()));
}

template <class Scalar>
Config serialize_layer(const LayerOf<Scalar>& layer) {
  if (const auto* nested = dynamic_cast<const ModelLayerOf<Scalar>*>(&layer)) return nested->model()->serialized();
  return serialize(layer);
}

template <class Scalar>
std::shared_ptr<ModelOf<Scalar>> shared_model_from_config(const Config& serialized,
                                                          const typename ModelOf<Scalar>::BuildCheck& before_build) {
  const std::string& class_name = serialized.at("class_name").as_string("model class_name");
  if (class_name == "Sequential")
    return std::make_shared<SequentialOf<Scalar>>(SequentialOf<Scalar>::from_config(serialized.at("config"), 0x5eed, before_build));
  return std::make_shared<ModelOf<Scalar>>(model_from_config<Scalar>(serialized, 0x5eed, before_build));
}

template <class Scalar>
std::shared_ptr<LayerOf<Scalar>> layer_from_config(const Config& entry, const std::string& what,
                                                 const typename ModelOf<Scalar>::BuildCheck& before_build) {
  const std::string& class_name = entry.at("class_name").as_string(what + " class_name");
  const Config* config = entry.find("config");
  const Config serialized = Config::Object{{"class_name", class_name}, {"config", config ? *config : Config()}};
  if (class_name == "Sequential" || class_name == "Functional" || class_name == "Model")
    return std::make_shared<ModelLayerOf<Scalar>>(shared_model_from_config<Scalar>(serialized, before_build));
  return Registry<LayerOf<Scalar>>::instance().deserialize(serialized, what);
}

template <class Scalar>
typename ModelOf<Scalar>::BuildCheck nested_check(const typename ModelOf<Scalar>::BuildCheck& check,
                                                  const std::string& position) {
  if (!check) return {};
  return [check, position](const std::string& inner, const LayerOf<Scalar>& layer, const std::vector<Index>& widths) {
    check(position + "/" + inner, layer, widths);
  };
}

template class ModelLayerOf<float>;
template int model_nesting<float>(const ModelOf<float>& model);
template Config serialize_layer<float>(const LayerOf<float>& layer);
template std::shared_ptr<LayerOf<float>> layer_from_config<float>(const Config& entry, const std::string& what,
                                                             const ModelOf<float>::BuildCheck& before_build);
template std::shared_ptr<ModelOf<float>> shared_model_from_config<float>(const Config& serialized,
                                                                    const ModelOf<float>::BuildCheck& before_build);
template ModelOf<float>::BuildCheck nested_check<float>(const ModelOf<float>::BuildCheck& check, const std::string& position);
template class ModelLayerOf<double>;
template int model_nesting<double>(const ModelOf<double>& model);
template Config serialize_layer<double>(const LayerOf<double>& layer);
template std::shared_ptr<LayerOf<double>> layer_from_config<double>(const Config& entry, const std::string& what,
                                                             const ModelOf<double>::BuildCheck& before_build);
template std::shared_ptr<ModelOf<double>> shared_model_from_config<double>(const Config& serialized,
                                                                    const ModelOf<double>::BuildCheck& before_build);
template ModelOf<double>::BuildCheck nested_check<double>(const ModelOf<double>::BuildCheck& check, const std::string& position);

}  // namespace fastmlp
