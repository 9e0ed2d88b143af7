#include "fastmlp/layer.hpp"

#include <stdexcept>
#include <string>

namespace fastmlp {

Config Layer::common_defaults() { return Config::Object{{"name", ""}, {"trainable", true}}; }

Config Layer::config() const {
  Config config = Config::Object{{"name", name_}, {"trainable", trainable_}};
  const Config options = options_config();
  for (const auto& [key, value] : options.as_object("layer options")) config.set(key, value);
  return config;
}

void Layer::read_common(const Config& config) {
  if (const Config* name = config.find("name")) name_ = name->as_string(class_name() + " name");
  if (const Config* trainable = config.find("trainable")) trainable_ = trainable->as_bool(class_name() + " trainable");
}

void Layer::build_inputs(const std::vector<Index>& input_dims, Rng& rng) {
  if (input_dims.size() != 1)
    throw std::invalid_argument("a " + class_name() + " layer takes one input, it was called on " +
                                std::to_string(input_dims.size()) + "; merge them first (Concatenate, Add, ...)");
  build(input_dims[0], rng);
}

ConstMatrixMap Layer::forward_inputs(const LayerInputs& inputs, bool training) {
  return forward(ConstMatrixMap(inputs.data[0], inputs.rows, input_dim()), training);
}

void Layer::backward_inputs(const LayerInputs& inputs, ConstMatrixMap grad, GradientAt at, const std::vector<bool>& need_grad,
                            const Scalar** grad_inputs) {
  grad_inputs[0] = backward(ConstMatrixMap(inputs.data[0], inputs.rows, input_dim()), grad, at, need_grad[0]).data();
}

void Layer::infer_inputs(const LayerInputs& inputs, MatrixMap output) const {
  infer(ConstMatrixMap(inputs.data[0], inputs.rows, input_dim()), output);
}

// Reached only when a model calls a layer that does not take sparse batches with one: a bug there.
namespace {
[[noreturn]] void no_sparse(const Layer& layer) {
  throw std::logic_error("a " + layer.class_name() + " layer does not read sparse batches; densify them first");
}
}  // namespace

ConstMatrixMap Layer::forward_sparse(const CsrRows&, bool) { no_sparse(*this); }
void Layer::backward_sparse(const CsrRows&, ConstMatrixMap, GradientAt) { no_sparse(*this); }
void Layer::infer_sparse(const CsrRows&, MatrixMap) const { no_sparse(*this); }

LayerPtr Layer::fresh_copy() const { return Registry<Layer>::instance().create(class_name(), config()); }

LayerPtr make_layer(const std::string& class_name, const Config& config) {
  return Registry<Layer>::instance().create(class_name, config);
}

}  // namespace fastmlp
