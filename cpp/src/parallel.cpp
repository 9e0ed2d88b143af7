// fastmlp's worker threads. Why not OpenMP's team: libgomp's waiting threads spin for ~300,000
// rounds (milliseconds) by default, and the policy can only be changed through environment
// variables read when the runtime loads. With one other busy process on a 2-core machine, the
// spinning made an epoch 3-4x slower than idle; OMP_WAIT_POLICY=passive fixed that but cost up to
// 25% on an idle machine, because every product then woke its threads from sleep. Here waiting is
// fastmlp's own: a short spin, then sleep; and chunks are claimed dynamically, so the running
// threads finish the work of a descheduled one instead of waiting for it.
#include "fastmlp/parallel.hpp"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif
#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#endif

namespace fastmlp {
namespace {

int default_threads() {
  // omp_get_max_threads already honours OMP_NUM_THREADS and falls back to the core count.
  return omp_get_max_threads();
}

int& configured_threads() {
  // Eigen stays single-threaded: fastmlp splits the products that are worth it (gemm.cpp).
  static int threads = (Eigen::setNbThreads(1), default_threads());
  return threads;
}

void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

// How long a thread that ran out of work keeps spinning before it sleeps. Between the products and
// elementwise passes of one training step the next work arrives within a few microseconds; a longer
// spin only burns a core that another process could use. Measured on the 2-vCPU VM with
// bench/contention.py (FASTMLP_SPIN_US overrides it, for such measurements).
std::chrono::microseconds spin_time() {
  static const std::chrono::microseconds spin = [] {
    const char* text = std::getenv("FASTMLP_SPIN_US");
    const long value = text ? std::strtol(text, nullptr, 10) : 50;
    return std::chrono::microseconds(value < 0 ? 0 : value);
  }();
  return spin;
}

// Spins until done() or the spin time is over; true if done().
template <class Done>
bool spin_until(Done done) {
  const auto deadline = std::chrono::steady_clock::now() + spin_time();
  for (int round = 0;; ++round) {
    if (done()) return true;
    if ((round & 63) == 63 && std::chrono::steady_clock::now() >= deadline) return done();
    cpu_relax();
  }
}

// One job at a time, published by bumping a generation. Claims are made by a compare-and-swap on
// (generation, next chunk), so a worker that wakes late for a job already finished claims nothing.
class Pool {
 public:
  // The caller of run_chunks(), while it uses the pool (owner_ is locked) or runs a task.
  static thread_local bool in_task;

  bool try_run(int team, Index chunks, void (*task)(void*, Index), void* context) {
    std::unique_lock<std::mutex> owner(owner_, std::try_to_lock);
    if (!owner.owns_lock()) return false;
    grow(team - 1);
    first_error_ = nullptr;
    task_.store(task, std::memory_order_relaxed);
    context_.store(context, std::memory_order_relaxed);
    done_.store(0, std::memory_order_relaxed);
    const std::uint64_t generation = (claims_.load(std::memory_order_relaxed) >> 32) + 1;
    job_.store(generation << 32 | static_cast<std::uint64_t>(team) << 20 | static_cast<std::uint64_t>(chunks),
               std::memory_order_release);
    claims_.store(generation << 32, std::memory_order_seq_cst);
    if (sleepers_.load(std::memory_order_seq_cst) > 0) {
      std::lock_guard<std::mutex> lock(sleep_mutex_);
      wake_workers_.notify_all();
    }
    work(generation);
    const auto all_done = [&] { return done_.load(std::memory_order_seq_cst) == static_cast<std::uint64_t>(chunks); };
    if (!spin_until(all_done)) {
      std::unique_lock<std::mutex> lock(sleep_mutex_);
      caller_sleeping_.store(true, std::memory_order_seq_cst);
      job_done_.wait(lock, all_done);
      caller_sleeping_.store(false, std::memory_order_relaxed);
    }
    if (first_error_) std::rethrow_exception(first_error_);
    return true;
  }

 private:
  static constexpr std::uint64_t kChunkBits = 20, kTeamBits = 12;

  void grow(int workers) {
    while (static_cast<int>(workers_.size()) < workers) {
      const int index = static_cast<int>(workers_.size()) + 1;  // the caller is index 0
      workers_.emplace_back([this, index] { worker_loop(index); });
      workers_.back().detach();  // the pool lives as long as the process (see pool())
    }
  }

  // Claims and runs chunks of job `generation` until none are left.
  void work(std::uint64_t generation) {
    const std::uint64_t job = job_.load(std::memory_order_acquire);
    if (job >> 32 != generation) return;
    const std::uint64_t chunks = job & ((1u << kChunkBits) - 1);
    auto* task = task_.load(std::memory_order_relaxed);
    void* context = context_.load(std::memory_order_relaxed);
    std::uint64_t claim = claims_.load(std::memory_order_acquire);
    while (claim >> 32 == generation && (claim & 0xffffffffu) < chunks) {
      if (!claims_.compare_exchange_weak(claim, claim + 1, std::memory_order_acq_rel)) continue;
      // The claim succeeded while the job was unfinished, so task and context are this job's.
      in_task = true;
      try {
        task(context, static_cast<Index>(claim & 0xffffffffu));
      } catch (...) {
        std::lock_guard<std::mutex> lock(sleep_mutex_);
        if (!first_error_) first_error_ = std::current_exception();
      }
      in_task = false;
      const bool last = done_.fetch_add(1, std::memory_order_seq_cst) + 1 == chunks;
      if (last && caller_sleeping_.load(std::memory_order_seq_cst)) {
        std::lock_guard<std::mutex> lock(sleep_mutex_);
        job_done_.notify_one();
      }
      claim = claims_.load(std::memory_order_acquire);
    }
  }

  void worker_loop(int index) {
    std::uint64_t seen = claims_.load(std::memory_order_acquire) >> 32;
    for (;;) {
      auto published = [&] { return claims_.load(std::memory_order_seq_cst) >> 32 != seen; };
      if (!spin_until(published)) {
        std::unique_lock<std::mutex> lock(sleep_mutex_);
        sleepers_.fetch_add(1, std::memory_order_seq_cst);
        wake_workers_.wait(lock, published);
        sleepers_.fetch_sub(1, std::memory_order_relaxed);
      }
      seen = claims_.load(std::memory_order_acquire) >> 32;
      const std::uint64_t team = (job_.load(std::memory_order_acquire) >> kChunkBits) & ((1u << kTeamBits) - 1);
      if (static_cast<std::uint64_t>(index) < team) work(seen);
    }
  }

  std::mutex owner_;                          // held by the thread whose job is running
  std::vector<std::thread> workers_;
  std::atomic<std::uint64_t> job_{0};         // generation << 32 | team << 20 | chunks
  std::atomic<std::uint64_t> claims_{0};      // generation << 32 | next unclaimed chunk
  std::atomic<std::uint64_t> done_{0};        // chunks of the current job finished
  std::atomic<void (*)(void*, Index)> task_{nullptr};
  std::atomic<void*> context_{nullptr};
  std::exception_ptr first_error_;
  std::mutex sleep_mutex_;
  std::condition_variable wake_workers_, job_done_;
  std::atomic<int> sleepers_{0};
  std::atomic<bool> caller_sleeping_{false};
};

thread_local bool Pool::in_task = false;

// Never destroyed: its detached workers may be waiting on it while the process exits. A child
// process made by fork() has none of the parent's threads, so it starts a pool of its own.
Pool*& pool_slot() {
  static Pool* pool = nullptr;
  return pool;
}

Pool& pool() {
  static std::once_flag once;
  std::call_once(once, [] {
#if defined(__unix__) || defined(__APPLE__)
    pthread_atfork(nullptr, nullptr, [] { pool_slot() = nullptr; });
#endif
  });
  static std::mutex creation;
  std::lock_guard<std::mutex> lock(creation);
  if (!pool_slot()) pool_slot() = new Pool();
  return *pool_slot();
}

}  // namespace

void set_num_threads(int n) {
  configured_threads() = n > 0 ? n : default_threads();
}

int get_num_threads() { return configured_threads(); }

void run_chunks(int team, Index chunks, void (*task)(void*, Index), void* context) {
  constexpr int kMaxTeam = 4095;                // what the job word has room for
  constexpr Index kMaxChunks = (Index{1} << 20) - 1;
  if (chunks <= 0) return;
  const bool parallel = team > 1 && chunks > 1 && chunks <= kMaxChunks && !Pool::in_task;
  if (parallel && pool().try_run(std::min(team, kMaxTeam), chunks, task, context)) return;
  for (Index chunk = 0; chunk < chunks; ++chunk) task(context, chunk);
}

}  // namespace fastmlp
