// Running out of memory: OutOfMemory (a std::bad_alloc) names the layer and the bytes, and a layer
// or model whose allocation failed is left as it was, never half built or half reserved.
#include <cmath>
#include <cstdio>
#include <memory>
#include <new>
#include <stdexcept>

#include "check.hpp"
#include "fastmlp/fastmlp.hpp"

using namespace fastmlp;

namespace {

void test_byte_count() {
  CHECK(byte_count(0) == "0 bytes");
  CHECK(byte_count(1023) == "1023 bytes");
  CHECK(byte_count(1536) == "1536 bytes (1.5 KiB)");
  CHECK(byte_count(562949953421312.0) == "562949953421312 bytes (512 TiB)");
  CHECK(byte_count(2.0 * 4 * 64 * 4611686018427387904.0) == "2.361e+21 bytes (2.0 ZiB)");
}

void test_a_layer_too_large_is_named_with_its_bytes() {
  Sequential model;
  model.add(std::make_shared<Dense>(8));
  model.build(64);
  auto huge = std::make_shared<Dense>(Index{1} << 40);
  huge->set_name("huge");
  CHECK_THROWS(std::bad_alloc, model.add(huge),
               "cannot build Dense layer 'huge' for 8 inputs: its kernel of shape (8, 1099511627776) and the "
               "kernel's gradient need 70368744177664 bytes (64 TiB)");
  CHECK(model.layers().size() == 1 && !huge->built());
  try {
    model.add(huge);
  } catch (const OutOfMemory&) {
    CHECK(true);  // the type code can catch, besides std::bad_alloc
  }
}

void test_a_failed_build_leaves_the_layer_unbuilt() {
  // BatchNormalization used to keep the width it failed to allocate for, with no statistics.
  auto normalization = std::make_shared<BatchNormalization>();
  Sequential too_wide;
  too_wide.add(normalization);
  CHECK_THROWS(std::bad_alloc, too_wide.build(Index{1} << 40),
               "cannot build BatchNormalization layer for 1099511627776 inputs: not enough memory");
  CHECK(!normalization->built());
  Sequential fits;
  fits.add(normalization);
  fits.add(std::make_shared<Dense>(2));
  fits.build(3);
  CHECK(normalization->input_dim() == 3 && fits.predict(RowMatrix::Ones(4, 3)).allFinite());
}

void test_buffers_too_large_are_named_and_nothing_is_half_reserved() {
  Rng rng(1);
  Dense dense(4, make_activation("tanh"));
  dense.build(3, rng);
  const Index rows = Index{1} << 40;
  CHECK_THROWS(std::bad_alloc, dense.reserve_batch(rows),
               "its buffers for batches of 1099511627776 rows need 48378511622144 bytes (44 TiB)");
  // Sizing for a batch that fits works afterwards, and so does a forward pass over it.
  dense.reserve_batch(2);
  const RowMatrix x = RowMatrix::Ones(2, 3);
  CHECK(dense.forward(ConstMatrixMap(x.data(), 2, 3), true).allFinite());
}

}  // namespace

int main() {
  test_byte_count();
  test_a_layer_too_large_is_named_with_its_bytes();
  test_a_failed_build_leaves_the_layer_unbuilt();
  test_buffers_too_large_are_named_and_nothing_is_half_reserved();
  return check::report("test_memory");
}
