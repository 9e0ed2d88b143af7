// The shape of a tensor in a traced graph (graph.hpp), of rank 0 to kMaxRank.
//
// A graph is traced once for any batch size, so a shape may hold the batch size as a symbol: a
// negative dimension -k stands for k times the batch size (-1: the batch itself; -2 after a reshape
// that folds a dimension of 2 into it). The graph's buffers are sized once from the largest batch,
// and each pass turns the symbolic shapes into concrete ones with `concrete(rows)`, which allocates
// nothing: a shape is a fixed array.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "fastmlp/types.hpp"

namespace fastmlp::graph {

constexpr int kMaxRank = 8;

struct Dims {
  int rank = 0;
  std::array<Index, kMaxRank> d{};

  Index operator[](int axis) const { return d[axis]; }
  Index& operator[](int axis) { return d[axis]; }
  // The number of elements of a concrete shape (1 for a scalar).
  Index size() const;
  // Whether any dimension stands for the batch.
  bool batched() const;
  // The shape for batches of `rows` rows: each -k becomes k * rows.
  Dims concrete(Index rows) const;
  // From a list of dimensions; throws std::invalid_argument past kMaxRank or for a 0 dimension.
  static Dims of(const std::vector<Index>& dims, const std::string& what);
  std::vector<Index> to_vector() const { return {d.begin(), d.begin() + rank}; }
  // "(None, 4)" as Keras prints shapes (a symbolic dimension shows as None).
  std::string str() const;

  bool operator==(const Dims& other) const;
  bool operator!=(const Dims& other) const { return !(*this == other); }
};

// NumPy's broadcast of two shapes (symbolic dimensions broadcast only with themselves or with 1);
// throws std::invalid_argument naming `op` and both shapes.
Dims broadcast(const Dims& a, const Dims& b, const std::string& op);

// Row-major strides of `dims` aligned to the last `rank` axes of an output of rank `rank`, with 0
// where `dims` has 1 (broadcast) or no axis: what walking a broadcast operand needs.
std::array<Index, kMaxRank> broadcast_strides(const Dims& dims, int rank);

// An axis given as in NumPy (negative counts from the end) as a non-negative one; throws.
int normalize_axis(Index axis, int rank, const std::string& op);

}  // namespace fastmlp::graph
