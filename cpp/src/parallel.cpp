#include "fastmlp/parallel.hpp"

#include <cstdlib>

namespace fastmlp {
namespace {

int default_threads() {
  // omp_get_max_threads already honours OMP_NUM_THREADS and falls back to the core count.
  return omp_get_max_threads();
}

int& configured_threads() {
  // Eigen stays single-threaded: parallel_product() splits the products that are worth it.
  static int threads = (Eigen::setNbThreads(1), default_threads());
  return threads;
}

}  // namespace

void set_num_threads(int n) {
  configured_threads() = n > 0 ? n : default_threads();
}

int get_num_threads() { return configured_threads(); }

}  // namespace fastmlp
