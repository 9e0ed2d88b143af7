// Model: a directed acyclic graph of layer calls with one or more inputs and outputs (Keras's
// functional model), a loss per output and an optimizer, trained by minibatch gradient descent.
// Sequential (sequential.hpp) is its chain case: the same graph, the same training loop.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fastmlp/data_parallel.hpp"
#include "fastmlp/layer.hpp"
#include "fastmlp/loss.hpp"
#include "fastmlp/logs.hpp"
#include "fastmlp/metric.hpp"
#include "fastmlp/model_lock.hpp"
#include "fastmlp/optimizer.hpp"

namespace fastmlp {

// Inputs (n, features) and targets (n, target columns) of one data set, viewed without copies,
// with optional per-sample weights (n values; null: all 1). For a model of one input and one output.
// An input is a dense matrix or a CSR matrix (sparse.hpp): a sparse input is never densified whole;
// a Dense layer reads it as it is, any other layer gets one batch at a time densified.
template <class Scalar>
struct DatasetOf {
  InputMatrixOf<Scalar> x;
  ConstMatrixMapOf<Scalar> y;
  const Scalar* sample_weight = nullptr;
};

// The same for any model: one matrix per model input and one per output, in the model's order.
template <class Scalar>
struct DatasetsOf {
  std::vector<InputMatrixOf<Scalar>> x;
  std::vector<ConstMatrixMapOf<Scalar>> y;
  const Scalar* sample_weight = nullptr;
};

struct FitOptions {
  Index batch_size = 32;
  int epochs = 1;
  int initial_epoch = 0;  // epochs are numbered from here, as when resuming a run
  bool shuffle = true;    // a fresh permutation every epoch; off: consecutive row blocks of x
  // Data-parallel training over a communicator's ranks (data_parallel.hpp); inactive by default.
  // batch_size is then the global batch, split over the ranks; validation is split likewise.
  Distribution distribution;

  // Batches in an epoch over `rows` samples: the last one holds what is left.
  Index batches(Index rows) const;
};

// Hooks around an evaluation, batch by batch (Keras's on_test_* callbacks). Set only what is
// needed: each set hook is called once per batch.
struct EvaluateCallbacks {
  std::function<void()> on_begin;
  std::function<void(const Logs& logs)> on_end;
  std::function<void(Index batch)> on_batch_begin;
  // After each batch, with the running means so far.
  std::function<void(Index batch, const Logs& running)> on_batch_end;
  // Between batches, at most once per `interrupt_interval` seconds, when set: an exception thrown here
  // ends the evaluation (the Python bindings raise KeyboardInterrupt there for Ctrl-C).
  std::function<void()> check_interrupt;
  double interrupt_interval = 0.1;
};

// Hooks around a prediction (Keras's on_predict_batch_*): the batch's rows [first, end) of the outputs
// are final when on_batch_end is called.
struct PredictCallbacks {
  std::function<void(Index batch)> on_batch_begin;
  std::function<void(Index batch, Index first, Index end)> on_batch_end;
  // As EvaluateCallbacks's: between batches, throttled; an exception thrown here ends the prediction.
  std::function<void()> check_interrupt;
  double interrupt_interval = 0.1;
};

struct FitCallbacks {
  // Between batches, with this epoch's running means so far; throttled to one call per
  // `progress_interval` seconds (0: every batch), plus one after each epoch's last batch. An
  // exception thrown here ends fit() with the weights of the last completed step. Returning true
  // stops training after this batch, as Keras's `model.stop_training = True` does: the epoch ends
  // early (its logs cover the batches done), is validated and reported, and no further epoch runs.
  std::function<bool(int epoch, Index batches_done, Index batches, const Logs& running)> on_batch_end;
  double progress_interval = 0.1;
  // Before every batch (batch counted from 0 within the epoch), when set. Not throttled: set it
  // only when something needs it, since it runs once per batch.
  std::function<void(int epoch, Index batch)> on_batch_begin;
  std::function<void(int epoch)> on_epoch_begin;
  // After each epoch, with its training and validation logs; returning true stops training.
  std::function<bool(int epoch, const Logs& logs)> on_epoch_end;
  // Around the validation after each epoch, which Keras runs as an evaluate() with fit's callbacks.
  EvaluateCallbacks validation;
};

struct History {
  std::vector<int> epochs;
  std::map<std::string, std::vector<LogValue>> history;  // key -> one value per epoch
};

// A tensor of a model's graph: one of its inputs, or the output of one call of a layer.
struct Tensor {
  size_t id = 0;
};

template <class Scalar>
class TallyOf;  // running loss and metric totals (model_training.cpp)

template <class Scalar>
class ModelOf {
 public:
  explicit ModelOf(std::uint64_t seed = 0x5eed);
  virtual ~ModelOf();
  ModelOf(ModelOf<Scalar>&&) noexcept;
  ModelOf<Scalar>& operator=(ModelOf<Scalar>&&) noexcept;

  // The model's name (empty by default: Python gives Keras's names); model files keep it.
  const std::string& name() const { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }
  // "Sequential" for the chain Sequential builds, "Functional" otherwise: Keras's class names, which
  // configs and model files use.
  const char* class_name() const { return sequential_ ? "Sequential" : "Functional"; }
  // Keras's name for the scalar type every weight and computation of the model has.
  static constexpr const char* dtype() { return dtype_name<Scalar>(); }

  // ---- the model lock [issue 13] ------------------------------------------------------------------
  // input, call, set_outputs, compile and clear_compile (and Sequential's add, pop, build and
  // set_input_shape) change the structure: while predict, evaluate, fit, train_on_batch or save_model
  // run on the model, or on a model that uses it as a layer, in another thread (or the change comes
  // from a callback of its fit), they throw std::invalid_argument and change nothing (model_lock.hpp).
  // Holds the structure of this model and of every model it uses as a layer fixed while the returned
  // object lives, for code that reads it outside the calls above (they take it themselves).
  using StructureHold = std::vector<ModelLock::Hold>;
  StructureHold hold_structure() const;

  // ---- the graph: Keras's functional API in C++ -----------------------------------------------
  //   Model model;
  //   Tensor x = model.input({16});
  //   Tensor h = model.call(std::make_shared<Dense>(32, make_activation("relu")), x);
  //   model.set_outputs({model.call(std::make_shared<Dense>(1), model.call(std::make_shared<Add>(), {x, h}))});
  // A model input of samples of `shape` (such as {16}); `name` defaults to "input_layer", "input_layer_1", ...
  Tensor input(std::vector<Index> shape, std::string name = "");
  // Calls `layer` on `inputs` (a list for merge layers): builds it for their widths if it is not
  // built (weights from the model's generator) and checks them if it is. A layer called more than
  // once shares its weights between the calls, as in Keras.
  Tensor call(std::shared_ptr<LayerOf<Scalar>> layer, const std::vector<Tensor>& inputs);
  Tensor call(std::shared_ptr<LayerOf<Scalar>> layer, Tensor input) { return call(std::move(layer), std::vector<Tensor>{input}); }
  // Completes the graph: the model computes `outputs`. Calls no output depends on are dropped, and the
  // layers are ordered as Keras orders a functional model's layers (by depth from the outputs).
  void set_outputs(std::vector<Tensor> outputs);

  // The distinct layers, in Keras's order (the order of configs, weights and model files).
  const std::vector<std::shared_ptr<LayerOf<Scalar>>>& layers() const { return layers_; }
  // Keras's model.layers of a functional model also lists its inputs: each entry is an input
  // (is_input, its index) or a layer (its index in layers()).
  struct Entry {
    bool is_input;
    size_t index;
  };
  const std::vector<Entry>& entries() const { return entries_; }
  // One call of a layer: which layer (its index in layers()), on which tensors (ids: a model input's
  // index, or input_count() + the position of the call that produces it). Calls are in execution
  // order: every call comes after the calls it reads.
  struct Call {
    size_t layer;
    std::vector<size_t> inputs;
  };
  size_t call_count() const { return nodes_.size(); }
  const Call& call_at(size_t index) const { return nodes_.at(index); }

  size_t input_count() const { return inputs_.size(); }
  const std::string& input_name(size_t input) const { return inputs_.at(input).name; }
  // The shape of one sample of an input, such as {64}, or {28, 28} for images that a Flatten layer
  // turns into rows. The core only sees the flat rows; the shape is part of the model (its files keep
  // it). Empty while a Sequential model's input is not declared.
  const std::vector<Index>& input_shape(size_t input = 0) const { return inputs_.at(input).shape; }
  Index input_dim(size_t input = 0) const;
  size_t output_count() const { return outputs_.size(); }
  const std::vector<size_t>& outputs() const { return outputs_; }
  Index output_dim(size_t output = 0) const;
  // Keras's name for an output: its layer's name.
  std::string output_name(size_t output) const;
  // A layer's name, or "layer_<index>" for a C++ layer left unnamed (as configs and files name it).
  std::string layer_name(size_t layer) const;
  // The width of a tensor and the call that produces it (none for a model input).
  Index tensor_width(size_t tensor) const;
  bool built() const;

  // ---- compiling ---------------------------------------------------------------------------------
  // One loss for every output; `metrics` for every output. Metrics are resolved against the loss
  // when training starts ("accuracy" becomes the accuracy the loss calls for).
  void compile(LossPtr loss, OptimizerPtr optimizer, std::vector<MetricPtr> metrics = {});
  // A loss per output (null: the output is not trained, as Keras's None), weighted by `loss_weights`
  // (empty: all 1) in the total, and a list of metrics per output (empty: none).
  void compile(std::vector<LossPtr> losses, OptimizerPtr optimizer, std::vector<std::vector<MetricPtr>> metrics,
               std::vector<double> loss_weights = {});
  bool compiled() const { return optimizer_ != nullptr; }
  // Forgets the losses, the optimizer and the metrics: a loaded model that is to be compiled anew
  // (Keras's load_model(compile=False)).
  void clear_compile();
  // The loss of the first output (the model's loss when it has one output).
  const LossPtr& loss() const;
  const std::vector<LossPtr>& losses() const { return losses_; }
  const std::vector<double>& loss_weights() const { return loss_weights_; }
  const OptimizerPtr& optimizer() const { return optimizer_; }
  // Every output's metrics, in order (the first output's first).
  std::vector<MetricPtr> metrics() const;
  const std::vector<std::vector<MetricPtr>>& output_metrics() const { return metrics_; }
  // The keys of train_on_batch's and evaluate's logs: "loss", then with several outputs each
  // output's "<output>_loss", then each metric's name (prefixed "<output>_" with several outputs).
  std::vector<std::string> log_names() const;

  // ---- training and inference ----------------------------------------------------------------------
  // Sample weights scale each sample's loss and gradient (Keras: Σ w_i l_i / n per batch).
  History fit(const DatasetsOf<Scalar>& data, const FitOptions& options = {}, const std::optional<DatasetsOf<Scalar>>& validation = {},
              const FitCallbacks& callbacks = {});
  // Loss (with regularization penalties, as Keras reports it) and metrics, in batches of `batch_size`
  // rows (0: a size chosen for speed; activity penalties are sums over a batch, so they depend on it
  // as in Keras). Const and free of shared buffers: several threads may evaluate or predict at once.
  // With an active `distribution`, each rank evaluates its share (all of its shard) and the results
  // are summed over the ranks: every rank returns the logs of the whole data set (the batch hooks see
  // this rank's running means).
  Logs evaluate(const DatasetsOf<Scalar>& data, Index batch_size = 0, const EvaluateCallbacks* callbacks = nullptr,
                const Distribution& distribution = {}) const;
  // Every output for inputs `x`, into `out` (one (rows, output_dim(o)) matrix per output).
  void predict(const std::vector<InputMatrixOf<Scalar>>& x, const std::vector<MatrixMapOf<Scalar>>& out, Index batch_size = 0,
               const PredictCallbacks* callbacks = nullptr) const;
  std::vector<RowMatrixOf<Scalar>> predict(const std::vector<InputMatrixOf<Scalar>>& x, Index batch_size = 0) const;
  // The same for lists of dense inputs, as these calls took them before sparse inputs: templates, so
  // that a braced list ({a, b}) still picks the InputMatrix forms above.
  template <class Allocator>
  void predict(const std::vector<ConstMatrixMapOf<Scalar>, Allocator>& x, const std::vector<MatrixMapOf<Scalar>>& out, Index batch_size = 0,
               const PredictCallbacks* callbacks = nullptr) const {
    predict(std::vector<InputMatrixOf<Scalar>>(x.begin(), x.end()), out, batch_size, callbacks);
  }
  template <class Allocator>
  std::vector<RowMatrixOf<Scalar>> predict(const std::vector<ConstMatrixMapOf<Scalar>, Allocator>& x, Index batch_size = 0) const {
    return predict(std::vector<InputMatrixOf<Scalar>>(x.begin(), x.end()), batch_size);
  }
  template <class Allocator>
  Logs train_on_batch(const std::vector<ConstMatrixMapOf<Scalar>, Allocator>& x, const std::vector<ConstMatrixMapOf<Scalar>>& y,
                      const Scalar* sample_weight = nullptr) {
    return train_on_batch(std::vector<InputMatrixOf<Scalar>>(x.begin(), x.end()), y, sample_weight);
  }
  // The outputs of a training-mode forward pass, as Keras's model(x, training=True): Dropout drops,
  // GaussianNoise adds noise, BatchNormalization normalises with the batch's statistics and updates
  // its moving averages. No gradient is computed and no weight changes. Not thread-safe (it uses
  // the training buffers), unlike predict().
  std::vector<RowMatrixOf<Scalar>> call_training(const std::vector<ConstMatrixMapOf<Scalar>>& x);
  // One optimizer step on one batch; returns the batch's loss and metrics before the step.
  Logs train_on_batch(const std::vector<InputMatrixOf<Scalar>>& x, const std::vector<ConstMatrixMapOf<Scalar>>& y,
                      const Scalar* sample_weight = nullptr);

  // For a model of one input and one output: the same on single matrices and raw row-major
  // buffers (x holds `rows` samples of `cols` features, y `rows` targets of `y_cols` columns), read
  // in place without copies. Throws std::invalid_argument for a null buffer or a negative size.
  History fit(ConstMatrixMapOf<Scalar> x, ConstMatrixMapOf<Scalar> y, const FitOptions& options = {},
              const std::optional<DatasetOf<Scalar>>& validation = std::nullopt, const FitCallbacks& callbacks = {},
              const Scalar* sample_weight = nullptr);
  History fit(const RowMatrixOf<Scalar>& x, const RowMatrixOf<Scalar>& y, const FitOptions& options = {},
              const std::optional<DatasetOf<Scalar>>& validation = std::nullopt, const FitCallbacks& callbacks = {});
  History fit(const Scalar* x, Index rows, Index cols, const Scalar* y, Index y_cols, const FitOptions& options = {},
              const FitCallbacks& callbacks = {});
  Logs evaluate(ConstMatrixMapOf<Scalar> x, ConstMatrixMapOf<Scalar> y, Index batch_size = 0, const Scalar* sample_weight = nullptr,
                const Distribution& distribution = {}) const;
  Logs evaluate(const RowMatrixOf<Scalar>& x, const RowMatrixOf<Scalar>& y, Index batch_size = 0) const;
  Logs evaluate(const Scalar* x, Index rows, Index cols, const Scalar* y, Index y_cols, Index batch_size = 0) const;
  void predict(ConstMatrixMapOf<Scalar> x, MatrixMapOf<Scalar> out, Index batch_size = 0) const;
  RowMatrixOf<Scalar> predict(ConstMatrixMapOf<Scalar> x, Index batch_size = 0) const;
  RowMatrixOf<Scalar> predict(const RowMatrixOf<Scalar>& x, Index batch_size = 0) const;
  RowMatrixOf<Scalar> predict(const Scalar* x, Index rows, Index cols, Index batch_size = 0) const;
  RowMatrixOf<Scalar> call_training(ConstMatrixMapOf<Scalar> x);
  Logs train_on_batch(ConstMatrixMapOf<Scalar> x, ConstMatrixMapOf<Scalar> y);
  // The same for a CSR input (sparse.hpp), read in place: scipy.sparse's csr_matrix layout with
  // int32 indices, sorted and without duplicates within each row (checked, as dense input is).
  History fit(const CsrRowsOf<Scalar>& x, ConstMatrixMapOf<Scalar> y, const FitOptions& options = {},
              const std::optional<DatasetOf<Scalar>>& validation = std::nullopt, const FitCallbacks& callbacks = {},
              const Scalar* sample_weight = nullptr);
  Logs evaluate(const CsrRowsOf<Scalar>& x, ConstMatrixMapOf<Scalar> y, Index batch_size = 0, const Scalar* sample_weight = nullptr) const;
  RowMatrixOf<Scalar> predict(const CsrRowsOf<Scalar>& x, Index batch_size = 0) const;
  Logs train_on_batch(const CsrRowsOf<Scalar>& x, ConstMatrixMapOf<Scalar> y);

  // ---- what a nested model (a model used as a layer, ModelLayer) runs -------------------------------
  // Forward over a batch of `rows` rows whose inputs are at `inputs` (one pointer per model input);
  // returns the activity penalties of the pass. Output o is then at output_data(o).
  // `sparse`, when given, holds per input a CSR batch (null for a dense input): the calls that read
  // it through their layer's *_sparse functions do so, and inputs[i] is then its densified rows for
  // the other calls (null when there are none). It must stay valid until backward_pass.
  double forward_pass(const Scalar* const* inputs, Index rows, bool training, const CsrRowsOf<Scalar>* const* sparse = nullptr);
  const Scalar* output_data(size_t output) const { return tensor_data_[outputs_[output]]; }
  // Backward from the gradients of the outputs (one pointer per output, `at` for the last call of
  // each); overwrites every trained layer's gradients. With `input_gradients`, also returns the
  // gradient with respect to each model input (pointers valid until the next pass).
  void backward_pass(const Scalar* const* output_grads, Index rows, const std::vector<GradientAt>& at,
                     bool input_gradients);
  const Scalar* input_gradient(size_t input) const { return tensor_grad_[input]; }
  // Readies the training buffers for passes of up to `max_batch` rows (fit and train_on_batch do it
  // themselves; an outer model does it for a nested one).
  void prepare_passes(Index max_batch);
  // Inference on `rows` rows into `out` (one pointer per output), buffers from `scratch`; returns the
  // activity penalties of the outputs of every call. Const and thread-safe given its own scratch.
  // `sparse` as in forward_pass; a sparse input that a call needs dense is densified into scratch.
  double infer_rows(const Scalar* const* inputs, Index rows, Scalar* const* out, std::vector<RowMatrixOf<Scalar>>& scratch,
                    const CsrRowsOf<Scalar>* const* sparse = nullptr) const;
  // The activation the last call of output `output` ends with (for a loss to fuse its gradient with).
  const Activation* final_activation(size_t output) const;
  // Whether a call of the model also reads output `output` (then its gradient is not the loss's alone).
  bool output_read_inside(size_t output) const;

  // The parameters the optimizer updates: those of the layers that are trainable, in layer order.
  std::vector<ParameterOf<Scalar>> trainable_parameters();
  // Everything else saved with the weights: frozen layers' parameters, then non-trainable state.
  Index count_params();
  double weight_penalty() const;

  // ---- configuration -----------------------------------------------------------------------------
  // The architecture as Keras describes a functional model: {"name", "trainable", "layers": [{
  // "class_name", "config", "name", "inbound_nodes"}, ...], "input_layers", "output_layers"}, the
  // InputLayers among the layers. A Sequential model's is {"name", "input_shape" (when known),
  // "layers": [{"class_name", "config"}, ...]} (Sequential::from_config reads it). from_config builds a new, untrained model from either, validating every
  // layer's config as its constructor does.
  Config config() const;
  // `before_build`, when set, sees every layer before from_config builds it: its position among the
  // config's layers (InputLayers left out, as model files number them; the layers of a model used as
  // a layer, which its config builds as it is read, at "outer/inner", at any depth) and its input
  // widths. It throws to refuse (load_model checks the tensors a layer will allocate against the file's).
  using BuildCheck =
      std::function<void(const std::string& position, const LayerOf<Scalar>& layer, const std::vector<Index>& widths)>;
  static ModelOf<Scalar> from_config(const Config& config, std::uint64_t seed = 0x5eed, const BuildCheck& before_build = {});
  // {"class_name": "Functional" or "Sequential", "config": config()}: how a model is written inside
  // another's config and in model files; model_from_config reads it.
  Config serialized() const;
  // The losses, optimizer, metrics and loss weights as configs ({"loss", "optimizer", "metrics",
  // "loss_weights"}, the per-output ones as lists with several outputs); null when not compiled.
  Config compile_config() const;
  void compile_from_config(const Config& config);
  Rng& rng() { return rng_; }
  const Rng& rng() const { return rng_; }
  void set_seed(std::uint64_t seed) { rng_.seed(seed); }

 protected:
  // The graph of a Sequential model: one input of `shape` (maybe still unknown) and one call per
  // layer, each on the previous one's output. Layers are built when the input width is known.
  void set_chain(std::vector<std::shared_ptr<LayerOf<Scalar>>> layers, std::vector<Index> shape);
  // An exclusive hold for a structure change by `caller`, or std::invalid_argument (model_lock.hpp).
  ModelLock::Hold change_structure(const char* caller) const { return lock_.write(caller); }
  void set_input_shape_only(std::vector<Index> shape) { inputs_.at(0).shape = std::move(shape); }
  bool sequential_ = false;

 private:
  struct Input {
    std::string name;
    std::vector<Index> shape;
  };
  struct Node : Call {
    bool list = false;           // runs through the layer's *_inputs functions
    // What runs the call in training: the layer, or for the later calls of a shared layer a copy
    // with buffers of its own, whose weights are copied from the layer before each call.
    std::shared_ptr<LayerOf<Scalar>> runner;
    bool copy = false;                   // runner is such a copy
    long output = -1;                    // the model output this call gives, if any (the first)
    std::vector<bool> need_grad;         // per input: whether backward computes its gradient
    std::vector<const Scalar*> input_data;   // per input, this pass
    std::vector<const Scalar*> input_grads;  // per input, this pass
    // For the copy of a shared layer: the layer's tensors and the copy's, listed once.
    std::vector<ParameterOf<Scalar>> shared_params, copy_params, shared_state, copy_state;
  };

  void require_graph(const char* caller) const;
  void require_compiled_and_built(const char* caller) const;
  void check_inputs(const std::vector<InputMatrixOf<Scalar>>& x, const char* what) const;
  void check_data(const DatasetsOf<Scalar>& data, const char* what) const;
  void order_layers();
  Config chain_config() const;
  // With `x`, also decides for its sparse inputs which calls read them sparse and which need the
  // batch densified (sparse_reads_, densify_input_).
  void prepare_training(const std::vector<InputMatrixOf<Scalar>>* x = nullptr);
  // Whether call `node` reads model input `sparse[...]` sparse: a one-input call of a layer that
  // takes sparse batches, on a model input given as CSR.
  bool reads_sparse(const Node& node, const LayerOf<Scalar>& layer, const CsrRowsOf<Scalar>* const* sparse) const;
  // Whether some call reads model input `input` dense.
  bool needs_dense(size_t input, const CsrRowsOf<Scalar>* const* sparse) const;
  void reserve_batch(Index max_batch);
  void reserve_model_buffers(Index max_batch);  // reserve_batch's own buffers, beside the layers'
  // [issue 13] Each batch's targets and weights checked again where the batch is taken, for every
  // output (batch_checks.hpp): row i of batch_y[o] is sample rows[i] (or first + i) of data.y[o].
  void recheck_batches(const DatasetsOf<Scalar>& data, const std::vector<ConstMatrixMapOf<Scalar>>& batch_y, const Scalar* weights,
                       const Index* rows, Index first) const;
  void sync_twin(Node& node, bool before) const;
  // Adds `grad` (rows x width) to the gradient of `tensor` this pass.
  void add_gradient(size_t tensor, const Scalar* grad, Index rows);
  std::vector<std::vector<MetricPtr>> resolve_metrics() const;
  History fit_epochs(const DatasetsOf<Scalar>& data, const FitOptions& options, const std::optional<DatasetsOf<Scalar>>& validation,
                     const FitCallbacks& callbacks);
  // Forward, losses and backward on one batch, filling every trained parameter's gradient; adds the
  // batch's loss and metric sums to `tally`. The optimizer step is the caller's.
  void forward_backward(const std::vector<InputMatrixOf<Scalar>>& x, const std::vector<ConstMatrixMapOf<Scalar>>& y,
                        const Scalar* sample_weight, TallyOf<Scalar>& tally);
  // Data parallel: the checks and copies before the first epoch (ReplicaSync::start).
  void start_replica(ReplicaSyncOf<Scalar>& sync, const DatasetsOf<Scalar>& data, const FitOptions& options, bool validating,
                     const std::vector<ParameterOf<Scalar>>& params, const std::vector<ParameterOf<Scalar>>& state, size_t totals);
  void refuse_activity_penalties(const char* caller) const;
  Logs evaluate_share(const DatasetsOf<Scalar>& data, Index batch_size, const EvaluateCallbacks* callbacks,
                      const Distribution& distribution) const;
  Index inference_chunk(Index rows, Index batch_size) const;

  std::string name_;
  std::vector<Input> inputs_;
  std::vector<std::shared_ptr<LayerOf<Scalar>>> layers_;
  std::vector<Entry> entries_;
  std::vector<Node> nodes_;    // in execution order (every call after the calls it reads)
  std::vector<size_t> outputs_;  // tensor ids
  std::vector<LossPtr> losses_;
  std::vector<double> loss_weights_;
  std::vector<std::vector<MetricPtr>> metrics_;
  OptimizerPtr optimizer_;
  Rng rng_;

  // Training buffers, sized by reserve_batch() before the loop.
  Index reserved_ = 0;
  std::vector<RowMatrixOf<Scalar>> batch_x_;        // per input (batch, input width)  rows gathered from a permutation
  std::vector<RowMatrixOf<Scalar>> batch_y_;        // per output (batch, target columns)
  std::vector<RowMatrixOf<Scalar>> grad_output_;    // per output (batch, output width)  dL/dA or dL/dZ of its last call
  std::vector<VectorOf<Scalar>> sample_losses_;     // per output (batch)
  VectorOf<Scalar> batch_weights_;                  // (batch)  sample weights gathered with the rows
  std::vector<const Scalar*> tensor_data_;  // per tensor: where its values are this pass
  std::vector<const Scalar*> tensor_grad_;  // per tensor: its gradient this pass
  std::vector<int> grad_sources_;           // per tensor: how many gradients add up to it
  std::vector<int> grads_received_;         // per tensor, this pass
  std::vector<RowMatrixOf<Scalar>> grad_sums_;        // per tensor with several sources: (batch, width)
  std::vector<const Scalar*> step_inputs_;  // per input: this step's rows (densified, for a sparse input read dense)
  // Sparse inputs, sized with the other training buffers.
  std::vector<const CsrRowsOf<Scalar>*> step_sparse_;   // per input: this step's CSR rows, null for a dense input
  std::vector<CsrRowsOf<Scalar>> sparse_rows_;          // per input: what step_sparse_ points to
  std::vector<CsrBatchOf<Scalar>> sparse_batch_;        // per input: room for a shuffled batch of its rows
  std::vector<char> sparse_input_;            // per input: given as CSR to this fit / train_on_batch
  std::vector<char> densify_input_;           // per input: sparse, and some call reads it dense
  const CsrRowsOf<Scalar>* const* pass_sparse_ = nullptr;  // forward_pass's `sparse`, for backward_pass
  std::vector<const Scalar*> step_grads_;   // per output: the loss's gradient (null without a loss)
  std::vector<GradientAt> step_at_;         // per output: whether that gradient is dL/dZ (fused) or dL/dA
  int input_gradients_ = -1;                // whether need_grad asks for the inputs' gradients (-1: unset)
  std::vector<Index> permutation_;
  std::vector<Index> batch_rows_;  // (batch)  data parallel: this rank's rows of the current batch
  ModelLock lock_;  // [issue 13] readers share it; structure changes are refused while it is held
};

using Dataset = DatasetOf<float>;
using Datasets = DatasetsOf<float>;
using Model = ModelOf<float>;

// The number of features in a sample of `shape` (their product); throws std::invalid_argument for a
// dimension below 1 or a product beyond Index.
Index features_of(const std::vector<Index>& shape);

// A model from {"class_name": "Sequential" | "Functional" (or Keras 2's "Model"), "config": {...}}.
// The scalar type is the caller's choice (float unless named).
template <class Scalar = float>
ModelOf<Scalar> model_from_config(const Config& serialized, std::uint64_t seed = 0x5eed,
                                  const typename ModelOf<Scalar>::BuildCheck& before_build = {});

}  // namespace fastmlp
