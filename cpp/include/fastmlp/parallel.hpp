// The one place that decides how many threads fastmlp uses, when work is worth them, and how the
// threads wait for work.
#pragma once

#include <algorithm>
#include <type_traits>
#include <utility>

#include "fastmlp/types.hpp"

namespace fastmlp {

// Sets the threads used by fastmlp's matrix products and elementwise loops.
// n <= 0 restores the default: OMP_NUM_THREADS if set, otherwise all cores.
void set_num_threads(int n);
int get_num_threads();

// Below this many scalars an elementwise pass is faster on one thread than the cost of waking
// the others (a hand-off to the team is a few microseconds; one core streams ~1e4 floats in that time).
constexpr Index kParallelElementwiseThreshold = 1 << 15;

// Runs task(context, chunk) once for every chunk in [0, chunks), on up to `team` threads: the
// caller and fastmlp's worker threads. Chunks are claimed one at a time, so a thread that the
// operating system has descheduled (another busy process on the cores) delays the others by at
// most the chunk it holds; the rest are done by whoever is running. Workers spin for a short
// while after their last chunk (work usually follows within microseconds) and then sleep, so an
// idle team costs no CPU. Runs everything on the caller when team <= 1, when called from inside
// a task, while another thread is using the workers, or for 2^20 chunks or more. A task should not
// throw; if one does, the first exception is rethrown here after every chunk has finished.
void run_chunks(int team, Index chunks, void (*task)(void* context, Index chunk), void* context);

// run_chunks() for any callable fn(chunk).
template <class Fn>
void run_chunks(int team, Index chunks, Fn&& fn) {
  using F = std::remove_reference_t<Fn>;
  run_chunks(team, chunks, [](void* context, Index chunk) { (*static_cast<F*>(context))(chunk); },
             const_cast<void*>(static_cast<const void*>(&fn)));
}

// Work per chunk of parallel_for, in scalars: about a microsecond of streaming; larger when a pass
// would otherwise have more than kMaxElementwiseChunks chunks.
constexpr Index kElementwiseChunk = 1 << 13;
constexpr Index kMaxElementwiseChunks = 1 << 12;

// Runs fn(first, end) over disjoint ranges of [0, count) that together cover it: on the calling
// thread when the work (count * cost_per_item) is below `threshold`, split across the team when it
// pays. The ranges depend on count and cost alone, never on the thread count, so that vectorised
// code, which treats a range's unaligned ends apart, rounds every element the same way on any
// number of threads: results are bit-identical for 1 and N threads.
template <class Fn>
void parallel_for(Index count, Index cost_per_item, Fn&& fn, Index threshold = kParallelElementwiseThreshold) {
  const Index work = count * cost_per_item;
  if (work < threshold || count < 2) {
    fn(Index{0}, count);
    return;
  }
  const Index chunks = std::min({count, (work + kElementwiseChunk - 1) / kElementwiseChunk, kMaxElementwiseChunks});
  run_chunks(get_num_threads(), chunks, [&](Index chunk) {
    const Index first = count * chunk / chunks, end = count * (chunk + 1) / chunks;
    if (first < end) fn(first, end);
  });
}

}  // namespace fastmlp
