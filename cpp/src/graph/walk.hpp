// Walking the elements of a broadcast: the one loop behind every primitive whose operands may
// broadcast (binary ops, where, reductions, broadcast_to), forward and backward.
#pragma once

#include <array>
#include <stdexcept>
#include <string>
#include <vector>

#include "fastmlp/graph/dims.hpp"

namespace fastmlp::graph {

// Calls f(out_offset, offsets) for every element of a tensor of concrete shape `out`, in row-major
// order, where offsets[k] is the element of operand k that broadcasts to it (strides[k] from
// broadcast_strides). The innermost axis is a plain loop.
template <size_t K, class F>
void walk(const Dims& out, const std::array<std::array<Index, kMaxRank>, K>& strides, F&& f) {
  std::array<Index, K> offsets{};
  if (out.rank == 0) {
    f(Index{0}, offsets);
    return;
  }
  const int last = out.rank - 1;
  const Index inner = out.d[last], total = out.size();
  std::array<Index, kMaxRank> index{};
  std::array<Index, K> base{};
  for (Index o = 0; o < total; o += inner) {
    offsets = base;
    for (Index j = 0; j < inner; ++j) {
      f(o + j, offsets);
      for (size_t k = 0; k < K; ++k) offsets[k] += strides[k][last];
    }
    for (int axis = last - 1; axis >= 0; --axis) {
      for (size_t k = 0; k < K; ++k) base[k] += strides[k][axis];
      if (++index[axis] < out.d[axis]) break;
      for (size_t k = 0; k < K; ++k) base[k] -= strides[k][axis] * out.d[axis];
      index[axis] = 0;
    }
  }
}

inline void expect_inputs(const std::vector<Dims>& inputs, size_t count, const std::string& op) {
  if (inputs.size() != count)
    throw std::invalid_argument(op + " takes " + std::to_string(count) + " input(s), got " +
                                std::to_string(inputs.size()));
}

}  // namespace fastmlp::graph
