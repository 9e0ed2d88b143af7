#include "fastmlp/layer.hpp"

#include <stdexcept>
#include <string>

namespace fastmlp {

template <class Scalar>
Config LayerOf<Scalar>::common_defaults() { return Config::Object{{"name", ""}, {"trainable", true}}; }

template <class Scalar>
Config LayerOf<Scalar>::config() const {
  Config config = Config::Object{{"name", name_}, {"trainable", trainable_}};
  const Config options = options_config();
  for (const auto& [key, value] : options.as_object("layer options")) config.set(key, value);
  return config;
}

template <class Scalar>
void LayerOf<Scalar>::read_common(const Config& config) {
  if (const Config* name = config.find("name")) name_ = name->as_string(class_name() + " name");
  if (const Config* trainable = config.find("trainable")) trainable_ = trainable->as_bool(class_name() + " trainable");
}

template <class Scalar>
void LayerOf<Scalar>::build_inputs(const std::vector<Index>& input_dims, Rng& rng) {
  if (input_dims.size() != 1)
    throw std::invalid_argument("a " + class_name() + " layer takes one input, it was called on " +
                                std::to_string(input_dims.size()) + "; merge them first (Concatenate, Add, ...)");
  build(input_dims[0], rng);
}

template <class Scalar>
ConstMatrixMapOf<Scalar> LayerOf<Scalar>::forward_inputs(const LayerInputsOf<Scalar>& inputs, bool training) {
  return forward(ConstMatrixMapOf<Scalar>(inputs.data[0], inputs.rows, input_dim()), training);
}

template <class Scalar>
void LayerOf<Scalar>::backward_inputs(const LayerInputsOf<Scalar>& inputs, ConstMatrixMapOf<Scalar> grad, GradientAt at, const std::vector<bool>& need_grad,
                            const Scalar** grad_inputs) {
  grad_inputs[0] = backward(ConstMatrixMapOf<Scalar>(inputs.data[0], inputs.rows, input_dim()), grad, at, need_grad[0]).data();
}

template <class Scalar>
void LayerOf<Scalar>::infer_inputs(const LayerInputsOf<Scalar>& inputs, MatrixMapOf<Scalar> output) const {
  infer(ConstMatrixMapOf<Scalar>(inputs.data[0], inputs.rows, input_dim()), output);
}

// Reached only when a model calls a layer that does not take sparse batches with one: a bug there.
namespace {
template <class Scalar>
[[noreturn]] void no_sparse(const LayerOf<Scalar>& layer) {
  throw std::logic_error("a " + layer.class_name() + " layer does not read sparse batches; densify them first");
}
}  // namespace

template <class Scalar>
ConstMatrixMapOf<Scalar> LayerOf<Scalar>::forward_sparse(const CsrRowsOf<Scalar>&, bool) { no_sparse(*this); }
template <class Scalar>
void LayerOf<Scalar>::backward_sparse(const CsrRowsOf<Scalar>&, ConstMatrixMapOf<Scalar>, GradientAt) { no_sparse(*this); }
template <class Scalar>
void LayerOf<Scalar>::infer_sparse(const CsrRowsOf<Scalar>&, MatrixMapOf<Scalar>) const { no_sparse(*this); }

template <class Scalar>
LayerPtrOf<Scalar> LayerOf<Scalar>::fresh_copy() const { return Registry<LayerOf<Scalar>>::instance().create(class_name(), config()); }

template <class Scalar>
LayerPtrOf<Scalar> make_layer(const std::string& class_name, const Config& config) {
  return Registry<LayerOf<Scalar>>::instance().create(class_name, config);
}

template class LayerOf<float>;
template class LayerOf<double>;
template LayerPtrOf<float> make_layer<float>(const std::string& class_name, const Config& config);
template LayerPtrOf<double> make_layer<double>(const std::string& class_name, const Config& config);

}  // namespace fastmlp
