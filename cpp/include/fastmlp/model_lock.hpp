// Keeps a model's structure (its layers, loss and optimizer) fixed while something uses it.
#pragma once

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

namespace fastmlp {

// predict, evaluate and fit run without Python's GIL, so another thread can call add, pop, build or
// compile on the same model meanwhile: a pop under a running predict freed the layer it was reading
// (SIGSEGV in 7 of 9 trials). So those that read the structure take a shared hold, and those that
// change it an exclusive one:
// - readers (predict, evaluate, fit, saving) wait only for a change in progress, which is brief
//   and never calls out to user code; a thread may hold several shared holds at once (a fit's
//   callback that predicts or saves);
// - a change does not wait for readers, which may run for minutes or be its own caller (a fit
//   callback that calls add): it throws std::invalid_argument, and the model is left as it was.
// One atomic word rather than a mutex: a reader running when the process forks leaves its child
// only a count (the child reads on; it cannot change that model's structure), whereas a mutex held
// at the fork would stay locked in the child forever.
class ModelLock {
 public:
  // A hold, released when it goes out of scope. A shared hold adds one to the state and takes it
  // back; an exclusive one sets it from 0 to -1 (kChanging) and adds one back.
  class Hold {
   public:
    Hold(std::atomic<int>* state, int release) : state_(state), release_(release) {}
    Hold(Hold&& other) noexcept : state_(other.state_), release_(other.release_) { other.state_ = nullptr; }
    Hold(const Hold&) = delete;
    Hold& operator=(const Hold&) = delete;
    Hold& operator=(Hold&&) = delete;
    ~Hold() {
      if (state_) state_->fetch_add(release_, std::memory_order_release);
    }

   private:
    std::atomic<int>* state_;
    int release_;
  };

  ModelLock() = default;
  // A copy of a model starts with its own lock, free.
  ModelLock(const ModelLock&) noexcept {}
  ModelLock& operator=(const ModelLock&) noexcept { return *this; }

  // A shared hold: waits while a change is in progress.
  [[nodiscard]] Hold read() const {
    for (int attempt = 0;; ++attempt) {
      int readers = state_.load(std::memory_order_relaxed);
      if (readers != kChanging &&
          state_.compare_exchange_weak(readers, readers + 1, std::memory_order_acquire, std::memory_order_relaxed))
        return Hold(&state_, -1);
      if (attempt < 64) std::this_thread::yield();
      else std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  }

  // An exclusive hold, or std::invalid_argument naming `caller` when anything holds the lock.
  [[nodiscard]] Hold write(const char* caller) const {
    int expected = 0;
    if (!state_.compare_exchange_strong(expected, kChanging, std::memory_order_acquire, std::memory_order_relaxed))
      throw std::invalid_argument(std::string(caller) +
                                  "() cannot change the model while it is in use: predict, evaluate, fit or save is "
                                  "running on it in another thread (or this call comes from a callback of its fit); "
                                  "call it after they return");
    return Hold(&state_, +1);
  }

 private:
  static constexpr int kChanging = -1;
  mutable std::atomic<int> state_{0};  // the number of shared holds, or kChanging
};

}  // namespace fastmlp
