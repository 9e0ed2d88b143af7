// The layers' matrix products (gemm.cpp) and the worker threads they run on (parallel.cpp):
// against a float64 reference, on every shape class the tiling has (full tiles, partial rows,
// partial columns, a single row, an inner dimension of 1), at 1, 2 and 3 threads; bit-identical
// results whatever the thread count; and run_chunks's contract (every chunk once, errors rethrown,
// nested calls, many callers at once).
#include <atomic>
#include <cmath>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "check.hpp"
#include "fastmlp/fastmlp.hpp"
#include "fastmlp/gemm.hpp"
#include "fastmlp/parallel.hpp"

using namespace fastmlp;

namespace {

using Reference = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

RowMatrix random_matrix(Index rows, Index cols, unsigned seed) {
  Rng rng(seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  RowMatrix m(rows, cols);
  for (Index i = 0; i < m.size(); ++i) m.data()[i] = uniform(rng);
  return m;
}

ConstMatrixMap view(const RowMatrix& m) { return {m.data(), m.rows(), m.cols()}; }
MatrixMap view(RowMatrix& m) { return {m.data(), m.rows(), m.cols()}; }

// fastmlp's own kernel computes every output element the same way on any thread count; Eigen's
// products (the portable fallback) round differently depending on how the rows are split.
bool same_bits_on_any_thread_count() { return std::string(gemm_kernel_name()) != "eigen"; }

// out = op(a) op(b) for one shape at several thread counts: within float32 rounding of the float64
// product (|error| <= k * 2^-22 * sum of |terms|), and identical bits at every thread count.
void check_product(Index m, Index n, Index k, Op op_a, Op op_b) {
  const unsigned seed = static_cast<unsigned>(m * 7919 + n * 104729 + k * 13 + (op_a == Op::Transposed) * 2 +
                                              (op_b == Op::Transposed));
  const RowMatrix a = op_a == Op::Plain ? random_matrix(m, k, seed) : random_matrix(k, m, seed);
  const RowMatrix b = op_b == Op::Plain ? random_matrix(k, n, seed + 1) : random_matrix(n, k, seed + 1);
  const Reference a64 = op_a == Op::Plain ? Reference(a.cast<double>()) : Reference(a.cast<double>().transpose());
  const Reference b64 = op_b == Op::Plain ? Reference(b.cast<double>()) : Reference(b.cast<double>().transpose());
  const Reference expected = a64 * b64;
  const Reference bound = a64.cwiseAbs() * b64.cwiseAbs() * (static_cast<double>(k) * std::ldexp(1.0, -22));

  const std::string shape = std::to_string(m) + "x" + std::to_string(k) + " times " + std::to_string(k) + "x" +
                            std::to_string(n) + (op_a == Op::Transposed ? " (A transposed)" : "") +
                            (op_b == Op::Transposed ? " (B transposed)" : "");
  RowMatrix first;
  for (int threads : {1, 2, 3}) {
    RowMatrix out = RowMatrix::Constant(m, n, std::nanf(""));  // every element must be written
    multiply_with_threads(view(a), op_a, view(b), op_b, view(out), threads);
    const double worst = ((out.cast<double>() - expected).cwiseAbs() - bound).maxCoeff();
    check::record(worst <= 0, __FILE__, __LINE__,
                  shape + " on " + std::to_string(threads) + " threads: error exceeds the float32 bound by " +
                      check::number(worst));
    if (threads == 1) first = out;
    else if (same_bits_on_any_thread_count())
      check::record(out == first, __FILE__, __LINE__,
                    shape + ": " + std::to_string(threads) + " threads differ from 1 thread");
  }
  // multiply() picks its own thread count; the result is the same.
  RowMatrix chosen(m, n);
  multiply(view(a), op_a, view(b), op_b, view(chosen));
  if (same_bits_on_any_thread_count())
    check::record(chosen == first, __FILE__, __LINE__, shape + ": multiply() differs from 1 thread");
  else
    check::record(((chosen.cast<double>() - expected).cwiseAbs() - bound).maxCoeff() <= 0, __FILE__, __LINE__,
                  shape + ": multiply() exceeds the float32 bound");
}

void test_products() {
  // Batch sizes of the issue (1, 31, 32, 129, 512) against layer widths that fill whole tiles,
  // leave a partial tile, or are narrower than one SIMD vector; inner sizes likewise.
  for (Index batch : {1, 31, 32, 129, 512})
    for (Index units : {1, 10, 50, 64, 100}) {
      const Index inputs = batch == 512 ? 33 : 784;
      check_product(batch, units, inputs, Op::Plain, Op::Plain);       // X W
      check_product(inputs, units, batch, Op::Transposed, Op::Plain);  // X^T dZ
      check_product(batch, inputs, units, Op::Plain, Op::Transposed);  // dZ W^T
    }
  check_product(17, 23, 1, Op::Plain, Op::Plain);  // an inner dimension of 1
  check_product(9, 513, 7, Op::Plain, Op::Transposed);
}

void test_empty_and_bad_shapes() {
  const RowMatrix a = random_matrix(3, 0, 1), b = random_matrix(0, 4, 2);
  RowMatrix out = RowMatrix::Constant(3, 4, 5.0f);
  multiply(view(a), Op::Plain, view(b), Op::Plain, view(out));  // an empty sum is zero
  CHECK(out.isZero(0));
  const RowMatrix x = random_matrix(3, 5, 3), w = random_matrix(4, 2, 4);
  RowMatrix y(3, 2);
  CHECK_THROWS(std::invalid_argument, multiply(view(x), Op::Plain, view(w), Op::Plain, view(y)), "do not agree");
  CHECK_THROWS(std::invalid_argument, multiply(view(x), Op::Transposed, view(w), Op::Transposed, view(y)),
               "both operands");
  RowMatrix gram(3, 3);
  CHECK_THROWS(std::invalid_argument, multiply_with_threads(view(x), Op::Plain, view(x), Op::Transposed, view(gram), 0),
               "threads");
}

void test_run_chunks() {
  for (int team : {1, 2, 3, 8}) {
    std::vector<std::atomic<int>> runs(1000);
    run_chunks(team, 1000, [&](Index chunk) { ++runs[chunk]; });
    bool once = true;
    for (auto& r : runs) once = once && r.load() == 1;
    check::record(once, __FILE__, __LINE__, "team " + std::to_string(team) + ": every chunk runs exactly once");
  }
  // A task's exception reaches the caller after the job has finished, and the pool still works.
  std::atomic<int> ran{0};
  CHECK_THROWS(std::runtime_error, run_chunks(2, 50, [&](Index chunk) {
                 ++ran;
                 if (chunk == 7) throw std::runtime_error("chunk 7 failed");
               }), "chunk 7 failed");
  CHECK(ran.load() == 50);
  // More chunks than the job word holds: all still run, on the caller.
  std::atomic<long> many{0};
  run_chunks(2, Index{1} << 20, [&](Index) { ++many; });
  CHECK(many.load() == (1L << 20));
  // Nested calls run inside the outer task, on its thread.
  std::atomic<int> inner{0};
  run_chunks(2, 4, [&](Index) { run_chunks(2, 5, [&](Index) { ++inner; }); });
  CHECK(inner.load() == 20);
  // Many callers at once: one gets the workers, the others run on their own threads; none waits forever.
  std::atomic<long> total{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < 4; ++t)
    callers.emplace_back([&] {
      for (int rep = 0; rep < 200; ++rep) run_chunks(2, 16, [&](Index chunk) { total += chunk; });
    });
  for (auto& c : callers) c.join();
  CHECK(total.load() == 4L * 200 * (15 * 16 / 2));
}

// A whole training run (three layers, Adam, shuffled batches of 32 with a short last one) gives
// the same weights on 1 and 2 threads. Only fastmlp's own kernel promises that: Eigen's rounding
// depends on how the rows are split.
void test_training_same_on_any_thread_count() {
  if (!same_bits_on_any_thread_count()) {
    std::printf("Eigen kernel: results may differ in the last bits between thread counts; not checked\n");
    return;
  }
  const RowMatrix x = random_matrix(1000, 200, 11);
  RowMatrix y = RowMatrix::Zero(1000, 10);
  for (Index i = 0; i < y.rows(); ++i) y(i, i % 10) = 1;
  std::vector<RowMatrix> trained[2];
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    Sequential model(/*seed=*/3);
    model.add(std::make_shared<Dense>(300, make_activation("relu")));
    model.add(std::make_shared<Dense>(70, make_activation("tanh")));
    model.add(std::make_shared<Dense>(10, make_activation("softmax")));
    model.build(200);
    model.compile(make_loss("categorical_crossentropy"), make_optimizer("adam", Config::Object{{"learning_rate", 0.001}}));
    FitOptions options;
    options.epochs = 2;
    model.fit(x.data(), x.rows(), x.cols(), y.data(), y.cols(), options);
    for (const auto& layer : model.layers())
      trained[threads - 1].push_back(static_cast<Dense&>(*layer).kernel());
  }
  set_num_threads(0);
  bool same = trained[0].size() == 3;
  for (size_t i = 0; same && i < trained[0].size(); ++i) same = trained[0][i] == trained[1][i];
  CHECK(same);
}

}  // namespace

int main() {
  std::printf("kernel: %s\n", gemm_kernel_name());
  test_products();
  test_empty_and_bad_shapes();
  test_run_chunks();
  test_training_same_on_any_thread_count();
  return check::report("test_gemm");
}
