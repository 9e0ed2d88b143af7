// Sequential: a stack of layers with a loss and an optimizer, trained by minibatch gradient descent.
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
#include "fastmlp/metric.hpp"
#include "fastmlp/model_lock.hpp"
#include "fastmlp/optimizer.hpp"

namespace fastmlp {

// Inputs (n, features) and targets (n, target columns) of one data set, viewed without copies,
// with optional per-sample weights (n values; null: all 1).
struct Dataset {
  ConstMatrixMap x;
  ConstMatrixMap y;
  const Scalar* sample_weight = nullptr;
};

// Named values in a fixed order: "loss", then each metric (by its name), then their "val_" counterparts.
using Logs = std::vector<std::pair<std::string, double>>;

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
};

struct History {
  std::vector<int> epochs;
  std::map<std::string, std::vector<double>> history;  // key -> one value per epoch
};

class Tally;  // running loss and metric totals (sequential.cpp)

class Sequential {
 public:
  explicit Sequential(std::uint64_t seed = 0x5eed);

  // The model's name ("sequential"); model files keep it, the core never looks at it.
  const std::string& name() const { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }

  // add, pop, build (when it builds), set_input_shape (to another shape), compile and clear_compile
  // change the structure: while predict, evaluate, fit, train_on_batch or save_model run on the
  // model in another thread (or this call comes from a callback of its fit), they throw
  // std::invalid_argument and change nothing (model_lock.hpp).
  void add(std::shared_ptr<Layer> layer);
  // Removes the last layer, as Keras's Sequential.pop(). The optimizer's slots follow the new set of
  // parameters at the next training step. Throws std::invalid_argument when there is no layer.
  void pop();
  // Holds the structure (layers, loss, optimizer) fixed while the returned object lives, for code
  // that reads it outside the calls above, as save_model does; those calls take it themselves.
  ModelLock::Hold hold_structure() const { return lock_.read(); }
  const std::vector<std::shared_ptr<Layer>>& layers() const { return layers_; }

  // Builds every layer for inputs of width `input_dim`, initialising weights from the model's RNG.
  void build(Index input_dim);
  // Builds for the declared input shape (set_input_shape).
  void build();
  bool built() const { return !layers_.empty() && layers_.front()->built(); }
  Index input_dim() const;
  Index output_dim() const;
  // The shape of one input sample, such as {64}, or {28, 28} for images that a Flatten layer turns
  // into rows (Keras's Input((28, 28))). The core only sees the flat rows; the shape is part of the
  // model (its files keep it). Empty until declared or built.
  const std::vector<Index>& input_shape() const { return input_shape_; }
  // Throws std::invalid_argument unless every dimension is >= 1 and, once built, their product is input_dim().
  void set_input_shape(std::vector<Index> shape);

  // `metrics` are resolved against the loss when training starts ("accuracy" becomes the accuracy
  // the loss calls for).
  void compile(LossPtr loss, OptimizerPtr optimizer, std::vector<MetricPtr> metrics = {});
  bool compiled() const { return loss_ != nullptr; }
  // Forgets the loss, the optimizer and the metrics: a loaded model that is to be compiled anew
  // (Keras's load_model(compile=False)).
  void clear_compile();
  const LossPtr& loss() const { return loss_; }
  const OptimizerPtr& optimizer() const { return optimizer_; }
  const std::vector<MetricPtr>& metrics() const { return metrics_; }
  // "loss", then each metric's name: the keys of train_on_batch's and evaluate's logs.
  std::vector<std::string> log_names() const;

  // Sample weights scale each sample's loss and gradient (Keras: Σ w_i l_i / n per batch).
  History fit(ConstMatrixMap x, ConstMatrixMap y, const FitOptions& options = {},
              const std::optional<Dataset>& validation = std::nullopt, const FitCallbacks& callbacks = {},
              const Scalar* sample_weight = nullptr);

  // Loss (with regularization penalties, as Keras reports it) and metrics over (x, y), in batches
  // of `batch_size` rows (0: a size chosen for speed; activity penalties are sums over a batch, so
  // they depend on it as in Keras). Const and free of shared buffers: several threads may
  // evaluate or predict at once.
  // With an active `distribution`, each rank evaluates its share (all of its shard) and the
  // results are summed over the ranks: every rank returns the logs of the whole data set.
  Logs evaluate(ConstMatrixMap x, ConstMatrixMap y, Index batch_size = 0, const Scalar* sample_weight = nullptr,
                const Distribution& distribution = {}) const;
  void predict(ConstMatrixMap x, MatrixMap out, Index batch_size = 0) const;
  RowMatrix predict(ConstMatrixMap x, Index batch_size = 0) const;

  // The same on owned matrices and on raw row-major float buffers: x holds `rows` samples of
  // `cols` features and y `rows` targets of `y_cols` columns, read in place without copies.
  // Throws std::invalid_argument for a null buffer or a negative size.
  History fit(const RowMatrix& x, const RowMatrix& y, const FitOptions& options = {},
              const std::optional<Dataset>& validation = std::nullopt, const FitCallbacks& callbacks = {});
  History fit(const float* x, Index rows, Index cols, const float* y, Index y_cols, const FitOptions& options = {},
              const FitCallbacks& callbacks = {});
  Logs evaluate(const RowMatrix& x, const RowMatrix& y, Index batch_size = 0) const;
  Logs evaluate(const float* x, Index rows, Index cols, const float* y, Index y_cols, Index batch_size = 0) const;
  RowMatrix predict(const RowMatrix& x, Index batch_size = 0) const;
  RowMatrix predict(const float* x, Index rows, Index cols, Index batch_size = 0) const;

  // The outputs of a training-mode forward pass, as Keras's model(x, training=True): Dropout drops,
  // GaussianNoise adds noise, BatchNormalization normalises with the batch's statistics and updates
  // its moving averages. No gradient is computed and no weight changes. Not thread-safe (it uses
  // the training buffers), unlike predict().
  RowMatrix call_training(ConstMatrixMap x);

  // One optimizer step on one batch; returns the batch's loss and metrics before the step.
  Logs train_on_batch(ConstMatrixMap x, ConstMatrixMap y);

  // The parameters the optimizer updates: those of the layers that are trainable.
  std::vector<Parameter> trainable_parameters();
  Index count_params();

  // The architecture as Keras describes a Sequential: {"name", "input_shape" (when known),
  // "layers": [{"class_name", "config"}, ...]}. from_config builds a new, untrained model from it
  // (built when it has an input shape), validating every layer's config as its constructor does.
  Config config() const;
  static Sequential from_config(const Config& config, std::uint64_t seed = 0x5eed);
  // The loss, optimizer and metrics as configs ({"loss", "optimizer", "metrics"}); null when not
  // compiled. compile_from_config compiles with new objects built from such a config.
  Config compile_config() const;
  void compile_from_config(const Config& config);
  Rng& rng() { return rng_; }
  const Rng& rng() const { return rng_; }
  void set_seed(std::uint64_t seed) { rng_.seed(seed); }

 private:
  void require_compiled_and_built(ConstMatrixMap x, const char* caller);
  void check_data(ConstMatrixMap x, ConstMatrixMap y, const char* what) const;
  void check_weights(const Scalar* sample_weight, Index rows, const char* what) const;
  std::vector<MetricPtr> resolve_metrics() const;
  void reserve_batch(Index max_batch);
  History fit_epochs(ConstMatrixMap x, ConstMatrixMap y, const FitOptions& options,
                     const std::optional<Dataset>& validation, const FitCallbacks& callbacks,
                     const Scalar* sample_weight);
  // Forward, loss and backward on one batch, filling every parameter's gradient; adds the batch's
  // loss and metric sums to `tally`. The optimizer step is the caller's.
  void forward_backward(ConstMatrixMap x, ConstMatrixMap y, const Scalar* sample_weight, Tally& tally);
  // Data parallel: the checks and copies before the first epoch (ReplicaSync::start).
  void start_replica(ReplicaSync& sync, ConstMatrixMap x, ConstMatrixMap y, const FitOptions& options,
                     bool validating, const std::vector<Parameter>& params, const std::vector<Parameter>& state,
                     size_t totals);
  void refuse_activity_penalties(const char* caller) const;
  // Inference on one chunk of rows into `out`, the hidden layers ping-ponging between two
  // caller-owned buffers; returns the activity penalties of the chunk's outputs.
  double infer_chunk(ConstMatrixMap x, RowMatrix& ping, RowMatrix& pong, MatrixMap out) const;
  double weight_penalty() const;
  Index inference_chunk(Index rows, Index batch_size) const;

  std::string name_;
  std::vector<Index> input_shape_;
  std::vector<std::shared_ptr<Layer>> layers_;
  LossPtr loss_;
  OptimizerPtr optimizer_;
  std::vector<MetricPtr> metrics_;
  Rng rng_;

  // Training buffers, sized by reserve_batch() before the loop.
  RowMatrix batch_x_;       // (batch, input_dim)  rows gathered from a shuffled permutation
  RowMatrix batch_y_;       // (batch, target columns)
  RowMatrix grad_output_;   // (batch, output_dim) dL/dA or dL/dZ of the last layer
  Vector batch_weights_;    // (batch)  sample weights gathered with the rows
  Vector sample_losses_;    // (batch)  per-sample losses of the current batch
  std::vector<const Scalar*> layer_inputs_;  // per layer: where forward() read its input this step
  std::vector<Index> permutation_;
  std::vector<Index> batch_rows_;  // (batch)  data parallel: this rank's rows of the current batch
  ModelLock lock_;  // [issue 13] readers share it; structure changes are refused while it is held
};

}  // namespace fastmlp
