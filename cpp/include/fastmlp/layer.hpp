// The Layer interface: what the model and the optimizers need to know about any layer.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "fastmlp/constraint.hpp"
#include "fastmlp/registry.hpp"
#include "fastmlp/sparse.hpp"
#include "fastmlp/types.hpp"

namespace fastmlp {

class Activation;

// A trainable tensor and the gradient of the loss with respect to it, both owned by a layer.
// Optimizers update `value` from `gradient` without knowing which layer they belong to, then
// project it with its constraint, if the layer gives one (Keras's kernel_constraint, ...).
template <class Scalar>
struct ParameterOf {
  ParameterOf() = default;
  // A constructor rather than an aggregate, so that {name, value, gradient} still reads as before.
  ParameterOf(std::string name, RowMatrixOf<Scalar>* value, RowMatrixOf<Scalar>* gradient,
              ConstraintPtr constraint = nullptr, int rank = 2)
      : name(std::move(name)), value(value), gradient(gradient), constraint(std::move(constraint)), rank(rank) {}

  std::string name;  // "kernel", "bias", ...
  RowMatrixOf<Scalar>* value = nullptr;
  RowMatrixOf<Scalar>* gradient = nullptr;
  ConstraintPtr constraint;  // none (null): the update stands as it is
  int rank = 2;  // its axes in Keras, which a constraint's axis counts: 2 for a kernel, 1 for a vector
};
using Parameter = ParameterOf<float>;

// A tensor that a model file holds for a layer: its name ("kernel") and its shape.
struct TensorShape {
  std::string name;
  Index rows = 0, cols = 0;
  bool operator==(const TensorShape& other) const {
    return name == other.name && rows == other.rows && cols == other.cols;
  }
};

// Which gradient backward() is handed: with respect to the layer's output, or with respect to the
// input of its final activation (a loss fused with softmax/sigmoid produces the latter directly).
enum class GradientAt { Output, PreActivation };

// The tensors a layer of several inputs reads (a merge layer, a nested model of several inputs):
// `count` row-major matrices of `rows` rows, the i-th input_dim_of(i) columns wide. Plain pointers,
// so that a model keeps one list per call and refills it every batch without allocating.
template <class Scalar>
struct LayerInputsOf {
  const Scalar* const* data;
  size_t count;
  Index rows;
};
using LayerInputs = LayerInputsOf<float>;

template <class Scalar>
class LayerOf : public Configurable {
 public:
  using Base = LayerOf<Scalar>;
  static constexpr const char* kKind = "layer";

  // Keras's config: the layer's name and trainable flag, then its options.
  Config config() const;

  // The user's name for this layer ("dense_1", "hidden"); model files keep it. Empty by default:
  // the C++ core never looks at it, so naming is left to the caller (Python gives Keras's names).
  const std::string& name() const { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }

  // A frozen layer (trainable false) keeps its parameters out of the optimizer, as in Keras; layers
  // with state of their own (BatchNormalization's moving statistics) also stop updating it.
  bool trainable() const { return trainable_; }
  void set_trainable(bool trainable) { trainable_ = trainable; }

  // Creates the parameters for inputs of width `input_dim`, drawing initial values from `rng`.
  // Allocates at most a small multiple of the tensors tensor_shapes() lists (their gradients, an
  // initializer's scratch), so that a model file cannot make load_model allocate out of
  // proportion to what it holds (tests/test_registry.cpp measures it for every layer).
  virtual void build(Index input_dim, Rng& rng) = 0;
  // What build(input_dim) will make, known without allocating anything: the width of the output,
  // and the tensors a model file holds for the layer (parameters() then non_trainable(), by name
  // and shape). load_model checks these against the file's tensor table before it builds.
  virtual Index output_dim_for(Index input_dim) const = 0;
  virtual std::vector<TensorShape> tensor_shapes(Index input_dim) const = 0;
  virtual bool built() const = 0;
  virtual Index input_dim() const = 0;
  virtual Index output_dim() const = 0;

  // Sizes the training buffers for batches of up to `max_batch` rows; called before the training
  // loop so that the loop itself never allocates.
  virtual void reserve_batch(Index max_batch) = 0;

  // Training pass: input (n, input_dim) -> output (n, output_dim), caching what backward needs.
  virtual ConstMatrixMapOf<Scalar> forward(ConstMatrixMapOf<Scalar> input, bool training) = 0;

  // Given the gradient of the loss (n, output_dim), overwrites the parameter gradients and, when
  // `need_grad_input`, returns the gradient with respect to `input` (n, input_dim).
  virtual ConstMatrixMapOf<Scalar> backward(ConstMatrixMapOf<Scalar> input, ConstMatrixMapOf<Scalar> grad, GradientAt at,
                                  bool need_grad_input) = 0;

  // Inference into caller-owned memory; touches no member buffer, so it is safe to call from
  // several threads at once.
  virtual void infer(ConstMatrixMapOf<Scalar> input, MatrixMapOf<Scalar> output) const = 0;

  // ---- a sparse model input ------------------------------------------------------------------
  // A layer that reads a sparse batch as it is (Dense: sparse x dense products) says so here and
  // implements the *_sparse functions. A model calls them for a call on a sparse model input and
  // hands every other layer the batch densified. There is no gradient with respect to a sparse
  // input (it is data, never a trained tensor), so backward_sparse fills the parameter gradients only.
  virtual bool takes_sparse() const { return false; }
  virtual ConstMatrixMapOf<Scalar> forward_sparse(const CsrRowsOf<Scalar>& input, bool training);
  virtual void backward_sparse(const CsrRowsOf<Scalar>& input, ConstMatrixMapOf<Scalar> grad, GradientAt at);
  virtual void infer_sparse(const CsrRowsOf<Scalar>& input, MatrixMapOf<Scalar> output) const;

  // ---- several inputs ----------------------------------------------------------------------
  // A layer called on a list of tensors (Keras's merge layers, a nested model of several inputs)
  // says so here and implements the *_inputs functions; a model then calls those instead of the
  // single-input ones above, which such a layer refuses. Every other layer takes one tensor and
  // never sees these, so the single-input path stays one virtual call per layer.
  virtual bool takes_list() const { return false; }
  virtual void build_inputs(const std::vector<Index>& input_dims, Rng& rng);
  virtual size_t input_count() const { return 1; }
  virtual Index input_dim_of(size_t /*input*/) const { return input_dim(); }
  virtual ConstMatrixMapOf<Scalar> forward_inputs(const LayerInputsOf<Scalar>& inputs, bool training);
  // Overwrites the parameter gradients and, for each input i with need_grad[i], sets grad_inputs[i]
  // to the gradient with respect to that input (rows x input_dim_of(i), in memory the layer owns or
  // `grad` itself); the pointers stay valid until the next forward or backward.
  virtual void backward_inputs(const LayerInputsOf<Scalar>& inputs, ConstMatrixMapOf<Scalar> grad, GradientAt at, const std::vector<bool>& need_grad,
                               const Scalar** grad_inputs);
  virtual void infer_inputs(const LayerInputsOf<Scalar>& inputs, MatrixMapOf<Scalar> output) const;

  // A new, unbuilt layer of the same type and options, with its own buffers: what a model runs for
  // the second call of a layer shared by two calls, its weights copied from this one.
  virtual std::shared_ptr<LayerOf<Scalar>> fresh_copy() const;

  // The activation applied last, if any, so that a loss can fuse its gradient with it.
  virtual const Activation* final_activation() const { return nullptr; }

  // Trainable tensors, with their gradients (whether or not the layer is frozen).
  virtual std::vector<ParameterOf<Scalar>> parameters() = 0;

  // State that is saved and restored with the weights but not trained by the optimizer, such as
  // BatchNormalization's moving statistics.
  virtual std::vector<ParameterOf<Scalar>> non_trainable() { return {}; }

  // Penalties added to the loss: kernel/bias regularizers on the weights, and an activity
  // regularizer on this layer's output for one batch (its sum over the batch divided by the batch's
  // size, as Keras 3.15 adds it).
  virtual double weight_penalty() const { return 0; }
  virtual double activity_penalty(ConstMatrixMapOf<Scalar> /*output*/) const { return 0; }
  virtual bool has_activity_penalty() const { return false; }

  // The layer's own random generator (Dropout's masks, GaussianNoise's noise), if it has one. Model
  // files keep its state with the training state, so that fit() on a loaded model draws the same
  // masks as the saved model would have.
  virtual Rng* generator() { return nullptr; }

  Index count_params() {
    Index n = 0;
    for (const auto& p : parameters()) n += p.value->size();
    for (const auto& p : non_trainable()) n += p.value->size();
    return n;
  }

  // The registry's hooks (registry.hpp), with the name and trainable flag every layer has.
  template <class T>
  static std::shared_ptr<LayerOf<Scalar>> from_config_of(const Config& config) {
    std::shared_ptr<LayerOf<Scalar>> layer = make_from_options<T>(config, {"name", "trainable"});
    layer->read_common(config);
    return layer;
  }
  template <class T>
  static Config default_config_of() {
    Config config = common_defaults();
    const Config options = options_to_config(typename T::Options{});
    for (const auto& [key, value] : options.as_object("defaults")) config.set(key, value);
    return config;
  }

 private:
  static Config common_defaults();
  void read_common(const Config& config);

  std::string name_;
  bool trainable_ = true;
};

template <class Scalar>
using LayerPtrOf = std::shared_ptr<LayerOf<Scalar>>;

using Layer = LayerOf<float>;
using LayerPtr = LayerPtrOf<float>;

// A layer by class name ("Dense") from its config ({"units": 4, "activation": "relu"}); throws
// ConfigError for an unknown name or parameter, std::invalid_argument for a bad value. Float unless
// asked (make_layer<double>("Dense", ...)): the registry of each scalar type holds every layer.
template <class Scalar = float>
LayerPtrOf<Scalar> make_layer(const std::string& class_name, const Config& config = {});

}  // namespace fastmlp
