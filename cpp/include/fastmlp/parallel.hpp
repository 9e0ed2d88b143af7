// The one place that decides how many threads fastmlp uses, and when elementwise work is worth them.
#pragma once

#include "fastmlp/types.hpp"

namespace fastmlp {

// Sets the threads used by GEMMs (Eigen) and by fastmlp's own elementwise loops (OpenMP).
// n <= 0 restores the default: OMP_NUM_THREADS if set, otherwise all cores.
void set_num_threads(int n);
int get_num_threads();

// Below this many scalars an elementwise pass is faster on one thread than the cost of waking
// the others (an OpenMP fork/join is a few microseconds; one core streams ~1e4 floats in that time).
constexpr Index kParallelElementwiseThreshold = 1 << 15;

}  // namespace fastmlp

#include <omp.h>

namespace fastmlp {

// Runs fn(first, end) over disjoint ranges of [0, count): on the calling thread when the work
// (count * cost_per_item scalars) is small, split across the OpenMP team when it pays.
template <class Fn>
void parallel_for(Index count, Index cost_per_item, Fn&& fn) {
  const int threads = get_num_threads();
  if (count * cost_per_item < kParallelElementwiseThreshold || threads == 1 || omp_in_parallel()) {
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
