#include "fastmlp/data_parallel.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <sstream>
#include <stdexcept>

namespace fastmlp {
namespace {

std::string number_text(double value) {
  std::ostringstream text;
  text.precision(10);
  text << value;
  return text.str();
}

// Every tensor of `tensors` packed into `buffer` (scaled), or unpacked from it.
template <class Scalar>
Index pack(const std::vector<ParameterOf<Scalar>>& tensors, bool gradients, Scalar scale, Scalar* buffer) {
  Index offset = 0;
  for (const ParameterOf<Scalar>& p : tensors) {
    const RowMatrixOf<Scalar>& source = gradients ? *p.gradient : *p.value;
    MatrixMapOf<Scalar>(buffer + offset, source.rows(), source.cols()) = source * scale;
    offset += source.size();
  }
  return offset;
}

template <class Scalar>
Index unpack(const std::vector<ParameterOf<Scalar>>& tensors, bool gradients, const Scalar* buffer) {
  Index offset = 0;
  for (const ParameterOf<Scalar>& p : tensors) {
    RowMatrixOf<Scalar>& target = gradients ? *p.gradient : *p.value;
    target = ConstMatrixMapOf<Scalar>(buffer + offset, target.rows(), target.cols());
    offset += target.size();
  }
  return offset;
}

template <class Scalar>
Index values_in(const std::vector<ParameterOf<Scalar>>& tensors) {
  Index count = 0;
  for (const ParameterOf<Scalar>& p : tensors) count += p.value->size();
  return count;
}

}  // namespace

std::pair<Index, Index> share_of(Index rows, int rank, int size) {
  return {rows * rank / size, rows * (rank + 1) / size};
}

// The fallback for communicators that define only the float sum: each rank's values broadcast in
// turn and added in rank order, so that every rank ends with the same sums.
void Communicator::allreduce_sum(double* data, std::size_t count) {
  const int ranks = size(), me = rank();
  std::vector<double> sum(count, 0.0), values(count);
  for (int r = 0; r < ranks; ++r) {
    if (r == me) std::copy(data, data + count, values.begin());
    broadcast(values.data(), count * sizeof(double), r);
    for (std::size_t i = 0; i < count; ++i) sum[i] += values[i];
  }
  std::copy(sum.begin(), sum.end(), data);
}

template <class Scalar>
ReplicaSyncOf<Scalar>::ReplicaSyncOf(const Distribution& distribution)
    : comm_(*distribution.communicator),
      sharded_(distribution.sharded),
      rank_(distribution.communicator->rank()),
      size_(distribution.communicator->size()) {
  if (size_ < 1 || rank_ < 0 || rank_ >= size_)
    throw std::invalid_argument("communicator reports rank " + std::to_string(rank_) + " of " + std::to_string(size_) +
                                " processes");
}

template <class Scalar>
void ReplicaSyncOf<Scalar>::start(const std::vector<Agreed>& agreed, Index local_rows,
                                  const std::vector<ParameterOf<Scalar>>& weights, Rng& model_rng,
                                  const std::vector<Rng*>& generators, const std::vector<ParameterOf<Scalar>>& params,
                                  const std::vector<ParameterOf<Scalar>>& state, size_t totals) {
  // 1. The same model and the same fit arguments everywhere, or a collective below would mismatch
  //    (an allreduce of different lengths is undefined behaviour in MPI, not an error).
  std::vector<double> root(agreed.size());
  for (size_t i = 0; i < agreed.size(); ++i) root[i] = agreed[i].value;
  comm_.broadcast(root.data(), root.size() * sizeof(double), 0);
  for (size_t i = 0; i < agreed.size(); ++i) {
    const double mine = agreed[i].value, theirs = root[i];
    const double allowed = agreed[i].tolerance * (std::abs(mine) + std::abs(theirs));
    if (!(std::abs(mine - theirs) <= allowed))
      throw std::invalid_argument("data-parallel fit: rank " + std::to_string(rank_) + " has " + agreed[i].what + " " +
                                  number_text(mine) + " but rank 0 has " + number_text(theirs) +
                                  "; every rank must build the same model and call fit with the same arguments" +
                                  (sharded_ ? "" : " and the same data"));
  }

  // 2. Where this rank's rows sit in the whole data set. Each rank announces its count in turn:
  //    integers travel exactly, which a float allreduce would not guarantee past 2^24.
  if (sharded_) {
    std::vector<std::int64_t> counts(static_cast<size_t>(size_));
    counts[static_cast<size_t>(rank_)] = local_rows;
    for (int r = 0; r < size_; ++r) comm_.broadcast(&counts[static_cast<size_t>(r)], sizeof(std::int64_t), r);
    global_rows_ = first_row_ = 0;
    for (int r = 0; r < size_; ++r) {
      if (r == rank_) first_row_ = global_rows_;
      global_rows_ += counts[static_cast<size_t>(r)];
    }
    if (global_rows_ == 0) throw std::invalid_argument("data-parallel fit: no rank has any rows");
  } else {
    global_rows_ = local_rows;
    first_row_ = 0;
  }
  local_rows_ = local_rows;

  // 3. Rank 0's weights, state and random generators everywhere: every replica starts equal, and
  //    the permutation of the rows, drawn from the model's generator, is the same on every rank.
  VectorOf<Scalar> values(values_in(weights));
  if (rank_ == 0) pack(weights, false, Scalar(1), values.data());
  comm_.broadcast(values.data(), static_cast<size_t>(values.size()) * sizeof(Scalar), 0);
  if (rank_ != 0) unpack(weights, false, values.data());

  std::string states;
  if (rank_ == 0) {
    std::ostringstream text;
    text << model_rng;
    for (const Rng* generator : generators) text << ' ' << *generator;
    states = text.str();
  }
  std::uint64_t length = states.size();
  comm_.broadcast(&length, sizeof length, 0);
  states.resize(length);
  comm_.broadcast(states.data(), length, 0);
  if (rank_ != 0) {
    std::istringstream text(states);
    text >> model_rng;
    for (Rng* generator : generators) text >> *generator;
    if (!text) throw std::runtime_error("data-parallel fit: could not read rank 0's random generator states");
    // Each share of a batch must get its own Dropout masks and noise, not a copy of rank 0's.
    for (Rng* generator : generators) generator->seed((*generator)() ^ (0x9E3779B97F4A7C15ULL * rank_));
  }

  buffer_.resize(values_in(params) + values_in(state) + static_cast<Index>(totals) + 1);
}

template <class Scalar>
Index ReplicaSyncOf<Scalar>::select(const std::vector<Index>& order, Index first, Index end, std::vector<Index>& rows) const {
  if (!sharded_) {
    const auto [from, to] = share_of(end - first, rank_, size_);
    std::copy(order.begin() + first + from, order.begin() + first + to, rows.begin());
    return to - from;
  }
  Index count = 0;
  for (Index i = first; i < end; ++i) {
    const Index row = order[static_cast<size_t>(i)] - first_row_;
    if (row >= 0 && row < local_rows_) rows[static_cast<size_t>(count++)] = row;
  }
  return count;
}

template <class Scalar>
bool ReplicaSyncOf<Scalar>::reduce(const std::vector<ParameterOf<Scalar>>& params,
                                   const std::vector<ParameterOf<Scalar>>& state, Index local_rows, Index batch_rows,
                                   std::vector<double>& totals, bool stop_requested) {
  // A rank's gradient is the mean over its own rows; weighted by its share of the batch, the sum
  // over the ranks is the mean over the whole batch, as one process would compute it. A rank with
  // no rows in this batch (the last, short one) sends zeros.
  const Scalar share = static_cast<Scalar>(local_rows) / static_cast<Scalar>(batch_rows);
  Scalar* buffer = buffer_.data();
  Index offset = 0;
  if (local_rows > 0) {
    offset += pack(params, true, share, buffer);
    offset += pack(state, false, share, buffer + offset);
  } else {
    offset = values_in(params) + values_in(state);
    buffer_.head(offset).setZero();
  }
  for (const double total : totals) buffer[offset++] = static_cast<Scalar>(total);
  buffer[offset] = stop_requested ? Scalar(1) : Scalar(0);

  comm_.allreduce_sum(buffer, static_cast<size_t>(buffer_.size()));

  if (buffer[offset] > 0) return true;
  offset = unpack(params, true, buffer);
  offset += unpack(state, false, buffer + offset);
  for (double& total : totals) total = buffer[offset++];
  return false;
}

template <class Scalar>
bool ReplicaSyncOf<Scalar>::agree_to_stop(bool stop_requested) {
  Scalar flag = stop_requested ? Scalar(1) : Scalar(0);
  comm_.allreduce_sum(&flag, 1);
  return flag > 0;
}

template <class Scalar>
void reduce_totals(Communicator& communicator, std::vector<double>& totals, Index& rows) {
  // The row count as two numbers, each exact below 2^24 after summing (in float), so counts up to
  // 2^44 add up exactly.
  constexpr Index kLow = Index{1} << 20;
  std::vector<Scalar> buffer;
  buffer.reserve(totals.size() + 2);
  for (const double total : totals) buffer.push_back(static_cast<Scalar>(total));
  buffer.push_back(static_cast<Scalar>(rows / kLow));
  buffer.push_back(static_cast<Scalar>(rows % kLow));
  communicator.allreduce_sum(buffer.data(), buffer.size());
  for (size_t i = 0; i < totals.size(); ++i) totals[i] = buffer[i];
  rows = static_cast<Index>(buffer[totals.size()]) * kLow + static_cast<Index>(buffer[totals.size() + 1]);
}

template class ReplicaSyncOf<float>;
template class ReplicaSyncOf<double>;
template void reduce_totals<float>(Communicator&, std::vector<double>&, Index&);
template void reduce_totals<double>(Communicator&, std::vector<double>&, Index&);

}  // namespace fastmlp
