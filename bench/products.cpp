// Workload 1's three products at batch 32, 128 and 512, one at a time, on fastmlp's kernel (at 1 and
// at N threads) and on Eigen's single-threaded GEMM, in GFLOP/s (best of many calls): how close each
// product comes to the cores' FMA peak, apart from everything else an epoch does.
//
// Build from the repository root with the Eigen that PyPI's cmeel-eigen puts in the environment (or
// -I/usr/include/eigen3 for a system one), and run with the thread count to compare against 1:
//   EIGEN=$(python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')/cmeel.prefix/include/eigen3
//   g++ -O3 -march=native -fopenmp -DNDEBUG -Icpp/include -I"$EIGEN" bench/products.cpp cpp/src/gemm.cpp \
//       cpp/src/parallel.cpp -o products && ./products 2
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "fastmlp/gemm.hpp"

using namespace fastmlp;

namespace {

template <class Work>
double best_seconds(Work work, int repeats) {
  work();  // warm-up: page faults, thread start-up
  double best = 1e300;
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    work();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return best;
}

ConstMatrixMap view(const RowMatrix& m) { return {m.data(), m.rows(), m.cols()}; }
MatrixMap view(RowMatrix& m) { return {m.data(), m.rows(), m.cols()}; }

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
  Eigen::setNbThreads(1);
  std::printf("kernel: %s; GFLOP/s of X W (784->512), X^T dZ (784x512 gradient), dZ W^T (512->512)\n",
              gemm_kernel_name());
  std::printf("batch  fastmlp 1 thread      fastmlp %d threads     Eigen 1 thread\n", threads);
  for (int batch : {32, 128, 512}) {
    const RowMatrix x = RowMatrix::Random(batch, 784), w = RowMatrix::Random(784, 512);
    const RowMatrix dz = RowMatrix::Random(batch, 512), w2 = RowMatrix::Random(512, 512);
    RowMatrix z(batch, 512), dw(784, 512), dx(batch, 512);
    const double forward = 2.0 * batch * 784 * 512, gradient = forward, backward = 2.0 * batch * 512 * 512;
    const int repeats = 20'000'000 / (batch * 784);
    auto rates = [&](int t) {
      auto time = [&](ConstMatrixMap a, Op op_a, ConstMatrixMap b, Op op_b, MatrixMap out) {
        return best_seconds([&] { multiply_with_threads(a, op_a, b, op_b, out, t); }, repeats);
      };
      const double a = time(view(x), Op::Plain, view(w), Op::Plain, view(z));
      const double b = time(view(x), Op::Transposed, view(dz), Op::Plain, view(dw));
      const double c = time(view(dz), Op::Plain, view(w2), Op::Transposed, view(dx));
      std::printf("  %5.0f %5.0f %5.0f     ", forward / a / 1e9, gradient / b / 1e9, backward / c / 1e9);
    };
    std::printf("%5d", batch);
    rates(1);
    rates(threads);
    const double a = best_seconds([&] { z.noalias() = x * w; }, repeats);
    const double b = best_seconds([&] { dw.noalias() = x.transpose() * dz; }, repeats);
    const double c = best_seconds([&] { dx.noalias() = dz * w2.transpose(); }, repeats);
    std::printf("  %5.0f %5.0f %5.0f\n", forward / a / 1e9, gradient / b / 1e9, backward / c / 1e9);
  }
}
