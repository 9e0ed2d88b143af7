// The timing rule of the C++ benchmarks in bench/: one untimed warm-up call (page faults, thread
// start-up), then the fastest of `repeats` timed calls.
#pragma once

#include <algorithm>
#include <chrono>

template <class Work>
double best_seconds(Work work, int repeats) {
  work();
  double best = 1e300;
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    work();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return best;
}
