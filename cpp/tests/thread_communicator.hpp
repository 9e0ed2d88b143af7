// A Communicator whose ranks are threads of one process: the data-parallel training loop tested
// without MPI. Sums are taken in rank order, so every rank gets bit-identical results, as MPI's
// allreduce gives them.
#pragma once

#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "fastmlp/communicator.hpp"

namespace fastmlp::testing {

class ThreadGroup {
 public:
  explicit ThreadGroup(int size) : size_(size), slots_(static_cast<size_t>(size)) {}

  int size() const { return size_; }

  // Waits until every rank arrives; throws DistributedError when a rank announced a failure.
  void barrier() {
    std::unique_lock<std::mutex> lock(mutex_);
    check_failed();
    const long generation = generation_;
    if (++arrived_ == size_) {
      arrived_ = 0;
      ++generation_;
      changed_.notify_all();
      return;
    }
    changed_.wait(lock, [&] { return generation_ != generation || !failure_.empty(); });
    check_failed();
  }

  void fail(const std::string& reason) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (failure_.empty()) failure_ = reason;
    changed_.notify_all();
  }

  void*& slot(int rank) { return slots_[static_cast<size_t>(rank)]; }

 private:
  void check_failed() const {
    if (!failure_.empty()) throw DistributedError(failure_);
  }

  const int size_;
  std::vector<void*> slots_;  // each rank's buffer during a collective
  std::mutex mutex_;
  std::condition_variable changed_;
  int arrived_ = 0;
  long generation_ = 0;
  std::string failure_;
};

class ThreadCommunicator : public Communicator {
 public:
  ThreadCommunicator(std::shared_ptr<ThreadGroup> group, int rank) : group_(std::move(group)), rank_(rank) {}

  int rank() const override { return rank_; }
  int size() const override { return group_->size(); }

  void allreduce_sum(float* data, std::size_t count) override { sum_over_ranks(data, count); }
  void allreduce_sum(double* data, std::size_t count) override { sum_over_ranks(data, count); }

  void broadcast(void* data, std::size_t bytes, int root) override {
    ++collectives;
    group_->slot(rank_) = data;
    group_->barrier();
    if (rank_ != root) std::memcpy(data, group_->slot(root), bytes);
    group_->barrier();
  }

  void announce_failure(const std::string& reason) noexcept override {
    group_->fail("rank " + std::to_string(rank_) + " failed: " + reason);
  }

  long collectives = 0;

 private:
  template <class Scalar>
  void sum_over_ranks(Scalar* data, std::size_t count) {
    ++collectives;
    group_->slot(rank_) = data;
    group_->barrier();
    std::vector<Scalar> sum(count, 0);
    for (int r = 0; r < size(); ++r) {
      const auto* other = static_cast<const Scalar*>(group_->slot(r));
      for (std::size_t i = 0; i < count; ++i) sum[i] += other[i];
    }
    group_->barrier();  // everyone has read every buffer before any is overwritten
    std::memcpy(data, sum.data(), count * sizeof(Scalar));
  }

  std::shared_ptr<ThreadGroup> group_;
  int rank_;
};

}  // namespace fastmlp::testing
