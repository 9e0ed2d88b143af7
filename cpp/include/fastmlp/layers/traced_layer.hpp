// TracedLayer: a layer whose computation is a traced graph (graph/graph.hpp): what a user's
// fastmlp.Layer subclass (build with add_weight, call with fastmlp.ops), a Lambda layer or an op on
// KerasTensors becomes. Its weights are ordinary parameters, so every optimizer trains them, model
// files keep them, and MPI averages their gradients; the graph itself is part of the layer's config,
// so a model file holding one loads and runs in C++ without Python.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "fastmlp/constraint.hpp"
#include "fastmlp/graph/graph.hpp"
#include "fastmlp/layer.hpp"
#include "fastmlp/regularizer.hpp"

namespace fastmlp {

// A graph as a config field (registry.hpp's own-config field types).
struct GraphField {
  graph::GraphSpec spec;
  Config to_config() const { return spec.to_config(); }
  static GraphField from_config(const Config& config, const std::string& what) {
    return {graph::GraphSpec::from_config(config, what)};
  }
};

// A config kept as it is: the Python class a traced layer came from ({"class_name", "config",
// "registered_name"}), which Python uses to give back the user's object on loading. C++ never reads it.
struct OpaqueConfig {
  Config value;
  Config to_config() const { return value; }
  static OpaqueConfig from_config(const Config& config, const std::string&) { return {config}; }
};

// The options of a traced layer or loss: its graph, and the Python class it came from.
struct TracedGraphOptions {
  GraphField graph;
  OpaqueConfig keras_class;

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("graph", self.graph, options::required);
    visit("keras_class", self.keras_class);
  }
};

template <class Scalar>
class TracedLayerOf : public Described<TracedLayerOf<Scalar>, LayerOf<Scalar>, TracedGraphOptions> {
  using DescribedBase = Described<TracedLayerOf<Scalar>, LayerOf<Scalar>, TracedGraphOptions>;
  using DescribedBase::options_;

 public:
  using Options = TracedGraphOptions;
  static constexpr const char* kClassName = "TracedLayer";
  explicit TracedLayerOf(const Options& options);

  void build(Index input_dim, Rng& rng) override;
  void build_inputs(const std::vector<Index>& input_dims, Rng& rng) override;
  bool built() const override { return graph_ != nullptr; }
  Index output_dim_for(Index input_dim) const override;
  std::vector<TensorShape> tensor_shapes(Index input_dim) const override;
  Index input_dim() const override { return input_dim_of(0); }
  Index output_dim() const override { return built() ? output_width_ : 0; }
  bool takes_list() const override { return options_.graph.spec.inputs().size() > 1; }
  size_t input_count() const override { return options_.graph.spec.inputs().size(); }
  Index input_dim_of(size_t input) const override;

  void reserve_batch(Index max_batch) override;
  ConstMatrixMapOf<Scalar> forward(ConstMatrixMapOf<Scalar> input, bool training) override;
  ConstMatrixMapOf<Scalar> backward(ConstMatrixMapOf<Scalar> input, ConstMatrixMapOf<Scalar> grad, GradientAt at,
                                    bool need_grad_input) override;
  void infer(ConstMatrixMapOf<Scalar> input, MatrixMapOf<Scalar> output) const override;
  ConstMatrixMapOf<Scalar> forward_inputs(const LayerInputsOf<Scalar>& inputs, bool training) override;
  void backward_inputs(const LayerInputsOf<Scalar>& inputs, ConstMatrixMapOf<Scalar> grad, GradientAt at,
                       const std::vector<bool>& need_grad, const Scalar** grad_inputs) override;
  void infer_inputs(const LayerInputsOf<Scalar>& inputs, MatrixMapOf<Scalar> output) const override;

  std::vector<ParameterOf<Scalar>> parameters() override { return weights_of(true); }
  std::vector<ParameterOf<Scalar>> non_trainable() override { return weights_of(false); }
  double weight_penalty() const override;
  // The graph's outputs after the first are the terms the layer's call added with add_loss: the model
  // adds them to the batch's loss, and backward() sends them a gradient of 1.
  bool has_activity_penalty() const override { return options_.graph.spec.outputs().size() > 1; }
  double activity_penalty(ConstMatrixMapOf<Scalar> output) const override;

 private:
  // The width of each input: the product of its sample shape (the graph's input shape without the
  // batch axis), as the model hands samples over as flat rows.
  Index width_of(const graph::Dims& dims) const;
  std::vector<ParameterOf<Scalar>> weights_of(bool trainable);
  void check_widths(const std::vector<Index>& input_dims) const;

  std::vector<RegularizerPtr> regularizers_;      // per weight; null: none
  std::vector<ConstraintPtr> constraints_;        // per weight; null: none
  std::vector<RowMatrixOf<Scalar>> weights_;      // per weight: (first axis, the rest) of its shape
  std::vector<RowMatrixOf<Scalar>> gradients_;    // the same shapes
  std::unique_ptr<graph::GraphOf<Scalar>> graph_;        // training passes
  mutable std::unique_ptr<graph::GraphOf<Scalar>> inference_;  // infer(), under inference_lock_
  mutable std::mutex inference_lock_;
  std::vector<const Scalar*> input_pointers_;     // one per graph input, refilled each pass
  std::vector<const Scalar*> output_grads_;       // the output's gradient, then 1 for each added loss
  Scalar one_ = 1;
  mutable double inferred_penalty_ = 0;           // the added losses of the last infer(), under the lock
  Index output_width_ = 0;
};

using TracedLayer = TracedLayerOf<float>;

}  // namespace fastmlp
