// The matrix products of the layers: out = op(a) op(b), row-major, op = as is or transposed, in float
// (fastmlp's own kernel where the CPU has one) or double (Eigen's).
//
// On x86-64 CPUs with AVX-512 or AVX2+FMA (known when compiling) float products run on fastmlp's own
// register-blocked kernel; elsewhere on Eigen's. The kernel's threads split the output into a 2-D
// grid of tiles and never split the sum over the inner dimension, so every output element is
// computed the same way whatever the thread count: results are bit-identical for 1 and N threads.
#pragma once

#include "fastmlp/types.hpp"

namespace fastmlp {

enum class Op { Plain, Transposed };

// out = op_a(a) op_b(b), overwriting out; a and b both transposed is not a product the layers need.
// Threads: at most get_num_threads(), fewer where measurement showed fewer to be faster for this
// shape (see ThreadChooser in gemm.cpp).
template <class Scalar>
void multiply(ConstMatrixMapOf<Scalar> a, Op op_a, ConstMatrixMapOf<Scalar> b, Op op_b, MatrixMapOf<Scalar> out);

// The same product on exactly `threads` threads (>= 1; the work may still use fewer when the
// output has fewer tiles than threads). For tests and benchmarks.
template <class Scalar>
void multiply_with_threads(ConstMatrixMapOf<Scalar> a, Op op_a, ConstMatrixMapOf<Scalar> b, Op op_b, MatrixMapOf<Scalar> out, int threads);

// Which kernel multiply() uses on this build: "avx512", "avx2" or "eigen".
const char* gemm_kernel_name();

}  // namespace fastmlp
