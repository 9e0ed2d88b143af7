// The one place that decides how many threads fastmlp uses, and when work is worth them.
#pragma once

#include <omp.h>

#include "fastmlp/types.hpp"

namespace fastmlp {

// Sets the threads used by fastmlp's matrix products and elementwise loops (OpenMP).
// n <= 0 restores the default: OMP_NUM_THREADS if set, otherwise all cores.
void set_num_threads(int n);
int get_num_threads();

// Below this many scalars an elementwise pass is faster on one thread than the cost of waking
// the others (an OpenMP fork/join is a few microseconds; one core streams ~1e4 floats in that time).
constexpr Index kParallelElementwiseThreshold = 1 << 15;

// Matrix products are split by fastmlp, not by Eigen: Eigen's OpenMP GEMM forks for products as
// small as 32x64x50, where waking the team costs more than it saves (the digits network trained
// 3x slower on 2 threads than on 1). Below this many multiply-adds a product runs on one thread.
constexpr Index kParallelGemmThreshold = 1 << 20;

// Runs fn(first, end) over disjoint ranges of [0, count): on the calling thread when the work
// (count * cost_per_item) is below `threshold`, split across the OpenMP team when it pays.
template <class Fn>
void parallel_for(Index count, Index cost_per_item, Fn&& fn, Index threshold = kParallelElementwiseThreshold) {
  const int threads = get_num_threads();
  if (count * cost_per_item < threshold || count < 2 || threads == 1 || omp_in_parallel()) {
    fn(Index{0}, count);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    const Index team = omp_get_num_threads();
    const Index me = omp_get_thread_num();
    const Index first = count * me / team;
    const Index end = count * (me + 1) / team;
    if (first < end) fn(first, end);
  }
}

}  // namespace fastmlp
