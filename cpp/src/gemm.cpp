// fastmlp's matrix-product kernel: out = op(A) op(B) in float32, row-major.
//
// Why not Eigen's GEMM: at the layers' sizes (batch 32-512 times a few hundred) Eigen packs both
// operands on every call and, split by rows across threads, every thread packs the whole weight
// matrix again; it ran workload 1's products at 77% of the machine's best sgemm. Here:
// - a register tile of kRows x (kVecs SIMD vectors) of the output lives in registers while the
//   whole inner dimension streams past it: one broadcast of A and kVecs loads of B feed
//   kRows * kVecs fused multiply-adds;
// - A is read where it lies (plain or transposed: both have one operand contiguous per step), and
//   so is B when its rows are contiguous (X W and X^T dZ). Only dZ W^T needs W^T, which the team
//   packs once, together, into panels of kVecs vectors, and then shares;
// - threads split the output in a 2-D grid of tiles (rows x columns) chosen so that each thread
//   gets the same number of tiles and reads as little of A and B as possible; one parallel region
//   per product, and the sum over the inner dimension is never split, so results do not depend
//   on the thread count.
#include "fastmlp/gemm.hpp"

#include "fastmlp/parallel.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
#include <immintrin.h>
#define FASTMLP_SIMD_GEMM 1
#endif

namespace fastmlp {
namespace {

void check_shapes(ConstMatrixMap a, Op op_a, ConstMatrixMap b, Op op_b, MatrixMap out) {
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

// The portable path: Eigen's GEMM on row slabs of the output, one slab per thread (every thread
// packs the whole right-hand side; that is what the SIMD path avoids).
[[maybe_unused]] void eigen_multiply(ConstMatrixMap a, Op op_a, ConstMatrixMap b, Op op_b, MatrixMap out, int threads) {
  const Index m = out.rows();
  auto slab = [&](Index first, Index end) {
    MatrixMap rows = row_block(out, first, end);
    if (op_a == Op::Plain && op_b == Op::Plain) rows.noalias() = row_block(a, first, end) * b;
    else if (op_a == Op::Plain) rows.noalias() = row_block(a, first, end) * b.transpose();
    else rows.noalias() = a.middleCols(first, end - first).transpose() * b;
  };
  if (threads <= 1 || m < 2 || omp_in_parallel()) {
    slab(0, m);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    const Index team = omp_get_num_threads(), me = omp_get_thread_num();
    const Index first = m * me / team, end = m * (me + 1) / team;
    if (first < end) slab(first, end);
  }
}

#ifdef FASTMLP_SIMD_GEMM

#ifdef __AVX512F__
// Zen 4 / Skylake-X: 32 vector registers hold a 12x32 tile (24 accumulators), two B vectors and
// the broadcast A value. Measured against 8x32 and 6x64 on the development machine (Zen 4).
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
  static Mask mask(int lanes) { return _mm256_cmpgt_epi32(_mm256_set1_epi32(lanes), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)); }
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

// B^T's column panels from B (n x k, row-major): panel t holds, for each p, B(t*kTileCols + r, p)
// for r < kTileCols, so that the tiles read it like a plain B. Panels [first, end) of them.
void pack_transposed(ConstMatrixMap b, float* panels, Index first, Index end) {
  const Index n = b.rows(), k = b.cols();
  for (Index t = first; t < end; ++t) {
    float* panel = panels + t * k * kTileCols;
    const Index j = t * kTileCols;
    const Index width = std::min(kTileCols, n - j);
    // 8 rows of B at a time, so that each read streams 8 rows and each write fills 8 lanes.
    for (Index r0 = 0; r0 < width; r0 += 8) {
      const Index rows = std::min<Index>(8, width - r0);
      for (Index p = 0; p < k; ++p)
        for (Index r = 0; r < rows; ++r) panel[p * kTileCols + r0 + r] = b(j + r0 + r, p);
    }
  }
}

// A rows x cols grid of thread blocks over the output's tiles: every thread gets as few tiles as
// the split allows, and among equal splits the one where each thread reads least of A and B.
struct Grid {
  Index row_parts = 1, col_parts = 1;
};

Grid choose_grid(Index row_tiles, Index col_tiles, Index threads) {
  Grid best;
  Index best_tiles = row_tiles * col_tiles, best_reads = row_tiles * kTileRows + col_tiles * kTileCols;
  for (Index rows = 1; rows <= threads; ++rows) {
    if (threads % rows != 0) continue;
    const Index cols = threads / rows;
    if (rows > row_tiles || cols > col_tiles) continue;
    const Index tiles = ((row_tiles + rows - 1) / rows) * ((col_tiles + cols - 1) / cols);
    const Index reads = ((row_tiles + rows - 1) / rows) * kTileRows + ((col_tiles + cols - 1) / cols) * kTileCols;
    if (tiles < best_tiles || (tiles == best_tiles && reads < best_reads)) {
      best = {rows, cols};
      best_tiles = tiles;
      best_reads = reads;
    }
  }
  return best;
}

void simd_multiply(ConstMatrixMap a, Op op_a, ConstMatrixMap b, Op op_b, MatrixMap out, int threads) {
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
  float* panels = nullptr;  // the caller's buffer: inside the parallel region `packed` names each thread's own
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

  const Index useful = std::min<Index>(threads, row_tiles * col_tiles);
  if (useful <= 1 || omp_in_parallel()) {
    if (o.b_packed) pack_transposed(b, panels, 0, col_tiles);
    run_tiles(o, 0, row_tiles, 0, col_tiles);
    return;
  }
#pragma omp parallel num_threads(static_cast<int>(useful))
  {
    const Index team = omp_get_num_threads(), me = omp_get_thread_num();
    if (o.b_packed) {
      pack_transposed(b, panels, col_tiles * me / team, col_tiles * (me + 1) / team);
#pragma omp barrier
    }
    const Grid grid = choose_grid(row_tiles, col_tiles, team);
    const Index r = me / grid.col_parts, c = me % grid.col_parts;
    if (r < grid.row_parts)
      run_tiles(o, row_tiles * r / grid.row_parts, row_tiles * (r + 1) / grid.row_parts,
                col_tiles * c / grid.col_parts, col_tiles * (c + 1) / grid.col_parts);
  }
}

#endif  // FASTMLP_SIMD_GEMM

}  // namespace

void multiply_with_threads(ConstMatrixMap a, Op op_a, ConstMatrixMap b, Op op_b, MatrixMap out, int threads) {
  check_shapes(a, op_a, b, op_b, out);
  if (threads < 1) throw std::invalid_argument("multiply: threads must be at least 1, got " + std::to_string(threads));
#ifdef FASTMLP_SIMD_GEMM
  simd_multiply(a, op_a, b, op_b, out, threads);
#else
  eigen_multiply(a, op_a, b, op_b, out, threads);
#endif
}

void multiply(ConstMatrixMap a, Op op_a, ConstMatrixMap b, Op op_b, MatrixMap out) {
  const Index k = op_a == Op::Plain ? a.cols() : a.rows();
  const bool worth_threads = out.rows() * out.cols() * k >= kParallelGemmThreshold;
  multiply_with_threads(a, op_a, b, op_b, out, worth_threads ? get_num_threads() : 1);
}

const char* gemm_kernel_name() {
#ifdef FASTMLP_SIMD_GEMM
  return Simd::kName;
#else
  return "eigen";
#endif
}

}  // namespace fastmlp
