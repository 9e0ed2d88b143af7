// Model: the training loop (forward, losses, backward, the optimizer step over a graph of layer
// calls), evaluation and inference. A Sequential model is the chain case of the same graph and runs
// through the same code.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <numeric>
#include <stdexcept>
#include <tuple>

#include "fastmlp/layers/model_layer.hpp"
#include "fastmlp/model.hpp"
#include "model_allocation.hpp"

namespace fastmlp {
namespace {

template <class Scalar>
std::string shape_text(ConstMatrixMapOf<Scalar> m) {
  return "(" + std::to_string(m.rows()) + ", " + std::to_string(m.cols()) + ")";
}
template <class Scalar>
std::string shape_text(const InputMatrixOf<Scalar>& m) {
  return "(" + std::to_string(m.rows()) + ", " + std::to_string(m.cols()) + ")" + (m.is_sparse() ? " (sparse)" : "");
}

// Copies the rows listed in indices[first, end) of `source` into the top rows of `batch`.
template <class Scalar>
void gather_rows(ConstMatrixMapOf<Scalar> source, const std::vector<Index>& indices, Index first, Index end, RowMatrixOf<Scalar>& batch) {
  const size_t row_bytes = sizeof(Scalar) * static_cast<size_t>(source.cols());
  for (Index i = first; i < end; ++i)
    std::memcpy(batch.row(i - first).data(), source.row(indices[i]).data(), row_bytes);
}

// The batch's total loss: Σ w_i l_i (or Σ l_i), so that dividing the epoch's total by the sample
// count gives Keras's batch-size-weighted mean.
template <class Scalar>
double weighted_sum(const VectorOf<Scalar>& losses, Index n, const Scalar* weights) {
  const auto l = losses.head(n);
  return weights ? static_cast<double>(l.dot(Eigen::Map<const VectorOf<Scalar>>(weights, n))) : static_cast<double>(l.sum());
}

size_t metrics_total(const std::vector<std::vector<MetricPtr>>& metrics) {
  size_t total = 0;
  for (const auto& list : metrics) total += list.size();
  return total;
}

template <class Scalar>
void copy_values(const std::vector<ParameterOf<Scalar>>& from, const std::vector<ParameterOf<Scalar>>& to) {
  for (size_t i = 0; i < from.size(); ++i) *to[i].value = *from[i].value;  // same shapes: no allocation
}

// The random generators of `layer` and, for a model used as a layer, of every layer inside it.
template <class Scalar>
void collect_generators(LayerOf<Scalar>& layer, std::vector<Rng*>& generators) {
  if (Rng* generator = layer.generator()) generators.push_back(generator);
  if (const auto* nested = dynamic_cast<const ModelLayerOf<Scalar>*>(&layer))
    for (const auto& inner : nested->model()->layers()) collect_generators(*inner, generators);
}

}  // namespace

// Running totals of one epoch, one batch or one evaluation: the total loss, each output's loss (with
// several outputs), then each metric's state, in one buffer allocated before the loop (data-parallel
// training sums it over the ranks).
template <class Scalar>
class TallyOf {
 public:
  TallyOf(const std::vector<std::vector<MetricPtr>>& metrics, const std::vector<std::string>& names, size_t losses)
      : metrics_(metrics), losses_(losses) {
    size_t size = losses, entry = 0;
    for (; entry < losses; ++entry) logs_.emplace_back(names[entry], 0.0);
    for (const auto& list : metrics) {
      offsets_.emplace_back();
      for (const auto& m : list) {
        offsets_.back().push_back(size);
        size += static_cast<size_t>(m->state_size());
        logs_.emplace_back(names[entry++], LogValue::of_size(static_cast<size_t>(m->result_size())));
      }
    }
    totals_.assign(size, 0.0);
  }

  void reset() { std::fill(totals_.begin(), totals_.end(), 0.0); }
  // Entry 0: the total loss; entry 1 + k: the k-th trained output's loss.
  void add_loss(size_t entry, double total) { totals_[entry] += total; }
  void add_metrics(size_t output, ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true) {
    const auto& list = metrics_[output];
    for (size_t m = 0; m < list.size(); ++m) list[m]->accumulate(y_pred, y_true, &totals_[offsets_[output][m]]);
  }
  // Every metric's state is a sum over samples, so tallies of disjoint batches add up.
  void add(const TallyOf<Scalar>& other) {
    for (size_t i = 0; i < totals_.size(); ++i) totals_[i] += other.totals_[i];
  }
  std::vector<double>& totals() { return totals_; }
  // Loss and metric values after `samples` samples; the reference stays valid until the next call.
  const Logs& logs(double samples) {
    size_t entry = 0;
    for (; entry < losses_; ++entry) *logs_[entry].second.data() = totals_[entry] / samples;  // in place: no allocation
    for (size_t o = 0; o < metrics_.size(); ++o)
      for (size_t m = 0; m < metrics_[o].size(); ++m)
        metrics_[o][m]->result(&totals_[offsets_[o][m]], samples, logs_[entry++].second.data());
    return logs_;
  }

 private:
  const std::vector<std::vector<MetricPtr>>& metrics_;
  size_t losses_;  // the loss entries at the front of totals_
  std::vector<std::vector<size_t>> offsets_;
  std::vector<double> totals_;  // [losses..., metric states...]
  Logs logs_;
};

Index FitOptions::batches(Index rows) const {
  const Index size = std::max<Index>(1, std::min(batch_size, rows));
  return (rows + size - 1) / size;
}

// ---- checks -------------------------------------------------------------------------------------------
template <class Scalar>
void ModelOf<Scalar>::require_compiled_and_built(const char* caller) const {
  if (!compiled()) throw std::invalid_argument(std::string(caller) + ": call compile() before training");
  require_graph(caller);
}

template <class Scalar>
void ModelOf<Scalar>::check_inputs(const std::vector<InputMatrixOf<Scalar>>& x, const char* what) const {
  if (x.size() != inputs_.size())
    throw std::invalid_argument(std::string(what) + ": the model has " + std::to_string(inputs_.size()) +
                                " inputs, got " + std::to_string(x.size()) + " arrays");
  for (size_t i = 0; i < x.size(); ++i) {
    const std::string name = inputs_.size() > 1 ? "input '" + inputs_[i].name + "'" : "x";
    if (x[i].rows() != x[0].rows())
      throw std::invalid_argument(std::string(what) + ": the inputs hold different numbers of samples (" +
                                  std::to_string(x[0].rows()) + " and " + std::to_string(x[i].rows()) + ")");
    if (x[i].cols() != input_dim(i))
      throw std::invalid_argument(std::string(what) + ": the model expects " + std::to_string(input_dim(i)) +
                                  " input features, " + name + " has shape " + shape_text(x[i]));
    if (x[i].is_sparse())
      check_csr(x[i].sparse(), std::string(what) + ": " + name);
    else if (!x[i].dense().allFinite())
      throw std::invalid_argument(std::string(what) + ": " + name + " contains NaN or infinity");
  }
}

template <class Scalar>
void ModelOf<Scalar>::check_data(const DatasetsOf<Scalar>& data, const char* what) const {
  check_inputs(data.x, what);
  if (data.x[0].rows() == 0) throw std::invalid_argument(std::string(what) + ": x has no rows");
  if (data.y.size() != outputs_.size())
    throw std::invalid_argument(std::string(what) + ": the model has " + std::to_string(outputs_.size()) +
                                " outputs, got " + std::to_string(data.y.size()) + " target arrays");
  for (size_t o = 0; o < data.y.size(); ++o) {
    if (data.y[o].rows() != data.x[0].rows())
      throw std::invalid_argument(std::string(what) + ": x has " + std::to_string(data.x[0].rows()) + " rows but y has " +
                                  std::to_string(data.y[o].rows()) + "; they must hold the same samples");
    if (losses_[o]) losses_[o]->check_targets(data.y[o], output_dim(o));
  }
  if (data.sample_weight)
    for (Index i = 0; i < data.x[0].rows(); ++i)
      if (!(std::isfinite(data.sample_weight[i]) && data.sample_weight[i] >= 0))
        throw std::invalid_argument(std::string(what) + ": sample weights must be finite and >= 0; sample_weight[" +
                                    std::to_string(i) + "] is " + std::to_string(data.sample_weight[i]));
}

// ---- the training machinery ---------------------------------------------------------------------------
template <class Scalar>
bool ModelOf<Scalar>::reads_sparse(const Node& node, const LayerOf<Scalar>& layer, const CsrRowsOf<Scalar>* const* sparse) const {
  return sparse && !node.list && node.inputs[0] < inputs_.size() && sparse[node.inputs[0]] && layer.takes_sparse();
}

template <class Scalar>
bool ModelOf<Scalar>::needs_dense(size_t input, const CsrRowsOf<Scalar>* const* sparse) const {
  for (const Node& node : nodes_)
    if (std::find(node.inputs.begin(), node.inputs.end(), input) != node.inputs.end() &&
        !reads_sparse(node, *layers_[node.layer], sparse))
      return true;
  return false;
}

// Decides, once per fit (not per batch), what every call reads and where gradients meet: a tensor
// read by several calls, or also given a loss, sums its gradients in a buffer of its own. The later
// calls of a shared layer run on copies with their own buffers (made once).
template <class Scalar>
void ModelOf<Scalar>::prepare_training(const std::vector<InputMatrixOf<Scalar>>* x) {
  const size_t tensors = inputs_.size() + nodes_.size();
  tensor_data_.assign(tensors, nullptr);
  tensor_grad_.assign(tensors, nullptr);
  grads_received_.assign(tensors, 0);
  grad_sources_.assign(tensors, 0);
  grad_sums_.resize(tensors);
  for (const size_t t : outputs_) ++grad_sources_[t];  // the loss's (or the outer model's) gradient
  std::vector<bool> called(layers_.size(), false);
  for (size_t k = 0; k < nodes_.size(); ++k) {
    Node& node = nodes_[k];
    node.output = -1;
    for (size_t o = outputs_.size(); o-- > 0;)
      if (outputs_[o] == inputs_.size() + k) node.output = static_cast<long>(o);
    for (const size_t source : node.inputs) ++grad_sources_[source];
    node.need_grad.assign(node.inputs.size(), false);
    node.input_data.assign(node.inputs.size(), nullptr);
    node.input_grads.assign(node.inputs.size(), nullptr);
    const std::shared_ptr<LayerOf<Scalar>>& layer = layers_[node.layer];
    if (!called[node.layer]) {
      node.runner = layer;
    } else {
      if (!node.runner || node.runner == layer) {
        node.runner = layer->fresh_copy();
        std::vector<Index> widths;
        for (const size_t source : node.inputs) widths.push_back(tensor_width(source));
        Rng unused(0);  // its weights are the layer's, copied before every call
        node.runner->build_inputs(widths, unused);
      }
      node.shared_params = layer->parameters();
      node.copy_params = node.runner->parameters();
      node.shared_state = layer->non_trainable();
      node.copy_state = node.runner->non_trainable();
    }
    node.copy = node.runner != layer;
    called[node.layer] = true;
  }
  input_gradients_ = -1;
  step_inputs_.assign(inputs_.size(), nullptr);
  // Which inputs arrive as CSR, and which of those some call reads dense (densified a batch at a time).
  sparse_input_.assign(inputs_.size(), 0);
  densify_input_.assign(inputs_.size(), 0);
  sparse_rows_.assign(inputs_.size(), CsrRowsOf<Scalar>{});
  step_sparse_.assign(inputs_.size(), nullptr);
  sparse_batch_.resize(inputs_.size());
  if (x) {
    for (size_t i = 0; i < inputs_.size(); ++i)
      if ((*x)[i].is_sparse()) {
        sparse_input_[i] = 1;
        step_sparse_[i] = &sparse_rows_[i];
      }
    for (size_t i = 0; i < inputs_.size(); ++i) densify_input_[i] = sparse_input_[i] && needs_dense(i, step_sparse_.data());
  }
  step_grads_.assign(outputs_.size(), nullptr);
  step_at_.assign(outputs_.size(), GradientAt::Output);
  reserved_ = 0;  // runners may be new: reserve_batch sizes them all again
}

template <class Scalar>
void ModelOf<Scalar>::prepare_passes(Index max_batch) {
  prepare_training();
  reserve_batch(max_batch);
}

template <class Scalar>
void ModelOf<Scalar>::reserve_batch(Index max_batch) {
  if (reserved_ == max_batch) return;
  for (Node& node : nodes_)
    allocate_for(*node.runner, tensor_width(node.inputs.front()), "size the training buffers of",
                 [&] { node.runner->reserve_batch(max_batch); });
  explain_allocation_failure([&] { reserve_model_buffers(max_batch); }, [&] {
    double widths = 0;
    for (size_t i = 0; i < inputs_.size(); ++i) widths += static_cast<double>(input_dim(i));
    for (size_t o = 0; o < outputs_.size(); ++o) widths += 2.0 * static_cast<double>(output_dim(o)) + 1;
    return "cannot size the model's training buffers for batches of " + std::to_string(max_batch) +
           " rows: they need more than " + byte_count(sizeof(Scalar) * static_cast<double>(max_batch) * (widths + 1));
  });
  reserved_ = max_batch;
}

template <class Scalar>
void ModelOf<Scalar>::reserve_model_buffers(Index max_batch) {
  batch_x_.resize(inputs_.size());
  // A sparse input needs dense rows only where some call reads it dense (its gathered rows are in sparse_batch_).
  for (size_t i = 0; i < inputs_.size(); ++i)
    batch_x_[i].resize(sparse_input_[i] && !densify_input_[i] ? 0 : max_batch, input_dim(i));
  batch_y_.resize(outputs_.size());
  grad_output_.resize(outputs_.size());
  sample_losses_.resize(outputs_.size());
  for (size_t o = 0; o < outputs_.size(); ++o) {
    batch_y_[o].resize(max_batch, losses_.empty() || !losses_[o] ? 0 : losses_[o]->target_columns(output_dim(o)));
    grad_output_[o].resize(max_batch, output_dim(o));
    sample_losses_[o].resize(max_batch);
  }
  batch_weights_.resize(max_batch);
  for (size_t t = 0; t < grad_sums_.size(); ++t)
    grad_sums_[t].resize(grad_sources_[t] > 1 ? max_batch : 0, grad_sources_[t] > 1 ? tensor_width(t) : 0);
}

// The later call of a shared layer: its copy gets the layer's weights and state before the call, and
// gives the state (BatchNormalization's moving statistics) back after it, so the calls update it in
// turn as Keras's calls of one layer do.
template <class Scalar>
void ModelOf<Scalar>::sync_twin(Node& node, bool before) const {
  if (before) {
    node.runner->set_trainable(layers_[node.layer]->trainable());
    copy_values(node.shared_params, node.copy_params);
    copy_values(node.shared_state, node.copy_state);
  } else {
    copy_values(node.copy_state, node.shared_state);
  }
}

template <class Scalar>
double ModelOf<Scalar>::forward_pass(const Scalar* const* inputs, Index rows, bool training, const CsrRowsOf<Scalar>* const* sparse) {
  const size_t first_node = inputs_.size();
  for (size_t i = 0; i < first_node; ++i) tensor_data_[i] = inputs[i];
  pass_sparse_ = sparse;
  double penalty = 0;
  for (size_t k = 0; k < nodes_.size(); ++k) {
    Node& node = nodes_[k];
    const bool twin = node.copy;
    if (twin) sync_twin(node, true);
    LayerOf<Scalar>& layer = *node.runner;
    for (size_t i = 0; i < node.inputs.size(); ++i) node.input_data[i] = tensor_data_[node.inputs[i]];
    const ConstMatrixMapOf<Scalar> output =
        reads_sparse(node, layer, sparse) ? layer.forward_sparse(*sparse[node.inputs[0]], training)
        : node.list ? layer.forward_inputs({node.input_data.data(), node.inputs.size(), rows}, training)
                    : layer.forward(ConstMatrixMapOf<Scalar>(node.input_data[0], rows, layer.input_dim()), training);
    tensor_data_[first_node + k] = output.data();
    if (layer.has_activity_penalty()) penalty += layer.activity_penalty(output);
    if (twin) sync_twin(node, false);
  }
  return penalty;
}

template <class Scalar>
void ModelOf<Scalar>::add_gradient(size_t tensor, const Scalar* grad, Index rows) {
  if (grad_sources_[tensor] <= 1) {
    tensor_grad_[tensor] = grad;  // its only gradient: used in place
    return;
  }
  MatrixMapOf<Scalar> sum = top_rows(grad_sums_[tensor], rows);
  const ConstMatrixMapOf<Scalar> g(grad, rows, sum.cols());
  if (grads_received_[tensor]++ == 0)
    sum = g;
  else
    sum += g;  // a tensor read twice gets the sum of both readers' gradients
  tensor_grad_[tensor] = sum.data();
}

template <class Scalar>
void ModelOf<Scalar>::backward_pass(const Scalar* const* output_grads, Index rows, const std::vector<GradientAt>& at,
                          bool input_gradients) {
  const size_t first_node = inputs_.size();
  std::fill(tensor_grad_.begin(), tensor_grad_.end(), nullptr);
  std::fill(grads_received_.begin(), grads_received_.end(), 0);
  for (size_t o = 0; o < outputs_.size(); ++o)
    if (output_grads[o]) add_gradient(outputs_[o], output_grads[o], rows);
  if (input_gradients_ != static_cast<int>(input_gradients)) {  // set once, not every batch
    for (Node& node : nodes_)
      for (size_t i = 0; i < node.inputs.size(); ++i) node.need_grad[i] = node.inputs[i] >= first_node || input_gradients;
    input_gradients_ = input_gradients;
  }
  for (size_t k = nodes_.size(); k-- > 0;) {
    Node& node = nodes_[k];
    LayerOf<Scalar>& layer = *node.runner;
    const size_t tensor = first_node + k;
    if (tensor_grad_[tensor] == nullptr) {
      // No loss depends on this call (an output trained without a loss): its gradients are zero.
      for (const ParameterOf<Scalar>& p : layer.parameters()) p.gradient->setZero();
      continue;
    }
    // The loss's gradient may be dL/dZ of the call's final activation only when nothing else adds to it.
    const GradientAt where = node.output >= 0 && grad_sources_[tensor] == 1 ? at[node.output] : GradientAt::Output;
    const ConstMatrixMapOf<Scalar> grad(tensor_grad_[tensor], rows, layer.output_dim());
    if (reads_sparse(node, layer, pass_sparse_)) {
      if (input_gradients) throw std::logic_error("backward_pass: no gradient with respect to a sparse input");
      layer.backward_sparse(*pass_sparse_[node.inputs[0]], grad, where);  // need_grad[0] is false: a model input
    } else if (node.list) {
      layer.backward_inputs({node.input_data.data(), node.inputs.size(), rows}, grad, where, node.need_grad,
                            node.input_grads.data());
    } else {
      node.input_grads[0] =
          layer.backward(ConstMatrixMapOf<Scalar>(node.input_data[0], rows, layer.input_dim()), grad, where, node.need_grad[0])
              .data();
    }
    for (size_t i = 0; i < node.inputs.size(); ++i)
      if (node.need_grad[i]) add_gradient(node.inputs[i], node.input_grads[i], rows);
  }
  // A shared layer's gradient is the sum over its calls: the layer's own backward wrote the first
  // call's, each copy holds another's.
  for (Node& node : nodes_) {
    if (!node.copy) continue;
    for (size_t p = 0; p < node.shared_params.size(); ++p)
      *node.shared_params[p].gradient += *node.copy_params[p].gradient;
  }
}

template <class Scalar>
void ModelOf<Scalar>::refuse_activity_penalties(const char* caller) const {
  for (const auto& layer : layers_)
    if (layer->has_activity_penalty())
      throw std::invalid_argument(std::string("data-parallel ") + caller + " does not support activity regularizers (" +
                                  layer->class_name() + " layer '" + layer->name() +
                                  "'): their penalty is a sum over the whole batch, which no rank holds");
}

template <class Scalar>
void ModelOf<Scalar>::start_replica(ReplicaSyncOf<Scalar>& sync, const DatasetsOf<Scalar>& data, const FitOptions& options, bool validating,
                          const std::vector<ParameterOf<Scalar>>& params, const std::vector<ParameterOf<Scalar>>& state, size_t totals) {
  refuse_activity_penalties("fit");
  std::vector<ParameterOf<Scalar>> weights;
  std::vector<Rng*> generators;
  for (auto& layer : layers_) {
    for (auto& p : layer->parameters()) weights.push_back(p);
    for (auto& p : layer->non_trainable()) weights.push_back(p);
    collect_generators(*layer, generators);
  }
  // The later calls of a shared layer run on copies (prepare_training) with generators of their own.
  for (Node& node : nodes_)
    if (node.copy) collect_generators(*node.runner, generators);
  Index weight_values = 0, trainable_values = 0;
  for (const auto& p : weights) weight_values += p.value->size();
  for (const auto& p : params) trainable_values += p.value->size();
  const bool sharded = options.distribution.sharded;
  const Index rows = data.x[0].rows();
  // Ranks that pass the same data must pass it in the same order: a checksum weighted by position
  // catches a per-rank shuffle. Sums of absolute values, so that a relative tolerance absorbs
  // the rounding of CPUs that vectorise differently.
  double checksum = 0;
  if (!sharded)
    for (Index i = 0; i < rows; ++i) {
      double row = 0;
      for (const InputMatrixOf<Scalar>& x : data.x) {
        if (!x.is_sparse()) {
          row += x.dense().row(i).cwiseAbs().template cast<double>().sum();
          continue;
        }
        const CsrRowsOf<Scalar>& csr = x.sparse();
        for (SparseIndex k = csr.indptr[i]; k < csr.indptr[i + 1]; ++k) row += std::abs(static_cast<double>(csr.values[k]));
      }
      for (const ConstMatrixMapOf<Scalar>& y : data.y) row += y.row(i).cwiseAbs().template cast<double>().sum();
      checksum += static_cast<double>(1 + i % 1021) * row;
    }
  const std::vector<Agreed> agreed = {
      {"sharded data (1: yes)", sharded ? 1.0 : 0.0},
      {"input count", static_cast<double>(inputs_.size())},
      {"output count", static_cast<double>(outputs_.size())},
      {"layer count", static_cast<double>(layers_.size())},
      {"layer call count", static_cast<double>(nodes_.size())},
      {"weight values", static_cast<double>(weight_values)},
      {"trainable values", static_cast<double>(trainable_values)},
      {"optimizer step", static_cast<double>(optimizer_->iterations())},
      {"metric totals", static_cast<double>(totals)},
      {"batch_size", static_cast<double>(options.batch_size)},
      {"epochs", static_cast<double>(options.epochs)},
      {"initial_epoch", static_cast<double>(options.initial_epoch)},
      {"shuffle", options.shuffle ? 1.0 : 0.0},
      {"validation data (1: given)", validating ? 1.0 : 0.0},
      {"sample weights (1: given)", data.sample_weight ? 1.0 : 0.0},
      {"rows of x", sharded ? 0.0 : static_cast<double>(rows)},
      {"checksum of x and y", checksum, 1e-6},
  };
  sync.start(agreed, rows, weights, rng_, generators, params, state, totals);
}

template <class Scalar>
void ModelOf<Scalar>::forward_backward(const std::vector<InputMatrixOf<Scalar>>& x, const std::vector<ConstMatrixMapOf<Scalar>>& y,
                             const Scalar* sample_weight, TallyOf<Scalar>& tally) {
  const Index n = x[0].rows();
  for (size_t i = 0; i < x.size(); ++i) {
    if (!x[i].is_sparse()) {
      step_inputs_[i] = x[i].dense().data();
      continue;
    }
    sparse_rows_[i] = x[i].sparse();  // step_sparse_[i] points here
    step_inputs_[i] = nullptr;
    if (densify_input_[i]) {
      densify(sparse_rows_[i], top_rows(batch_x_[i], n));  // for the calls that read it dense
      step_inputs_[i] = batch_x_[i].data();
    }
  }
  double total =
      static_cast<double>(n) * (weight_penalty() + forward_pass(step_inputs_.data(), n, true, step_sparse_.data()));
  size_t entry = 1;
  for (size_t o = 0; o < outputs_.size(); ++o) {
    step_grads_[o] = nullptr;
    if (!losses_[o]) continue;
    const Loss& loss = *losses_[o];
    const ConstMatrixMapOf<Scalar> y_pred(output_data(o), n, output_dim(o));
    loss.per_sample(y_pred, y[o], sample_losses_[o].head(n));
    const double output_loss = weighted_sum(sample_losses_[o], n, sample_weight);
    total += loss_weights_[o] * output_loss;
    if (outputs_.size() > 1) tally.add_loss(entry++, output_loss);
    tally.add_metrics(o, y_pred, y[o]);

    const Activation* final = final_activation(o);
    // A fused gradient dL/dZ is written into the output's (n, output_dim) buffer, which holds Z's
    // shape only when the activation keeps the width.
    const bool fused = final != nullptr && final->keeps_width() && loss.fuses_with(*final);
    step_at_[o] = fused ? GradientAt::PreActivation : GradientAt::Output;
    if (grad_sources_[outputs_[o]] != 1) step_at_[o] = GradientAt::Output;  // also read by a later call
    MatrixMapOf<Scalar> grad = top_rows(grad_output_[o], n);
    if (step_at_[o] == GradientAt::PreActivation)
      loss.gradient_preactivation(y_pred, y[o], grad);
    else
      loss.gradient(y_pred, y[o], grad);
    if (loss_weights_[o] != 1.0) grad *= static_cast<Scalar>(loss_weights_[o]);
    // A sample's weight scales its loss, so it scales that row of the gradient.
    if (sample_weight) grad.array().colwise() *= Eigen::Map<const VectorOf<Scalar>>(sample_weight, n).array();
    step_grads_[o] = grad.data();
  }
  tally.add_loss(0, total);
  backward_pass(step_grads_.data(), n, step_at_, /*input_gradients=*/false);
}

template <class Scalar>
History ModelOf<Scalar>::fit(const DatasetsOf<Scalar>& data, const FitOptions& options, const std::optional<DatasetsOf<Scalar>>& validation,
                   const FitCallbacks& callbacks) {
  // Data parallel: a rank that fails tells the others, which would otherwise wait for it.
  return announcing_failures(options.distribution, [&] { return fit_epochs(data, options, validation, callbacks); });
}

template <class Scalar>
History ModelOf<Scalar>::fit_epochs(const DatasetsOf<Scalar>& data, const FitOptions& options, const std::optional<DatasetsOf<Scalar>>& validation,
                          const FitCallbacks& callbacks) {
  require_compiled_and_built("fit");
  const StructureHold reading = hold_structure();  // [issue 13] the checks below hold for the whole run
  check_data(data, "fit");
  if (validation) check_data(*validation, "validation data");
  if (options.batch_size < 1)
    throw std::invalid_argument("batch_size must be >= 1, got " + std::to_string(options.batch_size));
  if (options.epochs < 0) throw std::invalid_argument("epochs must be >= 0, got " + std::to_string(options.epochs));

  const std::vector<std::vector<MetricPtr>> metrics = resolve_metrics();
  std::vector<ParameterOf<Scalar>> params = trainable_parameters();
  build_optimizer(*optimizer_, params);  // [issue 13] model_allocation.hpp
  prepare_training(&data.x);
  History history;
  const std::vector<std::string> names = log_names();
  const size_t losses = names.size() - metrics_total(metrics);
  TallyOf<Scalar> tally(metrics, names, losses), step_tally(metrics, names, losses);

  // DATA-PARALLEL HOOK 1 of 4: every rank agrees on the model and the arguments, starts from rank
  // 0's weights and generators, and learns the size of the whole data set (the union of the shards).
  std::optional<ReplicaSyncOf<Scalar>> sync;
  std::vector<ParameterOf<Scalar>> replica_state;  // averaged over the ranks with the gradients
  if (options.distribution.active()) {
    sync.emplace(options.distribution);
    for (auto& layer : layers_)
      if (layer->trainable())
        for (auto& p : layer->non_trainable()) replica_state.push_back(p);
    start_replica(*sync, data, options, validation.has_value(), params, replica_state, tally.totals().size());
  }

  const Index rows = sync ? sync->global_rows() : data.x[0].rows();
  const Index batch_size = std::min(options.batch_size, rows);
  const Index batches = options.batches(rows);
  reserve_batch(batch_size);
  // Room for the fullest batch of each sparse input's rows that a shuffle can draw.
  if (options.shuffle || sync)
    for (size_t i = 0; i < inputs_.size(); ++i)
      if (sparse_input_[i]) sparse_batch_[i].reserve(batch_size, max_batch_nnz(data.x[i].sparse(), batch_size));
  permutation_.resize(static_cast<size_t>(rows));
  std::iota(permutation_.begin(), permutation_.end(), Index{0});
  if (sync) batch_rows_.resize(static_cast<size_t>(batch_size));
  // Views of each batch, made in these vectors' reserved memory: no allocation in the loop.
  std::vector<InputMatrixOf<Scalar>> batch_x;
  std::vector<ConstMatrixMapOf<Scalar>> batch_y;
  batch_x.reserve(inputs_.size());
  batch_y.reserve(outputs_.size());
  const Scalar* sample_weight = data.sample_weight;
  // Each input's and each target's rows listed in indices[first, end) gathered once, into batch_x/batch_y.
  const auto gather_batch = [&](const std::vector<Index>& indices, Index first, Index end) {
    for (size_t i = 0; i < inputs_.size(); ++i) {
      if (sparse_input_[i]) {
        batch_x.push_back(sparse_batch_[i].gather(data.x[i].sparse(), indices.data() + first, end - first));
        continue;
      }
      gather_rows(data.x[i].dense(), indices, first, end, batch_x_[i]);
      batch_x.push_back(top_rows(std::as_const(batch_x_[i]), end - first));
    }
    for (size_t o = 0; o < outputs_.size(); ++o) {
      gather_rows(data.y[o], indices, first, end, batch_y_[o]);
      batch_y.push_back(top_rows(std::as_const(batch_y_[o]), end - first));
    }
    const Scalar* weights = nullptr;
    if (sample_weight) {
      for (Index i = first; i < end; ++i) batch_weights_(i - first) = sample_weight[indices[static_cast<size_t>(i)]];
      weights = batch_weights_.data();
    }
    recheck_batches(data, batch_y, weights, indices.data() + first, 0);  // [issue 13]
    return weights;
  };
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
      batch_x.clear();
      batch_y.clear();
      if (sync) {
        // DATA-PARALLEL HOOK 2 of 4: this rank's rows of the global batch permutation_[first, end).
        const Index mine = sync->select(permutation_, first, end, batch_rows_);
        const Scalar* weights = gather_batch(batch_rows_, 0, mine);
        step_tally.reset();
        if (mine > 0) forward_backward(batch_x, batch_y, weights, step_tally);
        // DATA-PARALLEL HOOK 3 of 4: one allreduce of the gradients, the loss and metric totals and
        // the stop requests; a stop asked for after the previous batch leaves this step unapplied.
        if (sync->reduce(params, replica_state, mine, n, step_tally.totals(), stop)) {
          stop = true;
          break;
        }
        tally.add(step_tally);
      } else if (options.shuffle) {
        const Scalar* weights = gather_batch(permutation_, first, end);
        forward_backward(batch_x, batch_y, weights, tally);
      } else {
        for (const InputMatrixOf<Scalar>& x : data.x) batch_x.push_back(x.block(first, end));  // views, sparse or dense
        for (const ConstMatrixMapOf<Scalar>& y : data.y) batch_y.push_back(row_block(y, first, end));
        recheck_batches(data, batch_y, sample_weight ? sample_weight + first : nullptr, nullptr, first);  // [issue 13]
        forward_backward(batch_x, batch_y, sample_weight ? sample_weight + first : nullptr, tally);
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
      for (const auto& [name, value] :
           evaluate(*validation, options.batch_size, &callbacks.validation, options.distribution))
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

template <class Scalar>
Logs ModelOf<Scalar>::train_on_batch(const std::vector<InputMatrixOf<Scalar>>& x, const std::vector<ConstMatrixMapOf<Scalar>>& y,
                           const Scalar* sample_weight) {
  require_compiled_and_built("train_on_batch");
  const StructureHold reading = hold_structure();
  DatasetsOf<Scalar> data{x, y, sample_weight};
  check_data(data, "train_on_batch");
  const std::vector<std::vector<MetricPtr>> metrics = resolve_metrics();
  std::vector<ParameterOf<Scalar>> params = trainable_parameters();
  build_optimizer(*optimizer_, params);
  const Index reserved = reserved_;
  prepare_training(&x);
  // Layers reserve nothing when their buffers already fit, so this is cheap after the first call.
  reserve_batch(std::max(x[0].rows(), reserved));
  const std::vector<std::string> names = log_names();
  TallyOf<Scalar> tally(metrics, names, names.size() - metrics_total(metrics));
  forward_backward(x, y, sample_weight, tally);
  optimizer_->step(params);
  return tally.logs(static_cast<double>(x[0].rows()));
}

template <class Scalar>
std::vector<RowMatrixOf<Scalar>> ModelOf<Scalar>::call_training(const std::vector<ConstMatrixMapOf<Scalar>>& x) {
  const StructureHold reading = hold_structure();
  require_graph("call");
  check_inputs({x.begin(), x.end()}, "call");
  const Index rows = x[0].rows();
  std::vector<RowMatrixOf<Scalar>> outputs;
  if (rows == 0) {
    for (size_t o = 0; o < outputs_.size(); ++o) outputs.emplace_back(0, output_dim(o));
    return outputs;
  }
  prepare_training();
  reserve_batch(rows);
  for (size_t i = 0; i < x.size(); ++i) step_inputs_[i] = x[i].data();
  forward_pass(step_inputs_.data(), rows, /*training=*/true);
  for (size_t o = 0; o < outputs_.size(); ++o) outputs.emplace_back(ConstMatrixMapOf<Scalar>(output_data(o), rows, output_dim(o)));
  return outputs;
}

// ---- inference ----------------------------------------------------------------------------------------
template <class Scalar>
Index ModelOf<Scalar>::inference_chunk(Index rows, Index batch_size) const {
  // Large enough for GEMMs to run near peak, small enough that activations stay in cache.
  constexpr Index kDefaultChunk = 1024;
  return std::max<Index>(1, std::min(rows, batch_size > 0 ? batch_size : kDefaultChunk));
}

template <class Scalar>
double ModelOf<Scalar>::infer_rows(const Scalar* const* inputs, Index rows, Scalar* const* out,
                         std::vector<RowMatrixOf<Scalar>>& scratch, const CsrRowsOf<Scalar>* const* sparse) const {
  const size_t first_node = inputs_.size();
  std::vector<const Scalar*> data(first_node + nodes_.size());
  std::vector<const Scalar*> list;
  // One buffer per call's output, then one per input for a sparse input that some call reads dense.
  if (scratch.size() != nodes_.size() + first_node) scratch.resize(nodes_.size() + first_node);
  for (size_t i = 0; i < first_node; ++i) {
    data[i] = inputs[i];
    if (!sparse || !sparse[i] || !needs_dense(i, sparse)) continue;
    RowMatrixOf<Scalar>& dense = scratch[nodes_.size() + i];
    if (dense.rows() < rows || dense.cols() != input_dim(i)) dense.resize(rows, input_dim(i));
    densify(*sparse[i], top_rows(dense, rows));
    data[i] = dense.data();
  }
  double penalty = 0;
  for (size_t k = 0; k < nodes_.size(); ++k) {
    const Node& node = nodes_[k];
    const LayerOf<Scalar>& layer = *layers_[node.layer];
    Scalar* destination = nullptr;
    for (size_t o = 0; o < outputs_.size() && !destination; ++o)
      if (outputs_[o] == first_node + k) destination = out[o];  // an output is written where it is wanted
    if (!destination) {
      if (scratch[k].rows() < rows || scratch[k].cols() != layer.output_dim()) scratch[k].resize(rows, layer.output_dim());
      destination = scratch[k].data();
    }
    MatrixMapOf<Scalar> output(destination, rows, layer.output_dim());
    if (reads_sparse(node, layer, sparse)) {
      layer.infer_sparse(*sparse[node.inputs[0]], output);
    } else if (node.list) {
      list.clear();
      for (const size_t source : node.inputs) list.push_back(data[source]);
      layer.infer_inputs({list.data(), list.size(), rows}, output);
    } else {
      layer.infer(ConstMatrixMapOf<Scalar>(data[node.inputs[0]], rows, layer.input_dim()), output);
    }
    if (layer.has_activity_penalty()) penalty += layer.activity_penalty(as_const_map(output));
    data[first_node + k] = destination;
  }
  // The same tensor given twice as an output is written to the first place it is wanted.
  for (size_t o = 0; o < outputs_.size(); ++o)
    if (data[outputs_[o]] != out[o])
      MatrixMapOf<Scalar>(out[o], rows, output_dim(o)) = ConstMatrixMapOf<Scalar>(data[outputs_[o]], rows, output_dim(o));
  return penalty;
}

namespace {
// [issue 26] With auto_shard_dataset=True each rank evaluates its share of rows it assumes every rank
// holds: 256 rows on rank 0 and 100 on rank 1 gave one wrong number on both. Each rank announces its
// count in turn (integers travel exactly), so every rank sees the same counts and raises the same error.
void require_same_rows(Communicator& communicator, Index rows, const char* what) {
  const int size = communicator.size(), me = communicator.rank();
  std::vector<std::int64_t> counts(static_cast<size_t>(size));
  counts[static_cast<size_t>(me)] = rows;
  for (int r = 0; r < size; ++r) communicator.broadcast(&counts[static_cast<size_t>(r)], sizeof(std::int64_t), r);
  for (int r = 1; r < size; ++r)
    if (counts[static_cast<size_t>(r)] != counts[0])
      throw std::invalid_argument(std::string("data-parallel ") + what + ": rank " + std::to_string(r) + " has " +
                                  std::to_string(counts[static_cast<size_t>(r)]) + " samples but rank 0 has " +
                                  std::to_string(counts[0]) + "; with auto_shard_dataset=True every rank passes the "
                                  "same rows and evaluates its share of them (pass each rank's own rows with "
                                  "DataParallel(auto_shard_dataset=False))");
}

// [issue 26] Calls `check` between batches, at most once per `interval` seconds, so that Ctrl-C stops
// predict, evaluate and fit's validation at the next batch as it stops fit's training (it arrived only
// when a 2M-row predict or a validation pass ended, seconds later).
class InterruptPoll {
 public:
  InterruptPoll(const std::function<void()>* check, double interval)
      : check_(check && *check ? check : nullptr),
        interval_(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
            std::chrono::duration<double>(interval))),
        last_(std::chrono::steady_clock::now()) {}
  void operator()() {
    if (!check_) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < interval_) return;
    last_ = now;
    (*check_)();
  }

 private:
  const std::function<void()>* check_;
  std::chrono::steady_clock::duration interval_;
  std::chrono::steady_clock::time_point last_;
};

// Each input's rows [first, end): a pointer to dense rows, or a CSR block (pointed to by `sparse`).
template <class Scalar>
void chunk_inputs(const std::vector<InputMatrixOf<Scalar>>& x, Index first, Index end, std::vector<const Scalar*>& dense,
                  std::vector<CsrRowsOf<Scalar>>& blocks, std::vector<const CsrRowsOf<Scalar>*>& sparse) {
  for (size_t i = 0; i < x.size(); ++i) {
    if (x[i].is_sparse()) {
      blocks[i] = x[i].sparse().block(first, end);
      sparse[i] = &blocks[i];
      dense[i] = nullptr;
    } else {
      dense[i] = x[i].dense().data() + first * x[i].cols();
      sparse[i] = nullptr;
    }
  }
}
}  // namespace

template <class Scalar>
void ModelOf<Scalar>::predict(const std::vector<InputMatrixOf<Scalar>>& x, const std::vector<MatrixMapOf<Scalar>>& out, Index batch_size,
                    const PredictCallbacks* callbacks) const {
  const StructureHold reading = hold_structure();  // [issue 13] model_lock.hpp
  require_graph("predict");
  check_inputs(x, "predict");
  const Index rows = x[0].rows();
  if (out.size() != outputs_.size())
    throw std::invalid_argument("predict: the model has " + std::to_string(outputs_.size()) + " outputs, got " +
                                std::to_string(out.size()) + " output buffers");
  for (size_t o = 0; o < out.size(); ++o)
    if (out[o].rows() != rows || out[o].cols() != output_dim(o))
      throw std::invalid_argument("predict: output buffer has shape " + shape_text(as_const_map(out[o])) +
                                  ", expected (" + std::to_string(rows) + ", " + std::to_string(output_dim(o)) + ")");
  const Index chunk = inference_chunk(rows, batch_size);
  // Local buffers: predict shares nothing between calls, so threads may predict at once.
  std::vector<RowMatrixOf<Scalar>> scratch;
  std::vector<const Scalar*> inputs(x.size());
  std::vector<CsrRowsOf<Scalar>> blocks(x.size());
  std::vector<const CsrRowsOf<Scalar>*> sparse(x.size());
  std::vector<Scalar*> outputs(out.size());
  InterruptPoll poll(callbacks ? &callbacks->check_interrupt : nullptr, callbacks ? callbacks->interrupt_interval : 0);
  Index batch = 0;
  for (Index first = 0; first < rows; first += chunk, ++batch) {
    const Index end = std::min(rows, first + chunk);
    if (first > 0) poll();
    if (callbacks && callbacks->on_batch_begin) callbacks->on_batch_begin(batch);
    chunk_inputs(x, first, end, inputs, blocks, sparse);
    for (size_t o = 0; o < out.size(); ++o) outputs[o] = const_cast<Scalar*>(out[o].data()) + first * out[o].cols();  // writable: a MatrixMap
    infer_rows(inputs.data(), end - first, outputs.data(), scratch, sparse.data());
    if (callbacks && callbacks->on_batch_end) callbacks->on_batch_end(batch, first, end);
  }
}

template <class Scalar>
std::vector<RowMatrixOf<Scalar>> ModelOf<Scalar>::predict(const std::vector<InputMatrixOf<Scalar>>& x, Index batch_size) const {
  const StructureHold reading = hold_structure();  // the outputs keep the widths they are sized for
  require_graph("predict");
  std::vector<RowMatrixOf<Scalar>> out;
  std::vector<MatrixMapOf<Scalar>> maps;
  const Index rows = x.empty() ? 0 : x[0].rows();
  for (size_t o = 0; o < outputs_.size(); ++o)
    explain_allocation_failure([&] { out.emplace_back(rows, output_dim(o)); },
                               [&] { return output_allocation_message<Scalar>(rows, output_dim(o)); });
  for (RowMatrixOf<Scalar>& m : out) maps.emplace_back(m.data(), m.rows(), m.cols());
  predict(x, maps, batch_size);
  return out;
}

template <class Scalar>
Logs ModelOf<Scalar>::evaluate(const DatasetsOf<Scalar>& data, Index batch_size, const EvaluateCallbacks* callbacks,
                     const Distribution& distribution) const {
  const StructureHold reading = hold_structure();  // [issue 13] model_lock.hpp
  return announcing_failures(distribution, [&] { return evaluate_share(data, batch_size, callbacks, distribution); });
}

template <class Scalar>
Logs ModelOf<Scalar>::evaluate_share(const DatasetsOf<Scalar>& data, Index batch_size, const EvaluateCallbacks* callbacks,
                           const Distribution& distribution) const {
  if (!compiled()) throw std::invalid_argument("evaluate: call compile() before evaluate()");
  require_graph("evaluate");
  check_data(data, "evaluate");
  if (distribution.active()) refuse_activity_penalties("evaluate");
  // Data parallel: each rank evaluates its share of the rows (all of its shard), then the sums add up.
  Index first_row = 0, end_row = data.x[0].rows();
  if (distribution.active() && !distribution.sharded) {
    require_same_rows(*distribution.communicator, end_row, "evaluate");
    std::tie(first_row, end_row) =
        share_of(end_row, distribution.communicator->rank(), distribution.communicator->size());
  }
  const std::vector<std::vector<MetricPtr>> metrics = resolve_metrics();
  const std::vector<std::string> names = log_names();
  TallyOf<Scalar> tally(metrics, names, names.size() - metrics_total(metrics));
  const Index chunk = inference_chunk(std::max<Index>(1, end_row - first_row), batch_size);
  std::vector<RowMatrixOf<Scalar>> scratch, predictions;
  std::vector<const Scalar*> inputs(data.x.size());
  std::vector<CsrRowsOf<Scalar>> blocks(data.x.size());
  std::vector<const CsrRowsOf<Scalar>*> sparse(data.x.size());
  std::vector<Scalar*> outputs;
  VectorOf<Scalar> losses;
  explain_allocation_failure(
      [&] {
        for (size_t o = 0; o < outputs_.size(); ++o) predictions.emplace_back(chunk, output_dim(o));
        losses.resize(chunk);
      },
      [&] {
        Index widest = 0;
        for (size_t o = 0; o < outputs_.size(); ++o) widest = std::max(widest, output_dim(o));
        return inference_buffers_message<Scalar>("evaluate", chunk, widest, static_cast<int>(outputs_.size()) + 1);
      });
  for (RowMatrixOf<Scalar>& prediction : predictions) outputs.push_back(prediction.data());
  const double weights = weight_penalty();  // the weights do not change during evaluation
  if (callbacks && callbacks->on_begin) callbacks->on_begin();
  InterruptPoll poll(callbacks ? &callbacks->check_interrupt : nullptr, callbacks ? callbacks->interrupt_interval : 0);
  Index batch = 0;
  for (Index first = first_row; first < end_row; first += chunk, ++batch) {
    const Index end = std::min(end_row, first + chunk), n = end - first;
    if (first > first_row) poll();
    if (callbacks && callbacks->on_batch_begin) callbacks->on_batch_begin(batch);
    chunk_inputs(data.x, first, end, inputs, blocks, sparse);
    const double activity = infer_rows(inputs.data(), n, outputs.data(), scratch, sparse.data());
    const Scalar* sample_weight = data.sample_weight ? data.sample_weight + first : nullptr;
    double total = static_cast<double>(n) * (weights + activity);
    size_t entry = 1;
    for (size_t o = 0; o < outputs_.size(); ++o) {
      if (!losses_[o]) continue;
      const ConstMatrixMapOf<Scalar> pred(outputs[o], n, output_dim(o));
      const ConstMatrixMapOf<Scalar> targets = row_block(data.y[o], first, end);
      losses_[o]->per_sample(pred, targets, losses.head(n));
      const double output_loss = weighted_sum(losses, n, sample_weight);
      total += loss_weights_[o] * output_loss;
      if (outputs_.size() > 1) tally.add_loss(entry++, output_loss);
      tally.add_metrics(o, pred, targets);
    }
    tally.add_loss(0, total);
    if (callbacks && callbacks->on_batch_end)
      callbacks->on_batch_end(batch, tally.logs(static_cast<double>(end - first_row)));
  }
  Index rows = end_row - first_row;
  if (distribution.active()) reduce_totals<Scalar>(*distribution.communicator, tally.totals(), rows);
  const Logs& logs = tally.logs(static_cast<double>(rows));
  if (callbacks && callbacks->on_end) callbacks->on_end(logs);
  return logs;
}

// ---- one input, one output: single matrices and raw buffers, viewed in place ----------------------------
namespace {

template <class Scalar>
ConstMatrixMapOf<Scalar> view(const RowMatrixOf<Scalar>& m) { return ConstMatrixMapOf<Scalar>(m.data(), m.rows(), m.cols()); }

template <class Scalar>
ConstMatrixMapOf<Scalar> view(const Scalar* data, Index rows, Index cols, const char* name) {
  if (rows < 0 || cols < 0)
    throw std::invalid_argument(std::string(name) + " must have a non-negative shape, got (" + std::to_string(rows) +
                                ", " + std::to_string(cols) + ")");
  if (data == nullptr && rows * cols > 0) throw std::invalid_argument(std::string(name) + " is a null pointer");
  return ConstMatrixMapOf<Scalar>(data, rows, cols);
}

}  // namespace

template <class Scalar>
History ModelOf<Scalar>::fit(ConstMatrixMapOf<Scalar> x, ConstMatrixMapOf<Scalar> y, const FitOptions& options,
                   const std::optional<DatasetOf<Scalar>>& validation, const FitCallbacks& callbacks,
                   const Scalar* sample_weight) {
  std::optional<DatasetsOf<Scalar>> checked;
  if (validation) checked = DatasetsOf<Scalar>{{validation->x}, {validation->y}, validation->sample_weight};
  return fit(DatasetsOf<Scalar>{{x}, {y}, sample_weight}, options, checked, callbacks);
}

template <class Scalar>
History ModelOf<Scalar>::fit(const RowMatrixOf<Scalar>& x, const RowMatrixOf<Scalar>& y, const FitOptions& options,
                   const std::optional<DatasetOf<Scalar>>& validation, const FitCallbacks& callbacks) {
  return fit(view(x), view(y), options, validation, callbacks);
}

template <class Scalar>
History ModelOf<Scalar>::fit(const Scalar* x, Index rows, Index cols, const Scalar* y, Index y_cols, const FitOptions& options,
                   const FitCallbacks& callbacks) {
  return fit(view(x, rows, cols, "x"), view(y, rows, y_cols, "y"), options, std::nullopt, callbacks);
}

template <class Scalar>
Logs ModelOf<Scalar>::evaluate(ConstMatrixMapOf<Scalar> x, ConstMatrixMapOf<Scalar> y, Index batch_size, const Scalar* sample_weight,
                     const Distribution& distribution) const {
  return evaluate(DatasetsOf<Scalar>{{x}, {y}, sample_weight}, batch_size, nullptr, distribution);
}

template <class Scalar>
Logs ModelOf<Scalar>::evaluate(const RowMatrixOf<Scalar>& x, const RowMatrixOf<Scalar>& y, Index batch_size) const {
  return evaluate(view(x), view(y), batch_size);
}

template <class Scalar>
Logs ModelOf<Scalar>::evaluate(const Scalar* x, Index rows, Index cols, const Scalar* y, Index y_cols, Index batch_size) const {
  return evaluate(view(x, rows, cols, "x"), view(y, rows, y_cols, "y"), batch_size);
}

template <class Scalar>
void ModelOf<Scalar>::predict(ConstMatrixMapOf<Scalar> x, MatrixMapOf<Scalar> out, Index batch_size) const {
  predict(std::vector<InputMatrixOf<Scalar>>{x}, std::vector<MatrixMapOf<Scalar>>{out}, batch_size);
}

template <class Scalar>
RowMatrixOf<Scalar> ModelOf<Scalar>::predict(ConstMatrixMapOf<Scalar> x, Index batch_size) const {
  const StructureHold reading = hold_structure();  // [issue 13] output_dim() must stay what `out` is sized for
  require_graph("predict");
  RowMatrixOf<Scalar> out;
  explain_allocation_failure([&] { out.resize(x.rows(), output_dim()); },
                             [&] { return output_allocation_message<Scalar>(x.rows(), output_dim()); });
  predict(x, MatrixMapOf<Scalar>(out.data(), out.rows(), out.cols()), batch_size);
  return out;
}

template <class Scalar>
RowMatrixOf<Scalar> ModelOf<Scalar>::predict(const RowMatrixOf<Scalar>& x, Index batch_size) const { return predict(view(x), batch_size); }

template <class Scalar>
RowMatrixOf<Scalar> ModelOf<Scalar>::predict(const Scalar* x, Index rows, Index cols, Index batch_size) const {
  return predict(view(x, rows, cols, "x"), batch_size);
}

template <class Scalar>
RowMatrixOf<Scalar> ModelOf<Scalar>::call_training(ConstMatrixMapOf<Scalar> x) { return std::move(call_training(std::vector<ConstMatrixMapOf<Scalar>>{x})[0]); }

template <class Scalar>
Logs ModelOf<Scalar>::train_on_batch(ConstMatrixMapOf<Scalar> x, ConstMatrixMapOf<Scalar> y) {
  return train_on_batch(std::vector<InputMatrixOf<Scalar>>{x}, std::vector<ConstMatrixMapOf<Scalar>>{y});
}

template <class Scalar>
History ModelOf<Scalar>::fit(const CsrRowsOf<Scalar>& x, ConstMatrixMapOf<Scalar> y, const FitOptions& options, const std::optional<DatasetOf<Scalar>>& validation,
                   const FitCallbacks& callbacks, const Scalar* sample_weight) {
  std::optional<DatasetsOf<Scalar>> checked;
  if (validation) checked = DatasetsOf<Scalar>{{validation->x}, {validation->y}, validation->sample_weight};
  return fit(DatasetsOf<Scalar>{{InputMatrixOf<Scalar>(x)}, {y}, sample_weight}, options, checked, callbacks);
}

template <class Scalar>
Logs ModelOf<Scalar>::evaluate(const CsrRowsOf<Scalar>& x, ConstMatrixMapOf<Scalar> y, Index batch_size, const Scalar* sample_weight) const {
  return evaluate(DatasetsOf<Scalar>{{InputMatrixOf<Scalar>(x)}, {y}, sample_weight}, batch_size);
}

template <class Scalar>
RowMatrixOf<Scalar> ModelOf<Scalar>::predict(const CsrRowsOf<Scalar>& x, Index batch_size) const {
  return std::move(predict(std::vector<InputMatrixOf<Scalar>>{InputMatrixOf<Scalar>(x)}, batch_size)[0]);
}

template <class Scalar>
Logs ModelOf<Scalar>::train_on_batch(const CsrRowsOf<Scalar>& x, ConstMatrixMapOf<Scalar> y) {
  return train_on_batch(std::vector<InputMatrixOf<Scalar>>{InputMatrixOf<Scalar>(x)}, std::vector<ConstMatrixMapOf<Scalar>>{y});
}

// The members defined here, for both scalar types (model.cpp instantiates the rest).
template class ModelOf<float>;
template class ModelOf<double>;

}  // namespace fastmlp
