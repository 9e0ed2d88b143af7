#include "fastmlp/sequential.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <tuple>

#include "batch_checks.hpp"
#include "fastmlp/memory.hpp"
#include "model_allocation.hpp"

namespace fastmlp {
namespace {

std::string shape_text(ConstMatrixMap m) {
  return "(" + std::to_string(m.rows()) + ", " + std::to_string(m.cols()) + ")";
}

// Copies the rows listed in indices[first, end) of `source` into the top rows of `batch`.
void gather_rows(ConstMatrixMap source, const std::vector<Index>& indices, Index first, Index end, RowMatrix& batch) {
  const size_t row_bytes = sizeof(Scalar) * static_cast<size_t>(source.cols());
  for (Index i = first; i < end; ++i)
    std::memcpy(batch.row(i - first).data(), source.row(indices[i]).data(), row_bytes);
}

// The batch's total loss: Σ w_i l_i (or Σ l_i), to which n times the batch's penalties are added,
// so that dividing the epoch's total by the sample count gives Keras's batch-size-weighted mean.
double weighted_sum(const Vector& losses, Index n, const Scalar* weights) {
  const auto l = losses.head(n);
  return weights ? static_cast<double>(l.dot(Eigen::Map<const Vector>(weights, n))) : static_cast<double>(l.sum());
}

}  // namespace

// Running totals of one epoch, one batch or one evaluation: the loss total, then each metric's
// state, in one buffer allocated before the loop (data-parallel training sums it over the ranks).
class Tally {
 public:
  explicit Tally(const std::vector<MetricPtr>& metrics) : metrics_(metrics) {
    size_t size = 1;
    for (const auto& m : metrics) {
      offsets_.push_back(size);
      size += static_cast<size_t>(m->state_size());
    }
    totals_.assign(size, 0.0);
    logs_.emplace_back("loss", 0.0);
    for (const auto& m : metrics) logs_.emplace_back(m->name(), 0.0);
  }

  void reset() { std::fill(totals_.begin(), totals_.end(), 0.0); }
  void add_loss(double total) { totals_[0] += total; }
  void add_metrics(ConstMatrixMap y_pred, ConstMatrixMap y_true) {
    for (size_t m = 0; m < metrics_.size(); ++m) metrics_[m]->accumulate(y_pred, y_true, &totals_[offsets_[m]]);
  }
  // Every metric's state is a sum over samples, so tallies of disjoint batches add up.
  void add(const Tally& other) {
    for (size_t i = 0; i < totals_.size(); ++i) totals_[i] += other.totals_[i];
  }
  std::vector<double>& totals() { return totals_; }
  // Loss and metric values after `samples` samples; the reference stays valid until the next call.
  const Logs& logs(double samples) {
    logs_[0].second = totals_[0] / samples;
    for (size_t m = 0; m < metrics_.size(); ++m)
      logs_[m + 1].second = metrics_[m]->result(&totals_[offsets_[m]], samples);
    return logs_;
  }

 private:
  const std::vector<MetricPtr>& metrics_;
  std::vector<size_t> offsets_;
  std::vector<double> totals_;  // [loss, metric states...]
  Logs logs_;
};

Index FitOptions::batches(Index rows) const {
  const Index size = std::max<Index>(1, std::min(batch_size, rows));
  return (rows + size - 1) / size;
}

Sequential::Sequential(std::uint64_t seed) : rng_(seed) {}

void Sequential::add(std::shared_ptr<Layer> layer) {
  if (!layer) throw std::invalid_argument("Sequential.add: layer is null");
  const auto writing = lock_.write("add");
  if (built() && !layer->built()) allocate_for(*layer, output_dim(), "build", [&] { layer->build(output_dim(), rng_); });
  if (built() && layer->input_dim() != output_dim())
    throw std::invalid_argument("Sequential.add: layer expects " + std::to_string(layer->input_dim()) +
                                " inputs but the model outputs " + std::to_string(output_dim()));
  layers_.push_back(std::move(layer));
}

void Sequential::pop() {
  const auto writing = lock_.write("pop");
  if (layers_.empty()) throw std::invalid_argument("Sequential.pop: the model has no layers");
  layers_.pop_back();
}

void Sequential::build() {
  if (input_shape_.empty())
    throw std::invalid_argument("Sequential.build: the model has no input shape; declare one or pass input_dim");
  Index features = 1;
  for (const Index d : input_shape_) features *= d;
  build(features);
}

void Sequential::build(Index input_dim) {
  auto already_built = [&] {
    if (layers_.empty()) throw std::invalid_argument("Sequential.build: the model has no layers; add a layer first");
    if (built() && input_dim != this->input_dim())
      throw std::invalid_argument("the model was built for " + std::to_string(this->input_dim()) +
                                  " input features, got " + std::to_string(input_dim));
    // Every layer: one that could not be built (out of memory) is built by the next call.
    return std::all_of(layers_.begin(), layers_.end(), [](const auto& layer) { return layer->built(); });
  };
  // fit() calls build() every time: finding the model built only reads it, so that training can
  // start while other threads predict. Only building changes the structure.
  if (const auto reading = lock_.read(); already_built()) return;
  const auto writing = lock_.write("build");
  if (already_built()) return;
  Index width = input_dim;
  for (auto& layer : layers_) {
    if (!layer->built()) allocate_for(*layer, width, "build", [&] { layer->build(width, rng_); });
    // A layer built earlier (shared with another model) keeps its width; reading a narrower
    // activation buffer as if it were that wide would run past its end.
    if (layer->input_dim() != width)
      throw std::invalid_argument("Sequential.build: a " + layer->class_name() + " layer was already built for " +
                                  std::to_string(layer->input_dim()) + " inputs, but the layer before it gives " +
                                  std::to_string(width) + " (is it shared with another model?)");
    width = layer->output_dim();
  }
  if (input_shape_.empty()) input_shape_ = {input_dim};
}

Index Sequential::input_dim() const { return built() ? layers_.front()->input_dim() : 0; }
Index Sequential::output_dim() const { return layers_.empty() ? 0 : layers_.back()->output_dim(); }

void Sequential::set_input_shape(std::vector<Index> shape) {
  if (const auto reading = lock_.read(); shape == input_shape_) return;  // Python sets it again and again
  const auto writing = lock_.write("set_input_shape");
  Index features = 1;
  for (const Index d : shape) {
    if (d < 1) throw std::invalid_argument("input shape dimensions must be >= 1, got " + std::to_string(d));
    if (features > std::numeric_limits<Index>::max() / d)
      throw std::invalid_argument("an input shape of more than 2^63 values per sample is too large");
    features *= d;
  }
  if (!shape.empty() && built() && features != input_dim())
    throw std::invalid_argument("the model was built for " + std::to_string(input_dim()) +
                                " input features; an input shape of " + std::to_string(features) +
                                " values does not match them");
  input_shape_ = std::move(shape);
}

void Sequential::compile(LossPtr loss, OptimizerPtr optimizer, std::vector<MetricPtr> metrics) {
  if (!loss) throw std::invalid_argument("compile: loss is required");
  if (!optimizer) throw std::invalid_argument("compile: optimizer is required");
  for (const auto& metric : metrics)
    if (!metric) throw std::invalid_argument("compile: a metric is null");
  const auto writing = lock_.write("compile");
  loss_ = std::move(loss);
  optimizer_ = std::move(optimizer);
  metrics_ = std::move(metrics);
  if (!layers_.empty()) resolve_metrics();  // metrics the loss cannot feed fail here, not after an epoch
}

void Sequential::clear_compile() {
  const auto writing = lock_.write("clear_compile");
  loss_.reset();
  optimizer_.reset();
  metrics_.clear();
}

std::vector<std::string> Sequential::log_names() const {
  std::vector<std::string> names{"loss"};
  for (const auto& metric : metrics_) names.push_back(metric->name());
  return names;
}

std::vector<MetricPtr> Sequential::resolve_metrics() const {
  std::vector<MetricPtr> metrics;
  for (const auto& metric : metrics_) metrics.push_back(metric->resolved_for(metric, *loss_, output_dim()));
  return metrics;
}

std::vector<Parameter> Sequential::trainable_parameters() {
  std::vector<Parameter> params;
  for (auto& layer : layers_)
    if (layer->trainable())
      for (auto& p : layer->parameters()) params.push_back(p);
  return params;
}

Index Sequential::count_params() {
  Index n = 0;
  for (auto& layer : layers_) n += layer->count_params();
  return n;
}

void Sequential::require_compiled_and_built(ConstMatrixMap x, const char* caller) {
  if (!compiled()) throw std::invalid_argument(std::string(caller) + ": call compile() before training");
  build(x.cols());
}

void Sequential::check_data(ConstMatrixMap x, ConstMatrixMap y, const char* what) const {
  if (x.rows() == 0) throw std::invalid_argument(std::string(what) + ": x has no rows");
  if (x.rows() != y.rows())
    throw std::invalid_argument(std::string(what) + ": x has " + std::to_string(x.rows()) + " rows but y has " +
                                std::to_string(y.rows()) + "; they must hold the same samples");
  if (x.cols() != input_dim())
    throw std::invalid_argument(std::string(what) + ": the model expects " + std::to_string(input_dim()) +
                                " input features, x has shape " + shape_text(x));
  if (!x.allFinite()) throw std::invalid_argument(std::string(what) + ": x contains NaN or infinity");
  loss_->check_targets(y, output_dim());
}

void Sequential::reserve_batch(Index max_batch) {
  for (auto& layer : layers_)
    allocate_for(*layer, layer->input_dim(), "size the training buffers of", [&] { layer->reserve_batch(max_batch); });
  const Index targets = loss_->target_columns(output_dim());
  explain_allocation_failure(
      [&] {
        batch_x_.resize(max_batch, input_dim());
        batch_y_.resize(max_batch, targets);
        grad_output_.resize(max_batch, output_dim());
        batch_weights_.resize(max_batch);
        sample_losses_.resize(max_batch);
      },
      [&] {
        return "cannot size the model's training buffers for batches of " + std::to_string(max_batch) +
               " rows: they need " +
               byte_count(sizeof(Scalar) * static_cast<double>(max_batch) *
                          static_cast<double>(input_dim() + targets + output_dim() + 2));
      });
}

double Sequential::weight_penalty() const {
  double total = 0;
  for (const auto& layer : layers_) total += layer->weight_penalty();
  return total;
}

void Sequential::refuse_activity_penalties(const char* caller) const {
  for (const auto& layer : layers_)
    if (layer->has_activity_penalty())
      throw std::invalid_argument(std::string("data-parallel ") + caller + " does not support activity regularizers (" +
                                  layer->class_name() + " layer '" + layer->name() +
                                  "'): their penalty is a sum over the whole batch, which no rank holds");
}

void Sequential::start_replica(ReplicaSync& sync, ConstMatrixMap x, ConstMatrixMap y, const FitOptions& options,
                               bool validating, const std::vector<Parameter>& params,
                               const std::vector<Parameter>& state, size_t totals) {
  refuse_activity_penalties("fit");
  std::vector<Parameter> weights;
  std::vector<Rng*> generators;
  for (auto& layer : layers_) {
    for (auto& p : layer->parameters()) weights.push_back(p);
    for (auto& p : layer->non_trainable()) weights.push_back(p);
    if (Rng* generator = layer->generator()) generators.push_back(generator);
  }
  Index weight_values = 0, trainable_values = 0;
  for (const auto& p : weights) weight_values += p.value->size();
  for (const auto& p : params) trainable_values += p.value->size();
  const bool sharded = options.distribution.sharded;
  // Ranks that pass the same data must pass it in the same order: a checksum weighted by position
  // catches a per-rank shuffle. Sums of absolute values, so that a relative tolerance absorbs
  // the rounding of CPUs that vectorise differently.
  double checksum = 0;
  if (!sharded)
    for (Index i = 0; i < x.rows(); ++i)
      checksum += static_cast<double>(1 + i % 1021) *
                  (x.row(i).cwiseAbs().cast<double>().sum() + y.row(i).cwiseAbs().cast<double>().sum());
  const std::vector<Agreed> agreed = {
      {"sharded data (1: yes)", sharded ? 1.0 : 0.0},
      {"layer count", static_cast<double>(layers_.size())},
      {"weight values", static_cast<double>(weight_values)},
      {"trainable values", static_cast<double>(trainable_values)},
      {"optimizer step", static_cast<double>(optimizer_->iterations())},
      {"metric totals", static_cast<double>(totals)},
      {"batch_size", static_cast<double>(options.batch_size)},
      {"epochs", static_cast<double>(options.epochs)},
      {"initial_epoch", static_cast<double>(options.initial_epoch)},
      {"shuffle", options.shuffle ? 1.0 : 0.0},
      {"validation data (1: given)", validating ? 1.0 : 0.0},
      {"rows of x", sharded ? 0.0 : static_cast<double>(x.rows())},
      {"checksum of x and y", checksum, 1e-6},
  };
  sync.start(agreed, x.rows(), weights, rng_, generators, params, state, totals);
}

void Sequential::forward_backward(ConstMatrixMap x, ConstMatrixMap y, const Scalar* sample_weight, Tally& tally) {
  const Index n = x.rows();
  const Scalar* activations = x.data();
  double penalty = weight_penalty();
  for (size_t i = 0; i < layers_.size(); ++i) {
    layer_inputs_[i] = activations;
    const ConstMatrixMap output = layers_[i]->forward(ConstMatrixMap(activations, n, layers_[i]->input_dim()), true);
    if (layers_[i]->has_activity_penalty()) penalty += layers_[i]->activity_penalty(output);
    activations = output.data();
  }
  const ConstMatrixMap y_pred(activations, n, output_dim());

  loss_->per_sample(y_pred, y, sample_losses_.head(n));
  tally.add_loss(weighted_sum(sample_losses_, n, sample_weight) + static_cast<double>(n) * penalty);
  tally.add_metrics(y_pred, y);

  const Activation* final_activation = layers_.back()->final_activation();
  const bool fused = final_activation != nullptr && loss_->fuses_with(*final_activation);
  MatrixMap grad = top_rows(grad_output_, n);
  if (fused)
    loss_->gradient_preactivation(y_pred, y, grad);
  else
    loss_->gradient(y_pred, y, grad);
  // A sample's weight scales its loss, so it scales that row of the gradient.
  if (sample_weight) grad.array().colwise() *= Eigen::Map<const Vector>(sample_weight, n).array();

  const Scalar* upstream = grad.data();
  for (size_t i = layers_.size(); i-- > 0;) {
    const GradientAt at = fused && i + 1 == layers_.size() ? GradientAt::PreActivation : GradientAt::Output;
    upstream = layers_[i]
                   ->backward(ConstMatrixMap(layer_inputs_[i], n, layers_[i]->input_dim()),
                              ConstMatrixMap(upstream, n, layers_[i]->output_dim()), at, /*need_grad_input=*/i > 0)
                   .data();
  }
}

History Sequential::fit(ConstMatrixMap x, ConstMatrixMap y, const FitOptions& options,
                        const std::optional<Dataset>& validation, const FitCallbacks& callbacks,
                        const Scalar* sample_weight) {
  // Data parallel: a rank that fails tells the others, which would otherwise wait for it.
  return announcing_failures(options.distribution,
                             [&] { return fit_epochs(x, y, options, validation, callbacks, sample_weight); });
}

History Sequential::fit_epochs(ConstMatrixMap x, ConstMatrixMap y, const FitOptions& options,
                               const std::optional<Dataset>& validation, const FitCallbacks& callbacks,
                               const Scalar* sample_weight) {
  require_compiled_and_built(x, "fit");
  const auto reading = lock_.read();  // [issue 13] the checks below hold for the whole run
  check_data(x, y, "fit");
  if (validation) check_data(validation->x, validation->y, "validation data");
  check_weights(sample_weight, x.rows(), "fit");
  if (options.batch_size < 1)
    throw std::invalid_argument("batch_size must be >= 1, got " + std::to_string(options.batch_size));
  if (options.epochs < 0) throw std::invalid_argument("epochs must be >= 0, got " + std::to_string(options.epochs));

  const std::vector<MetricPtr> metrics = resolve_metrics();
  std::vector<Parameter> params = trainable_parameters();
  build_optimizer(*optimizer_, params);  // [issue 13] model_allocation.hpp
  History history;
  Tally tally(metrics), step_tally(metrics);

  // DATA-PARALLEL HOOK 1 of 4: every rank agrees on the model and the arguments, starts from rank
  // 0's weights and generators, and learns the size of the whole data set (the union of the shards).
  std::optional<ReplicaSync> sync;
  std::vector<Parameter> replica_state;  // averaged over the ranks with the gradients
  if (options.distribution.active()) {
    sync.emplace(options.distribution);
    for (auto& layer : layers_)
      if (layer->trainable())
        for (auto& p : layer->non_trainable()) replica_state.push_back(p);
    start_replica(*sync, x, y, options, validation.has_value(), params, replica_state, tally.totals().size());
  }

  const Index rows = sync ? sync->global_rows() : x.rows();
  const Index batch_size = std::min(options.batch_size, rows);
  const Index batches = options.batches(rows);
  reserve_batch(batch_size);
  layer_inputs_.assign(layers_.size(), nullptr);
  permutation_.resize(static_cast<size_t>(rows));
  std::iota(permutation_.begin(), permutation_.end(), Index{0});
  if (sync) batch_rows_.resize(static_cast<size_t>(batch_size));
  using Clock = std::chrono::steady_clock;

  for (int epoch = options.initial_epoch; epoch < options.epochs; ++epoch) {
    if (callbacks.on_epoch_begin) callbacks.on_epoch_begin(epoch);
    if (options.shuffle) std::shuffle(permutation_.begin(), permutation_.end(), rng_);
    tally.reset();
    auto last_report = Clock::now();
    Index samples_done = 0;
    bool stop = false;

    // A rank that asks to stop keeps going to the next step, whose allreduce tells the others.
    for (Index b = 0; b < batches && (!stop || sync); ++b) {
      const Index first = b * batch_size, end = std::min(rows, first + batch_size), n = end - first;
      if (callbacks.on_batch_begin) callbacks.on_batch_begin(epoch, b);
      if (sync) {
        // DATA-PARALLEL HOOK 2 of 4: this rank's rows of the global batch permutation_[first, end).
        const Index mine = sync->select(permutation_, first, end, batch_rows_);
        gather_rows(x, batch_rows_, 0, mine, batch_x_);
        gather_rows(y, batch_rows_, 0, mine, batch_y_);
        if (sample_weight)
          for (Index i = 0; i < mine; ++i) batch_weights_(i) = sample_weight[batch_rows_[static_cast<size_t>(i)]];
        recheck_batch(*loss_, output_dim(), top_rows(std::as_const(batch_y_), mine),
                      sample_weight ? batch_weights_.data() : nullptr, y, batch_rows_.data());  // [issue 13]
        step_tally.reset();
        if (mine > 0)
          forward_backward(top_rows(std::as_const(batch_x_), mine), top_rows(std::as_const(batch_y_), mine),
                           sample_weight ? batch_weights_.data() : nullptr, step_tally);
        // DATA-PARALLEL HOOK 3 of 4: one allreduce of the gradients, the loss and metric totals and
        // the stop requests; a stop asked for after the previous batch leaves this step unapplied.
        if (sync->reduce(params, replica_state, mine, n, step_tally.totals(), stop)) {
          stop = true;
          break;
        }
        tally.add(step_tally);
      } else if (options.shuffle) {
        gather_rows(x, permutation_, first, end, batch_x_);
        gather_rows(y, permutation_, first, end, batch_y_);
        if (sample_weight)
          for (Index i = first; i < end; ++i) batch_weights_(i - first) = sample_weight[permutation_[i]];
        recheck_batch(*loss_, output_dim(), top_rows(std::as_const(batch_y_), n),
                      sample_weight ? batch_weights_.data() : nullptr, y, permutation_.data() + first);  // [issue 13]
        forward_backward(top_rows(std::as_const(batch_x_), n), top_rows(std::as_const(batch_y_), n),
                         sample_weight ? batch_weights_.data() : nullptr, tally);
      } else {
        recheck_batch(*loss_, output_dim(), row_block(y, first, end), sample_weight ? sample_weight + first : nullptr, y,
                      nullptr, first);  // [issue 13]
        forward_backward(row_block(x, first, end), row_block(y, first, end),
                         sample_weight ? sample_weight + first : nullptr, tally);
      }
      optimizer_->step(params);
      samples_done = end;
      if (callbacks.on_batch_end) {
        const auto now = Clock::now();
        if (b + 1 == batches || std::chrono::duration<double>(now - last_report).count() >= callbacks.progress_interval) {
          stop = callbacks.on_batch_end(epoch, b + 1, batches, tally.logs(static_cast<double>(end)));
          last_report = now;
        }
      }
    }

    // The epoch's means over the samples it trained on: all rows, unless a callback stopped it early.
    Logs logs = tally.logs(static_cast<double>(samples_done));
    if (validation) {
      for (const auto& [name, value] : evaluate(validation->x, validation->y, options.batch_size,
                                                validation->sample_weight, options.distribution))
        logs.emplace_back("val_" + name, value);
    }
    history.epochs.push_back(epoch);
    for (const auto& [name, value] : logs) history.history[name].push_back(value);
    bool finish = (callbacks.on_epoch_end && callbacks.on_epoch_end(epoch, logs)) || stop;
    // DATA-PARALLEL HOOK 4 of 4: the ranks stop together, whoever asked.
    if (sync) finish = sync->agree_to_stop(finish);
    if (finish) break;
  }
  return history;
}

Logs Sequential::train_on_batch(ConstMatrixMap x, ConstMatrixMap y) {
  require_compiled_and_built(x, "train_on_batch");
  const auto reading = lock_.read();
  check_data(x, y, "train_on_batch");
  const std::vector<MetricPtr> metrics = resolve_metrics();
  std::vector<Parameter> params = trainable_parameters();
  build_optimizer(*optimizer_, params);
  // Layers reserve nothing when their buffers already fit, so this is cheap after the first call,
  // and it also sizes layers added since the last one.
  reserve_batch(std::max(x.rows(), batch_x_.rows()));
  layer_inputs_.assign(layers_.size(), nullptr);
  Tally tally(metrics);
  forward_backward(x, y, nullptr, tally);
  optimizer_->step(params);
  return tally.logs(static_cast<double>(x.rows()));
}

RowMatrix Sequential::call_training(ConstMatrixMap x) {
  const auto reading = lock_.read();
  if (!built()) throw std::invalid_argument("call: the model is not built; give it an input shape or fit it first");
  if (x.cols() != input_dim())
    throw std::invalid_argument("call: the model expects " + std::to_string(input_dim()) +
                                " input features, x has shape " + shape_text(x));
  if (!x.allFinite()) throw std::invalid_argument("call: x contains NaN or infinity");
  if (x.rows() == 0) return RowMatrix(0, output_dim());
  for (auto& layer : layers_)  // no-op when the buffers already fit
    allocate_for(*layer, layer->input_dim(), "size the buffers of", [&] { layer->reserve_batch(x.rows()); });
  const Scalar* activations = x.data();
  for (auto& layer : layers_)
    activations = layer->forward(ConstMatrixMap(activations, x.rows(), layer->input_dim()), /*training=*/true).data();
  return ConstMatrixMap(activations, x.rows(), output_dim());
}

Index Sequential::inference_chunk(Index rows, Index batch_size) const {
  // Large enough for GEMMs to run near peak, small enough that activations stay in cache.
  constexpr Index kDefaultChunk = 1024;
  return std::max<Index>(1, std::min(rows, batch_size > 0 ? batch_size : kDefaultChunk));
}

double Sequential::infer_chunk(ConstMatrixMap x, RowMatrix& ping, RowMatrix& pong, MatrixMap out) const {
  const Index n = x.rows();
  double penalty = 0;
  const Scalar* input = x.data();
  for (size_t i = 0; i < layers_.size(); ++i) {
    const bool last = i + 1 == layers_.size();
    MatrixMap output = last ? out : MatrixMap((i % 2 ? pong : ping).data(), n, layers_[i]->output_dim());
    layers_[i]->infer(ConstMatrixMap(input, n, layers_[i]->input_dim()), output);
    if (layers_[i]->has_activity_penalty()) penalty += layers_[i]->activity_penalty(as_const_map(output));
    input = output.data();
  }
  return penalty;
}

void Sequential::predict(ConstMatrixMap x, MatrixMap out, Index batch_size) const {
  const auto reading = lock_.read();
  if (!built()) throw std::invalid_argument("predict: the model is not built; give it an input shape or fit it first");
  if (x.cols() != input_dim())
    throw std::invalid_argument("predict: the model expects " + std::to_string(input_dim()) +
                                " input features, x has shape " + shape_text(x));
  if (!x.allFinite()) throw std::invalid_argument("predict: x contains NaN or infinity");
  if (out.rows() != x.rows() || out.cols() != output_dim())
    throw std::invalid_argument("predict: output buffer has shape " + shape_text(as_const_map(out)) + ", expected (" +
                                std::to_string(x.rows()) + ", " + std::to_string(output_dim()) + ")");
  const Index chunk = inference_chunk(x.rows(), batch_size);
  Index widest = 0;
  for (const auto& layer : layers_) widest = std::max(widest, layer->output_dim());
  // Local buffers: predict shares nothing between calls, so threads may predict at once.
  RowMatrix ping, pong;
  explain_allocation_failure(
      [&] {
        ping.resize(layers_.size() > 1 ? chunk : 0, widest);
        pong.resize(layers_.size() > 2 ? chunk : 0, widest);
      },
      [&] { return inference_buffers_message("predict", chunk, widest, 2); });
  for (Index first = 0; first < x.rows(); first += chunk) {
    const Index end = std::min(x.rows(), first + chunk);
    infer_chunk(row_block(x, first, end), ping, pong, row_block(out, first, end));
  }
}

RowMatrix Sequential::predict(ConstMatrixMap x, Index batch_size) const {
  const auto reading = lock_.read();  // output_dim() must stay what the buffer was sized for
  RowMatrix out;
  explain_allocation_failure([&] { out.resize(x.rows(), output_dim()); }, [&] {
    return "predict: cannot allocate the output of " + std::to_string(x.rows()) + " rows by " +
           std::to_string(output_dim()) + " columns: it needs " +
           byte_count(sizeof(Scalar) * static_cast<double>(x.rows()) * static_cast<double>(output_dim()));
  });
  predict(x, MatrixMap(out.data(), out.rows(), out.cols()), batch_size);
  return out;
}

void Sequential::check_weights(const Scalar* sample_weight, Index rows, const char* what) const {
  if (!sample_weight) return;
  for (Index i = 0; i < rows; ++i)
    if (!(std::isfinite(sample_weight[i]) && sample_weight[i] >= 0))
      throw std::invalid_argument(std::string(what) + ": sample weights must be finite and >= 0; sample_weight[" +
                                  std::to_string(i) + "] is " + std::to_string(sample_weight[i]));
}

Logs Sequential::evaluate(ConstMatrixMap x, ConstMatrixMap y, Index batch_size, const Scalar* sample_weight,
                          const Distribution& distribution) const {
  const auto reading = lock_.read();  // [issue 13] model_lock.hpp
  return announcing_failures(distribution, [&] {
    if (!compiled()) throw std::invalid_argument("evaluate: call compile() before evaluate()");
    if (!built()) throw std::invalid_argument("evaluate: the model is not built; give it an input shape or fit it first");
    check_data(x, y, "evaluate");
    check_weights(sample_weight, x.rows(), "evaluate");
    if (distribution.active()) refuse_activity_penalties("evaluate");
    // Data parallel: each rank evaluates its share of the rows (all of its shard), then the sums add up.
    Index first_row = 0, end_row = x.rows();
    if (distribution.active() && !distribution.sharded)
      std::tie(first_row, end_row) =
          share_of(x.rows(), distribution.communicator->rank(), distribution.communicator->size());
    const std::vector<MetricPtr> metrics = resolve_metrics();
    Tally tally(metrics);
    const Index chunk = inference_chunk(std::max<Index>(1, end_row - first_row), batch_size);
    Index widest = 0;
    for (const auto& layer : layers_) widest = std::max(widest, layer->output_dim());
    RowMatrix ping, pong, y_pred;
    Vector losses;
    explain_allocation_failure(
        [&] {
          ping.resize(chunk, widest);
          pong.resize(chunk, widest);
          y_pred.resize(chunk, output_dim());
          losses.resize(chunk);
        },
        [&] { return inference_buffers_message("evaluate", chunk, widest, 3); });
    const double weights = weight_penalty();  // the weights do not change during evaluation
    for (Index first = first_row; first < end_row; first += chunk) {
      const Index end = std::min(end_row, first + chunk), n = end - first;
      MatrixMap pred = top_rows(y_pred, n);
      const double activity = infer_chunk(row_block(x, first, end), ping, pong, pred);
      const ConstMatrixMap targets = row_block(y, first, end);
      loss_->per_sample(as_const_map(pred), targets, losses.head(n));
      tally.add_loss(weighted_sum(losses, n, sample_weight ? sample_weight + first : nullptr) +
                     static_cast<double>(n) * (weights + activity));
      tally.add_metrics(as_const_map(pred), targets);
    }
    Index rows = end_row - first_row;
    if (distribution.active()) reduce_totals(*distribution.communicator, tally.totals(), rows);
    return tally.logs(static_cast<double>(rows));
  });
}

// ---- configuration ---------------------------------------------------------------------------------
Config Sequential::config() const {
  Config::Array layers;
  for (const auto& layer : layers_) layers.push_back(serialize(*layer));
  Config config = Config::Object{{"name", name_}};
  if (!input_shape_.empty()) config.set("input_shape", options::to_config(input_shape_));
  config.set("layers", std::move(layers));
  return config;
}

Sequential Sequential::from_config(const Config& config, std::uint64_t seed) {
  const Config::Object& members = config.as_object("Sequential config");
  for (const auto& [key, unused] : members)
    if (key != "name" && key != "input_shape" && key != "layers")
      throw ConfigError("Sequential config has no member '" + key + "'; it holds name, input_shape and layers");
  Sequential model(seed);
  if (const Config* name = config.find("name")) model.set_name(name->as_string("Sequential name"));
  for (const Config& layer : config.at("layers").as_array("Sequential layers"))
    model.add(Registry<Layer>::instance().deserialize(layer, "Sequential layer"));
  if (const Config* shape = config.find("input_shape")) {
    std::vector<Index> dims;
    options::from_config(*shape, "Sequential input_shape", dims);
    model.set_input_shape(std::move(dims));
    if (!model.layers().empty()) model.build();
  }
  return model;
}

Config Sequential::compile_config() const {
  if (!compiled()) return Config();
  Config::Array metrics;
  for (const auto& metric : metrics_) metrics.push_back(serialize(*metric));
  return Config::Object{{"loss", serialize(*loss_)}, {"optimizer", serialize(*optimizer_)}, {"metrics", metrics}};
}

void Sequential::compile_from_config(const Config& config) {
  const Config::Object& members = config.as_object("compile config");
  for (const auto& [key, unused] : members)
    if (key != "loss" && key != "optimizer" && key != "metrics")
      throw ConfigError("compile config has no member '" + key + "'; it holds loss, optimizer and metrics");
  std::vector<MetricPtr> metrics;
  if (const Config* listed = config.find("metrics"))
    for (const Config& metric : listed->as_array("compile metrics"))
      metrics.push_back(Registry<Metric>::instance().deserialize(metric, "metric"));
  compile(Registry<Loss>::instance().deserialize(config.at("loss"), "loss"),
          Registry<Optimizer>::instance().deserialize(config.at("optimizer"), "optimizer"), std::move(metrics));
}

// ---- conveniences: owned matrices and raw buffers, viewed in place ------------------------------
namespace {

ConstMatrixMap view(const RowMatrix& m) { return ConstMatrixMap(m.data(), m.rows(), m.cols()); }

ConstMatrixMap view(const float* data, Index rows, Index cols, const char* name) {
  if (rows < 0 || cols < 0)
    throw std::invalid_argument(std::string(name) + " must have a non-negative shape, got (" + std::to_string(rows) +
                                ", " + std::to_string(cols) + ")");
  if (data == nullptr && rows * cols > 0) throw std::invalid_argument(std::string(name) + " is a null pointer");
  return ConstMatrixMap(data, rows, cols);
}

}  // namespace

History Sequential::fit(const RowMatrix& x, const RowMatrix& y, const FitOptions& options,
                        const std::optional<Dataset>& validation, const FitCallbacks& callbacks) {
  return fit(view(x), view(y), options, validation, callbacks);
}

History Sequential::fit(const float* x, Index rows, Index cols, const float* y, Index y_cols,
                        const FitOptions& options, const FitCallbacks& callbacks) {
  return fit(view(x, rows, cols, "x"), view(y, rows, y_cols, "y"), options, std::nullopt, callbacks);
}

Logs Sequential::evaluate(const RowMatrix& x, const RowMatrix& y, Index batch_size) const {
  return evaluate(view(x), view(y), batch_size);
}

Logs Sequential::evaluate(const float* x, Index rows, Index cols, const float* y, Index y_cols,
                          Index batch_size) const {
  return evaluate(view(x, rows, cols, "x"), view(y, rows, y_cols, "y"), batch_size);
}

RowMatrix Sequential::predict(const RowMatrix& x, Index batch_size) const { return predict(view(x), batch_size); }

RowMatrix Sequential::predict(const float* x, Index rows, Index cols, Index batch_size) const {
  return predict(view(x, rows, cols, "x"), batch_size);
}

}  // namespace fastmlp
