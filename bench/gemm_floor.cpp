// The floor under workload 1's epoch: the time of its matrix products alone, in Eigen, at batch 128,
// with nothing else (no activations, loss, optimizer or data movement). fastmlp's epoch cannot be
// shorter than this with Eigen's GEMM, so it says how much of a target is reachable by removing
// overhead and how much would need a faster GEMM kernel.
//
// Build and run beside `python bench/run.py --workloads 1` (same machine, same threads), with the
// Eigen that PyPI's cmeel-eigen puts in the environment (or -I/usr/include/eigen3 for a system one):
//   EIGEN=$(python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')/cmeel.prefix/include/eigen3
//   g++ -O3 -march=native -fopenmp -DNDEBUG -I"$EIGEN" bench/gemm_floor.cpp -o gemm_floor && ./gemm_floor
// OMP_NUM_THREADS picks the thread count.
#include <Eigen/Dense>

#include "best_seconds.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace {

using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

constexpr int kRows = 60000;
constexpr int kBatch = 128;
constexpr int kLayers = 3;
constexpr int kWidths[kLayers + 1] = {784, 512, 512, 10};

// The products of one training step, as fastmlp's Dense layers issue them: Z = X W forward, then
// dW = X^T dZ for every layer and dX = dZ W^T for every layer but the first.
struct Step {
  Matrix weights[kLayers], weight_grads[kLayers], activations[kLayers + 1], deltas[kLayers + 1];

  Step() {
    for (int i = 0; i < kLayers; ++i) {
      weights[i] = Matrix::Random(kWidths[i], kWidths[i + 1]);
      weight_grads[i] = Matrix::Zero(kWidths[i], kWidths[i + 1]);
    }
    for (int i = 0; i <= kLayers; ++i) {
      activations[i] = Matrix::Random(kBatch, kWidths[i]);
      deltas[i] = Matrix::Random(kBatch, kWidths[i]);
    }
  }

  void run() {
    for (int i = 0; i < kLayers; ++i) activations[i + 1].noalias() = activations[i] * weights[i];
    for (int i = kLayers - 1; i >= 0; --i) {
      weight_grads[i].noalias() = activations[i].transpose() * deltas[i + 1];
      if (i > 0) deltas[i].noalias() = deltas[i + 1] * weights[i].transpose();
    }
  }
};

double epoch_flops() {
  double flops = 0;
  for (int i = 0; i < kLayers; ++i) flops += (i == 0 ? 4.0 : 6.0) * kRows * kWidths[i] * kWidths[i + 1];
  return flops;
}

}  // namespace

int main() {
  Step step;
  const double epoch = best_seconds([&] { for (int k = 0; k < kRows / kBatch; ++k) step.run(); }, 3);
  std::printf("workload 1, matrix products only (Eigen, batch %d, %d threads): %.3f s/epoch, %.1f GFLOP/s\n",
              kBatch, Eigen::nbThreads(), epoch, epoch_flops() / epoch / 1e9);

  const int n = 2048;
  const Matrix a = Matrix::Random(n, n);
  Matrix c(n, n);
  const double square = best_seconds([&] { c.noalias() = a * a; }, 5);
  std::printf("large square sgemm (Eigen, n=%d): %.1f GFLOP/s\n", n, 2.0 * n * n * n / square / 1e9);
}
