// Data-parallel training: every rank holds a replica of the model and trains on its share of each
// global batch. One allreduce per step sums the gradients (with the loss and metric totals), so
// every replica applies the same optimizer step and the weights stay identical.
//
// The training loop (Model::fit_epochs in model_training.cpp, for every model: Sequential and
// functional, any number of inputs and outputs) uses this in four places, each marked "DATA-PARALLEL
// HOOK": ReplicaSyncOf::start before the first epoch, ReplicaSyncOf::select where a batch's rows are
// gathered, ReplicaSyncOf::reduce between backward and the optimizer step, and
// ReplicaSyncOf::agree_to_stop after each epoch. evaluate() reduces its totals with reduce_totals.
// Nothing here knows about layers or losses.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "fastmlp/communicator.hpp"
#include "fastmlp/layer.hpp"
#include "fastmlp/types.hpp"

namespace fastmlp {

// How fit() and evaluate() spread over the ranks of a communicator.
struct Distribution {
  Communicator* communicator = nullptr;  // null: this process works alone
  // false: every rank passes the same rows and takes its share of each global batch (Keras's
  // auto_shard_dataset=True); true: each rank passes only its own rows (its shard), and the global
  // batches are drawn from the union of the shards in one permutation that every rank computes.
  bool sharded = false;

  bool active() const { return communicator != nullptr; }
};

// The rows [first, end) of `rows` that rank `rank` of `size` takes: consecutive, nearly equal parts.
std::pair<Index, Index> share_of(Index rows, int rank, int size);

// A value every rank must agree on before training (the model's parameter count, the batch size,
// ...), named for the error message. `tolerance` is relative; 0 means equal.
struct Agreed {
  const char* what;
  double value;
  double tolerance = 0;
};

// Runs `body`; an exception that leaves it is announced to the other ranks before it propagates,
// so that they fail at once instead of waiting for this rank in their next collective.
template <class Body>
auto announcing_failures(const Distribution& distribution, Body&& body) -> decltype(body()) {
  if (!distribution.active()) return body();
  try {
    return body();
  } catch (const std::exception& error) {
    distribution.communicator->announce_failure(error.what());
    throw;
  } catch (...) {
    distribution.communicator->announce_failure("an exception that is not a std::exception");
    throw;
  }
}

// For a model of scalar type Scalar: the gradients, the state and the totals travel in Scalar.
template <class Scalar>
class ReplicaSyncOf {
 public:
  explicit ReplicaSyncOf(const Distribution& distribution);

  int rank() const { return rank_; }
  int size() const { return size_; }

  // Before the first epoch, on every rank. Throws std::invalid_argument naming the first value in
  // `agreed` on which this rank differs from rank 0. Then gathers the row counts (sharded), copies
  // rank 0's `weights` (every parameter and state tensor, frozen ones too), `model_rng` and
  // `generators` to every rank, and gives each rank > 0 generators of its own (Dropout masks must
  // differ between the shares of a batch). Sizes the step buffer for the trainable `params`, the
  // averaged `state` and `totals` values: reduce() then allocates nothing.
  void start(const std::vector<Agreed>& agreed, Index local_rows, const std::vector<ParameterOf<Scalar>>& weights,
             Rng& model_rng, const std::vector<Rng*>& generators, const std::vector<ParameterOf<Scalar>>& params,
             const std::vector<ParameterOf<Scalar>>& state, size_t totals);

  // The rows of the whole data set: this rank's own (replicated), or the sum of all shards.
  Index global_rows() const { return global_rows_; }

  // This rank's rows of the global batch made of order[first, end) (indices into the whole data
  // set), as indices into its own x, written to `rows`; returns their count.
  Index select(const std::vector<Index>& order, Index first, Index end, std::vector<Index>& rows) const;

  // Between backward and the optimizer step, on every rank, once per global batch of `batch_rows`
  // rows of which this rank trained `local_rows`. One allreduce sums the gradients of `params`
  // weighted by local_rows / batch_rows (so the sum is the gradient of the global batch's mean
  // loss), the `state` values weighted the same way (BatchNormalization's moving statistics: their
  // mean over the ranks), the loss and metric `totals` (sums over the batch), and the stop requests.
  // Returns true when some rank asked to stop: the step must then not be applied.
  bool reduce(const std::vector<ParameterOf<Scalar>>& params, const std::vector<ParameterOf<Scalar>>& state, Index local_rows,
              Index batch_rows, std::vector<double>& totals, bool stop_requested);

  // After each epoch: true on every rank when any rank asks to stop.
  bool agree_to_stop(bool stop_requested);

 private:
  Communicator& comm_;
  bool sharded_;
  int rank_, size_;
  Index global_rows_ = 0;
  Index first_row_ = 0, local_rows_ = 0;  // this rank's shard within the whole data set
  VectorOf<Scalar> buffer_;  // (gradient values + state values + totals + 1)  one step's allreduce
};

using ReplicaSync = ReplicaSyncOf<float>;

extern template class ReplicaSyncOf<float>;
extern template class ReplicaSyncOf<double>;

// Sums each rank's `totals` (loss and metric sums) and `rows` in place, for evaluate(): one allreduce,
// in Scalar (a model's evaluate() passes its own: a float64 model's totals travel in double).
template <class Scalar = float>
void reduce_totals(Communicator& communicator, std::vector<double>& totals, Index& rows);
extern template void reduce_totals<float>(Communicator&, std::vector<double>&, Index&);
extern template void reduce_totals<double>(Communicator&, std::vector<double>&, Index&);

}  // namespace fastmlp
