// fastmlp's matrix-product kernel: out = op(A) op(B) in float32, row-major (double products go through Eigen).
//
// Why not Eigen's GEMM: at the layers' sizes (batch 32-512 times a few hundred) Eigen packs both
// operands on every call, and split by rows across threads every thread packs the whole weight
// matrix again. On one Zen 4 core Eigen ran workload 1's products at 62-89 GFLOP/s; this kernel
// runs them at 90-117, about the core's FMA peak (bench/products.cpp). Here:
// - a tile of kRows x (kVecs SIMD vectors) of the output stays in registers while the whole inner
//   dimension streams past it: per step, kRows broadcasts of A and kVecs loads of B feed
//   kRows * kVecs fused multiply-adds;
// - A is read where it lies (plain or transposed: both have one operand contiguous per step), and
//   so is B when its rows are contiguous (X W and X^T dZ). Only dZ W^T needs W^T, which the team
//   packs once, together, into panels of kVecs vectors, and then shares;
// - threads split the output in a 2-D grid of blocks of tiles (choose_grid), claimed one at a
//   time from fastmlp's worker threads (parallel.hpp); the sum over the inner dimension is never
//   split, so results do not depend on the thread count;
// - how many threads a product gets is measured on its first calls (ThreadChooser).
#include "fastmlp/gemm.hpp"

#include "fastmlp/parallel.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
#include <immintrin.h>
#define FASTMLP_SIMD_GEMM 1
#endif

namespace fastmlp {
namespace {

template <class Scalar>
void check_shapes(ConstMatrixMapOf<Scalar> a, Op op_a, ConstMatrixMapOf<Scalar> b, Op op_b, MatrixMapOf<Scalar> out) {
  const Index m = op_a == Op::Plain ? a.rows() : a.cols();
  const Index k = op_a == Op::Plain ? a.cols() : a.rows();
  const Index kb = op_b == Op::Plain ? b.rows() : b.cols();
  const Index n = op_b == Op::Plain ? b.cols() : b.rows();
  if (op_a == Op::Transposed && op_b == Op::Transposed)
    throw std::invalid_argument("multiply: transposing both operands is not supported");
  if (k != kb || out.rows() != m || out.cols() != n)
    throw std::invalid_argument("multiply: shapes do not agree: (" + std::to_string(m) + "x" + std::to_string(k) +
                                ") times (" + std::to_string(kb) + "x" + std::to_string(n) + ") into (" +
                                std::to_string(out.rows()) + "x" + std::to_string(out.cols()) + ")");
}

// The portable path, and the one for double: Eigen's GEMM on row slabs of the output, one slab per
// thread (every thread packs the whole right-hand side; that is what the SIMD path avoids).
template <class Scalar>
void eigen_multiply(ConstMatrixMapOf<Scalar> a, Op op_a, ConstMatrixMapOf<Scalar> b, Op op_b, MatrixMapOf<Scalar> out,
                                     int threads) {
  const Index m = out.rows();
  const Index slabs = std::min<Index>(m, threads);
  run_chunks(threads, slabs, [&](Index slab) {
    const Index first = m * slab / slabs, end = m * (slab + 1) / slabs;
    MatrixMapOf<Scalar> rows = row_block(out, first, end);
    if (op_a == Op::Plain && op_b == Op::Plain) rows.noalias() = row_block(a, first, end) * b;
    else if (op_a == Op::Plain) rows.noalias() = row_block(a, first, end) * b.transpose();
    else rows.noalias() = a.middleCols(first, end - first).transpose() * b;
  });
}

#ifdef FASTMLP_SIMD_GEMM

#ifdef __AVX512F__
// Zen 4 / Skylake-X: 32 vector registers hold an 8x32 tile (16 accumulators), two B vectors and
// the broadcast A value. On the development machine (Zen 4, one core) it ran workload 1's products
// at batch 32 and 128 at 90-117 GFLOP/s, 12x32 at 85-110 and 6x64 at 85-115 (6x64 wins at 512).
struct Simd {
  static constexpr int kWidth = 16, kRows = 8, kVecs = 2;
  static constexpr const char* kName = "avx512";
  using Reg = __m512;
  using Mask = __mmask16;
  static Mask mask(int lanes) { return static_cast<Mask>((1u << lanes) - 1); }
  static Reg zero() { return _mm512_setzero_ps(); }
  static Reg load(const float* p) { return _mm512_loadu_ps(p); }
  static Reg load(const float* p, Mask m) { return _mm512_maskz_loadu_ps(m, p); }
  static Reg broadcast(float x) { return _mm512_set1_ps(x); }
  static Reg fma(Reg a, Reg b, Reg c) { return _mm512_fmadd_ps(a, b, c); }
  static void store(float* p, Reg v) { _mm512_storeu_ps(p, v); }
  static void store(float* p, Reg v, Mask m) { _mm512_mask_storeu_ps(p, m, v); }
};
#else
// AVX2: 16 vector registers hold a 6x16 tile (12 accumulators), two B vectors and the broadcast.
struct Simd {
  static constexpr int kWidth = 8, kRows = 6, kVecs = 2;
  static constexpr const char* kName = "avx2";
  using Reg = __m256;
  using Mask = __m256i;
  static Mask mask(int lanes) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(lanes), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static Reg zero() { return _mm256_setzero_ps(); }
  static Reg load(const float* p) { return _mm256_loadu_ps(p); }
  static Reg load(const float* p, Mask m) { return _mm256_maskload_ps(p, m); }
  static Reg broadcast(float x) { return _mm256_set1_ps(x); }
  static Reg fma(Reg a, Reg b, Reg c) { return _mm256_fmadd_ps(a, b, c); }
  static void store(float* p, Reg v) { _mm256_storeu_ps(p, v); }
  static void store(float* p, Reg v, Mask m) { _mm256_maskstore_ps(p, m, v); }
};
#endif

constexpr Index kTileRows = Simd::kRows;
constexpr Index kTileCols = Simd::kWidth * Simd::kVecs;

// The operands of one product, as the tiles read them:
//   A(i, p) = a[i * a_row + p * a_step]    (plain A: a_row = lda, a_step = 1; transposed: swapped)
//   B(p, j) = b[p * b_step + j]            (contiguous in j)
// When b_packed, B is kTileCols-wide panels, panel t at b + t * k * kTileCols with b_step kTileCols.
struct Operands {
  Index m, n, k;
  const float* a;
  Index a_row, a_step;
  const float* b;
  Index b_step;
  bool b_packed;
  float* c;
  Index ldc;
};

// One output tile of Rows x (Vecs vectors): the sum over p of A(i, p) B(p, j) for its elements,
// accumulated in registers in the order p = 0, 1, ..., k-1 for every element whatever the tile's
// shape, so that edge tiles and full tiles agree bit for bit. Masked: the last vector is partial.
template <int Rows, int Vecs, bool Masked>
void tile(Index k, const float* a, Index a_row, Index a_step, const float* b, Index b_step, float* c, Index ldc,
          typename Simd::Mask last) {
  typename Simd::Reg acc[Rows][Vecs];
  for (int i = 0; i < Rows; ++i)
    for (int v = 0; v < Vecs; ++v) acc[i][v] = Simd::zero();
  for (Index p = 0; p < k; ++p) {
    typename Simd::Reg bv[Vecs];
    for (int v = 0; v < Vecs; ++v)
      bv[v] = (Masked && v == Vecs - 1) ? Simd::load(b + v * Simd::kWidth, last) : Simd::load(b + v * Simd::kWidth);
    for (int i = 0; i < Rows; ++i) {
      const typename Simd::Reg ai = Simd::broadcast(a[i * a_row]);
      for (int v = 0; v < Vecs; ++v) acc[i][v] = Simd::fma(ai, bv[v], acc[i][v]);
    }
    a += a_step;
    b += b_step;
  }
  for (int i = 0; i < Rows; ++i)
    for (int v = 0; v < Vecs; ++v) {
      float* out = c + i * ldc + v * Simd::kWidth;
      if (Masked && v == Vecs - 1) Simd::store(out, acc[i][v], last);
      else Simd::store(out, acc[i][v]);
    }
}

using TileFn = void (*)(Index, const float*, Index, Index, const float*, Index, float*, Index, typename Simd::Mask);

template <int Rows, int Vecs = 1>
TileFn tile_for_vecs(int vecs, bool masked) {
  if constexpr (Vecs > Simd::kVecs) {
    return nullptr;
  } else {
    if (vecs == Vecs) return masked ? &tile<Rows, Vecs, true> : &tile<Rows, Vecs, false>;
    return tile_for_vecs<Rows, Vecs + 1>(vecs, masked);
  }
}

template <int Rows = 1>
TileFn tile_for(int rows, int vecs, bool masked) {
  if constexpr (Rows > Simd::kRows) {
    return nullptr;
  } else {
    if (rows == Rows) return tile_for_vecs<Rows>(vecs, masked);
    return tile_for<Rows + 1>(rows, vecs, masked);
  }
}

// Output tiles [row_first, row_end) x [col_first, col_end), in units of kTileRows x kTileCols.
// Column panels outermost: a panel of B (k x kTileCols) stays in cache while A's rows pass by.
void run_tiles(const Operands& o, Index row_first, Index row_end, Index col_first, Index col_end) {
  for (Index ct = col_first; ct < col_end; ++ct) {
    const Index j = ct * kTileCols;
    const Index width = std::min(kTileCols, o.n - j);
    const int vecs = static_cast<int>((width + Simd::kWidth - 1) / Simd::kWidth);
    const int last_lanes = static_cast<int>(width - (vecs - 1) * Simd::kWidth);
    const bool masked = last_lanes != Simd::kWidth;
    const typename Simd::Mask last = Simd::mask(last_lanes);
    const float* b = o.b_packed ? o.b + ct * o.k * kTileCols : o.b + j;
    const TileFn full = tile_for(static_cast<int>(kTileRows), vecs, masked);
    for (Index rt = row_first; rt < row_end; ++rt) {
      const Index i = rt * kTileRows;
      const Index rows = std::min(kTileRows, o.m - i);
      const TileFn fn = rows == kTileRows ? full : tile_for(static_cast<int>(rows), vecs, masked);
      fn(o.k, o.a + i * o.a_row, o.a_row, o.a_step, b, o.b_step, o.c + i * o.ldc + j, o.ldc, last);
    }
  }
}

// dst rows 0..7 (stride ld_dst) = the columns of the 8x8 block at src (stride ld_src): 24 shuffles
// instead of 64 scattered scalar copies.
void transpose_8x8(const float* src, Index ld_src, float* dst, Index ld_dst) {
  __m256 r[8], t[8];
  for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(src + i * ld_src);
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);      // a0 b0 a1 b1 | a4 b4 a5 b5
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);  // a2 b2 a3 b3 | a6 b6 a7 b7
  }
  for (int i = 0; i < 8; i += 4) {
    r[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));      // column 0 | 4 of 4 rows
    r[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));  // column 1 | 5
    r[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));  // column 2 | 6
    r[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));  // column 3 | 7
  }
  for (int i = 0; i < 4; ++i) {
    _mm256_storeu_ps(dst + i * ld_dst, _mm256_permute2f128_ps(r[i], r[i + 4], 0x20));
    _mm256_storeu_ps(dst + (i + 4) * ld_dst, _mm256_permute2f128_ps(r[i], r[i + 4], 0x31));
  }
}

// B^T's column panels from B (n x k, row-major): panel t holds, for each p, B(t*kTileCols + r, p)
// for r < kTileCols, so that the tiles read it like a plain B. Panels [first, end) of them.
void pack_transposed(ConstMatrixMapOf<float> b, float* panels, Index first, Index end) {
  const Index n = b.rows(), k = b.cols();
  for (Index t = first; t < end; ++t) {
    float* panel = panels + t * k * kTileCols;
    const Index j = t * kTileCols;
    const Index width = std::min(kTileCols, n - j);
    for (Index r0 = 0; r0 < width; r0 += 8) {
      const Index rows = std::min<Index>(8, width - r0);
      Index p = 0;
      const float* rows_of_b = b.data() + (j + r0) * k;
      if (rows == 8)
        for (; p + 8 <= k; p += 8) transpose_8x8(rows_of_b + p, k, panel + p * kTileCols + r0, kTileCols);
      for (; p < k; ++p)
        for (Index r = 0; r < rows; ++r) panel[p * kTileCols + r0 + r] = b(j + r0 + r, p);
    }
  }
}

// A grid of rows x cols blocks over the output's tiles, each block claimed by one thread. Chosen
// for, in this order: the least time with `threads` threads (rounds of blocks times tiles per
// block); two blocks per thread where that costs no time, so that a thread the operating system
// deschedules holds up at most half its share; and the least reading of A and B in all.
struct Grid {
  Index row_parts = 1, col_parts = 1;
};

Grid choose_grid(Index row_tiles, Index col_tiles, Index threads) {
  Grid best;
  Index best_span = row_tiles * col_tiles, best_blocks = 1, best_reads = col_tiles * kTileCols + row_tiles * kTileRows;
  const Index most = 2 * threads;
  for (Index rows = 1; rows <= std::min(row_tiles, most); ++rows) {
    for (Index cols = 1; cols <= std::min(col_tiles, most / rows); ++cols) {
      const Index blocks = rows * cols;
      const Index span = ((blocks + threads - 1) / threads) * ((row_tiles + rows - 1) / rows) *
                         ((col_tiles + cols - 1) / cols);
      const Index reads = cols * row_tiles * kTileRows + rows * col_tiles * kTileCols;  // of A's rows, B's columns
      const bool better = span < best_span ||
                          (span == best_span && (blocks > best_blocks || (blocks == best_blocks && reads < best_reads)));
      if (better) {
        best = {rows, cols};
        best_span = span;
        best_blocks = blocks;
        best_reads = reads;
      }
    }
  }
  return best;
}

void simd_multiply(ConstMatrixMapOf<float> a, Op op_a, ConstMatrixMapOf<float> b, Op op_b, MatrixMapOf<float> out, int threads) {
  Operands o{};
  o.m = out.rows();
  o.n = out.cols();
  o.k = op_a == Op::Plain ? a.cols() : a.rows();
  o.a = a.data();
  o.a_row = op_a == Op::Plain ? a.cols() : 1;
  o.a_step = op_a == Op::Plain ? 1 : a.cols();
  o.c = out.data();
  o.ldc = out.cols();
  if (o.m == 0 || o.n == 0) return;
  if (o.k == 0) {
    out.setZero();
    return;
  }
  const Index row_tiles = (o.m + kTileRows - 1) / kTileRows, col_tiles = (o.n + kTileCols - 1) / kTileCols;
  o.b_packed = op_b == Op::Transposed;
  // Reused across calls (and per calling thread, so concurrent predictions never share it).
  thread_local std::vector<float> packed;
  float* panels = nullptr;  // the caller's buffer: in a task run by a worker, `packed` would name the worker's own
  if (o.b_packed) {
    const size_t size = static_cast<size_t>(col_tiles * o.k * kTileCols);
    if (packed.size() < size) packed.resize(size);
    panels = packed.data();
    o.b = panels;
    o.b_step = kTileCols;
  } else {
    o.b = b.data();
    o.b_step = b.cols();
  }

  if (threads <= 1 || row_tiles * col_tiles < 2) {
    if (o.b_packed) pack_transposed(b, panels, 0, col_tiles);
    run_tiles(o, 0, row_tiles, 0, col_tiles);
    return;
  }
  // Two blocks per thread: claimed dynamically, so a thread descheduled by another process
  // holds up at most one block while the running threads take the rest.
  if (o.b_packed) {
    const Index parts = std::min<Index>(col_tiles, 2 * Index{threads});
    run_chunks(threads, parts, [&](Index part) {
      pack_transposed(b, panels, col_tiles * part / parts, col_tiles * (part + 1) / parts);
    });
  }
  const Grid grid = choose_grid(row_tiles, col_tiles, threads);
  run_chunks(threads, grid.row_parts * grid.col_parts, [&](Index block) {
    const Index r = block / grid.col_parts, c = block % grid.col_parts;
    run_tiles(o, row_tiles * r / grid.row_parts, row_tiles * (r + 1) / grid.row_parts,
              col_tiles * c / grid.col_parts, col_tiles * (c + 1) / grid.col_parts);
  });
}

#endif  // FASTMLP_SIMD_GEMM

// Below this many multiply-adds (about a microsecond of work) a product never pays for waking a
// thread. Above it the answer depends on the machine, the product and what else is running, so it
// is measured.
constexpr Index kMeasureThreshold = Index{1} << 14;
// The Eigen path's fixed threshold: Eigen's own threading forked for products as small as
// 32x64x50 and made the digits network 3x slower on 2 threads than on 1.
[[maybe_unused]] constexpr Index kEigenParallelThreshold = Index{1} << 20;

struct ShapeKey {
  Index m, n, k;
  bool transposed_a, transposed_b;
  int team;
  bool operator==(const ShapeKey& o) const {
    return m == o.m && n == o.n && k == o.k && transposed_a == o.transposed_a && transposed_b == o.transposed_b &&
           team == o.team;
  }
};

// Picks each product shape's thread count by timing it: kTrials calls on one thread alternate
// with kTrials on the whole team, the faster by median is kept, and after kRecheckEvery calls the
// shape is timed again, because the load on a shared machine changes (with other processes on
// the cores, one thread can beat two). A training loop repeats the same few shapes thousands of
// times, so the measuring costs well under 1%. Since the kernel's results do not depend on the
// thread count, neither do the model's.
class ThreadChooser {
 public:
  struct Choice {
    int threads;
    bool measure;
  };

  Choice choose(const ShapeKey& key) {
    std::lock_guard<std::mutex> lock(mutex_);
    Entry& e = find(key);
    if (e.trials == 2 * kTrials) {
      if (++e.calls < kRecheckEvery) return {e.decided, false};
      e.trials = 0;
      e.calls = 0;
    }
    return {e.trials % 2 == 0 ? 1 : key.team, true};
  }

  void record(const ShapeKey& key, int threads, std::chrono::steady_clock::duration took) {
    std::lock_guard<std::mutex> lock(mutex_);
    Entry& e = find(key);
    if (e.trials == 2 * kTrials) return;  // another thread's measurement finished meanwhile
    (threads == 1 ? e.single : e.team)[e.trials / 2] = took;
    if (++e.trials < 2 * kTrials) return;
    // Threads must win clearly: a tie is better spent leaving a core to other work.
    e.decided = median(e.team) * 10 < median(e.single) * 9 ? key.team : 1;
  }

 private:
  static constexpr int kTrials = 5;
  static constexpr int kRecheckEvery = 2000;
  using Times = std::array<std::chrono::steady_clock::duration, kTrials>;
  struct Entry {
    ShapeKey key{};
    bool used = false;
    int trials = 0, decided = 1, calls = 0;
    Times single{}, team{};
  };

  static std::chrono::steady_clock::duration median(Times times) {
    std::nth_element(times.begin(), times.begin() + kTrials / 2, times.end());
    return times[kTrials / 2];
  }

  // A model has a handful of shapes (three products per layer, the last partial batch,
  // predict's batch); the oldest entry makes room for a new one.
  Entry& find(const ShapeKey& key) {
    for (Entry& e : entries_)
      if (e.used && e.key == key) return e;
    Entry& slot = entries_[next_++ % entries_.size()];
    slot = Entry{};
    slot.key = key;
    slot.used = true;
    return slot;
  }

  std::mutex mutex_;
  std::array<Entry, 64> entries_{};
  size_t next_ = 0;
};

[[maybe_unused]] ThreadChooser& thread_chooser() {
  static ThreadChooser chooser;
  return chooser;
}

}  // namespace

template <class Scalar>
void multiply_with_threads(ConstMatrixMapOf<Scalar> a, Op op_a, ConstMatrixMapOf<Scalar> b, Op op_b, MatrixMapOf<Scalar> out, int threads) {
  check_shapes(a, op_a, b, op_b, out);
  if (threads < 1) throw std::invalid_argument("multiply: threads must be at least 1, got " + std::to_string(threads));
#ifdef FASTMLP_SIMD_GEMM
  // The kernel is float's; double goes through Eigen.
  if constexpr (std::is_same_v<Scalar, float>) return simd_multiply(a, op_a, b, op_b, out, threads);
#endif
  eigen_multiply(a, op_a, b, op_b, out, threads);
}

template <class Scalar>
void multiply(ConstMatrixMapOf<Scalar> a, Op op_a, ConstMatrixMapOf<Scalar> b, Op op_b, MatrixMapOf<Scalar> out) {
  const Index k = op_a == Op::Plain ? a.cols() : a.rows();
  const int team = get_num_threads();
  const Index work = out.rows() * out.cols() * k;
#ifdef FASTMLP_SIMD_GEMM
  if constexpr (std::is_same_v<Scalar, float>) {
  if (team <= 1 || work < kMeasureThreshold) return multiply_with_threads(a, op_a, b, op_b, out, 1);
  const ShapeKey key{out.rows(), out.cols(), k, op_a == Op::Transposed, op_b == Op::Transposed, team};
  const ThreadChooser::Choice choice = thread_chooser().choose(key);
  if (!choice.measure) return multiply_with_threads(a, op_a, b, op_b, out, choice.threads);
  const auto start = std::chrono::steady_clock::now();
  multiply_with_threads(a, op_a, b, op_b, out, choice.threads);
  thread_chooser().record(key, choice.threads, std::chrono::steady_clock::now() - start);
  return;
  }
#endif
  // Eigen's results depend on how the rows are split, so the split is fixed by the shape alone:
  // choosing it by timing would make training depend on the machine's mood.
  multiply_with_threads(a, op_a, b, op_b, out, work >= kEigenParallelThreshold ? team : 1);
}

template void multiply(ConstMatrixMapOf<float>, Op, ConstMatrixMapOf<float>, Op, MatrixMapOf<float>);
template void multiply(ConstMatrixMapOf<double>, Op, ConstMatrixMapOf<double>, Op, MatrixMapOf<double>);
template void multiply_with_threads(ConstMatrixMapOf<float>, Op, ConstMatrixMapOf<float>, Op, MatrixMapOf<float>, int);
template void multiply_with_threads(ConstMatrixMapOf<double>, Op, ConstMatrixMapOf<double>, Op, MatrixMapOf<double>, int);

const char* gemm_kernel_name() {
#ifdef FASTMLP_SIMD_GEMM
  return Simd::kName;
#else
  return "eigen";
#endif
}

}  // namespace fastmlp
