// A model used as a layer of another, as Keras lets a Sequential or functional model be called like
// a layer (Sequential([encoder, Softmax()]), a siamese network's shared encoder). Its layers,
// weights and state are the inner model's own, shared with it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "fastmlp/layer.hpp"
#include "fastmlp/model.hpp"

namespace fastmlp {

// [issue 26] How deep models may be nested (a model used as a layer of a model used as a layer ...),
// counted as the user builds them: Sequential([Sequential([Dense(1)])]) is nested 2 deep. A model
// this deep saves, loads, pickles and copies: the JSON reader's depth limit (json.cpp) lies far above
// the depth such a model's file needs. Before, the only limit was the reader's 64 JSON levels, which
// a Sequential nested 19 deep (a functional model 18 deep) passed when saved and failed when loaded.
constexpr int kMaxModelNesting = 100;

// How deep models are nested in `model`: 1, plus the deepest nesting of a model it uses as a layer.
template <class Scalar>
int model_nesting(const ModelOf<Scalar>& model);

template <class Scalar>
class ModelLayerOf : public LayerOf<Scalar> {
 public:
  // Throws std::invalid_argument for a model of several outputs (a layer has one), or one already
  // nested kMaxModelNesting deep.
  explicit ModelLayerOf(std::shared_ptr<ModelOf<Scalar>> model);
  const std::shared_ptr<ModelOf<Scalar>>& model() const { return model_; }

  std::string class_name() const override { return model_->class_name(); }
  bool takes_list() const override { return model_->input_count() > 1; }
  void build(Index input_dim, Rng& rng) override;
  void build_inputs(const std::vector<Index>& input_dims, Rng& rng) override;
  bool built() const override { return model_->built(); }
  Index output_dim_for(Index input_dim) const override;
  // An unbuilt inner Sequential's tensors, named as parameters() names them; none once the inner
  // model is built (a config builds it as it is read, and Model::from_config's check sees its layers then).
  std::vector<TensorShape> tensor_shapes(Index input_dim) const override;
  Index input_dim() const override { return model_->input_dim(0); }
  Index output_dim() const override { return model_->output_dim(0); }
  size_t input_count() const override { return model_->input_count(); }
  Index input_dim_of(size_t input) const override { return model_->input_dim(input); }
  void reserve_batch(Index max_batch) override { model_->prepare_passes(max_batch); }
  ConstMatrixMapOf<Scalar> forward(ConstMatrixMapOf<Scalar> input, bool training) override;
  ConstMatrixMapOf<Scalar> backward(ConstMatrixMapOf<Scalar> input, ConstMatrixMapOf<Scalar> grad, GradientAt at, bool need_grad_input) override;
  void infer(ConstMatrixMapOf<Scalar> input, MatrixMapOf<Scalar> output) const override;
  ConstMatrixMapOf<Scalar> forward_inputs(const LayerInputsOf<Scalar>& inputs, bool training) override;
  void backward_inputs(const LayerInputsOf<Scalar>& inputs, ConstMatrixMapOf<Scalar> grad, GradientAt at, const std::vector<bool>& need_grad,
                       const Scalar** grad_inputs) override;
  void infer_inputs(const LayerInputsOf<Scalar>& inputs, MatrixMapOf<Scalar> output) const override;
  const Activation* final_activation() const override;
  // The inner layers' tensors, named "<inner layer index>/<name>": those of trainable layers here,
  // those of frozen ones with the non-trainable state.
  std::vector<ParameterOf<Scalar>> parameters() override;
  std::vector<ParameterOf<Scalar>> non_trainable() override;
  double weight_penalty() const override { return model_->weight_penalty(); }
  std::shared_ptr<LayerOf<Scalar>> fresh_copy() const override;

 protected:
  Config options_config() const override { return model_->config(); }

 private:
  std::shared_ptr<ModelOf<Scalar>> model_;
  std::vector<GradientAt> at_;  // (1)  the gradient's kind handed to the inner model's output
  std::vector<std::string> names_;  // parameter names, made once
};

using ModelLayer = ModelLayerOf<float>;

// {"class_name", "config"} of a layer, or of the model a ModelLayer holds.
template <class Scalar>
Config serialize_layer(const LayerOf<Scalar>& layer);
// A layer from {"class_name", "config", ...} (other members, such as a functional config's
// "inbound_nodes", are the caller's); Sequential, Functional and Model make a ModelLayer, whose
// model's layers `before_build` sees (Model::from_config) before they are built.
template <class Scalar>
std::shared_ptr<LayerOf<Scalar>> layer_from_config(const Config& entry, const std::string& what,
                                                 const typename ModelOf<Scalar>::BuildCheck& before_build = {});
// A model from {"class_name", "config"}, as the class it is (a Sequential is made a Sequential).
template <class Scalar>
std::shared_ptr<ModelOf<Scalar>> shared_model_from_config(const Config& serialized,
                                                          const typename ModelOf<Scalar>::BuildCheck& before_build = {});
// The check for the layers of the model used as layer `position`: `check` sees them at "position/inner".
template <class Scalar>
typename ModelOf<Scalar>::BuildCheck nested_check(const typename ModelOf<Scalar>::BuildCheck& check,
                                                  const std::string& position);

}  // namespace fastmlp
