// Workload 1's three products at batch 32, 128 and 512, one at a time, on fastmlp's kernel (at 1 and
// at N threads) and on Eigen's single-threaded GEMM, in GFLOP/s (best of many calls), beside one
// core's FMA peak: how close each product comes to it, apart from everything else an epoch does.
//
// Build from the repository root with the Eigen that PyPI's cmeel-eigen puts in the environment (or
// -I/usr/include/eigen3 for a system one), and run with the thread count to compare against 1:
//   EIGEN=$(python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')/cmeel.prefix/include/eigen3
//   SOURCES="bench/products.cpp cpp/src/gemm.cpp cpp/src/parallel.cpp"
//   g++ -O3 -march=native -fopenmp -DNDEBUG -Icpp/include -I"$EIGEN" $SOURCES -o products && ./products 2
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

#include "best_seconds.hpp"
#include "fastmlp/gemm.hpp"

using namespace fastmlp;

namespace {

// One core's float32 FMA peak: 12 independent chains of vector FMAs, timed in this thread's CPU
// time so that other processes on the core do not lower it. 0 without AVX2/AVX-512.
double fma_peak_flops() {
#if defined(__AVX512F__) || defined(__AVX2__)
#ifdef __AVX512F__
  using Reg = __m512;
  auto fma = [](Reg a, Reg b, Reg c) { return _mm512_fmadd_ps(a, b, c); };
  auto set1 = [](float x) { return _mm512_set1_ps(x); };
  constexpr int kLanes = 16;
#else
  using Reg = __m256;
  auto fma = [](Reg a, Reg b, Reg c) { return _mm256_fmadd_ps(a, b, c); };
  auto set1 = [](float x) { return _mm256_set1_ps(x); };
  constexpr int kLanes = 8;
#endif
  Reg acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = set1(0.001f * i);
  const Reg a = set1(0.9999f), b = set1(1e-5f);
  const long rounds = 100'000'000;
  timespec start{}, end{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start);
  for (long r = 0; r < rounds; ++r)
    for (int i = 0; i < 12; ++i) acc[i] = fma(acc[i], a, b);
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &end);
  float sink[kLanes];
  Reg sum = acc[0];
  for (int i = 1; i < 12; ++i) sum = fma(sum, a, acc[i]);
  std::memcpy(sink, &sum, sizeof sink);
  if (sink[0] == 12345.0f) std::printf(" ");  // keeps the chains alive
  const double seconds =
      static_cast<double>(end.tv_sec - start.tv_sec) + 1e-9 * static_cast<double>(end.tv_nsec - start.tv_nsec);
  return 2.0 * kLanes * 12 * static_cast<double>(rounds) / seconds;
#else
  return 0;
#endif
}

ConstMatrixMap view(const RowMatrix& m) { return {m.data(), m.rows(), m.cols()}; }
MatrixMap view(RowMatrix& m) { return {m.data(), m.rows(), m.cols()}; }

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
  Eigen::setNbThreads(1);
  std::printf("one core's float32 FMA peak: %.1f GFLOP/s (in thread CPU time)\n", fma_peak_flops() / 1e9);
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
