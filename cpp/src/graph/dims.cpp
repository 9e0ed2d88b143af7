#include "fastmlp/graph/dims.hpp"

#include <stdexcept>

namespace fastmlp::graph {

Index Dims::size() const {
  Index n = 1;
  for (int i = 0; i < rank; ++i) n *= d[i];
  return n;
}

bool Dims::batched() const {
  for (int i = 0; i < rank; ++i)
    if (d[i] < 0) return true;
  return false;
}

Dims Dims::concrete(Index rows) const {
  Dims out = *this;
  for (int i = 0; i < rank; ++i)
    if (out.d[i] < 0) out.d[i] = -out.d[i] * rows;
  return out;
}

Dims Dims::of(const std::vector<Index>& dims, const std::string& what) {
  if (dims.size() > static_cast<size_t>(kMaxRank))
    throw std::invalid_argument(what + ": tensors have at most " + std::to_string(kMaxRank) + " dimensions, got " +
                                std::to_string(dims.size()));
  Dims out;
  out.rank = static_cast<int>(dims.size());
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == 0) throw std::invalid_argument(what + ": a dimension of 0 is not supported");
    out.d[i] = dims[i];
  }
  return out;
}

std::string Dims::str() const {
  std::string s = "(";
  for (int i = 0; i < rank; ++i) {
    if (i) s += ", ";
    s += d[i] < 0 ? (d[i] == -1 ? std::string("None") : "None*" + std::to_string(-d[i])) : std::to_string(d[i]);
  }
  return s + (rank == 1 ? ",)" : ")");
}

bool Dims::operator==(const Dims& other) const {
  if (rank != other.rank) return false;
  for (int i = 0; i < rank; ++i)
    if (d[i] != other.d[i]) return false;
  return true;
}

Dims broadcast(const Dims& a, const Dims& b, const std::string& op) {
  Dims out;
  out.rank = std::max(a.rank, b.rank);
  for (int i = 0; i < out.rank; ++i) {
    const int ia = a.rank - out.rank + i, ib = b.rank - out.rank + i;
    const Index da = ia >= 0 ? a.d[ia] : 1, db = ib >= 0 ? b.d[ib] : 1;
    if (da == db || db == 1) {
      out.d[i] = da;
    } else if (da == 1) {
      out.d[i] = db;
    } else {
      throw std::invalid_argument(op + ": shapes " + a.str() + " and " + b.str() + " cannot be broadcast together");
    }
  }
  return out;
}

std::array<Index, kMaxRank> broadcast_strides(const Dims& dims, int rank) {
  std::array<Index, kMaxRank> strides{};
  Index stride = 1;
  for (int i = dims.rank - 1; i >= 0; --i) {
    const int axis = rank - dims.rank + i;
    strides[axis] = dims.d[i] == 1 ? 0 : stride;
    stride *= dims.d[i];
  }
  return strides;
}

int normalize_axis(Index axis, int rank, const std::string& op) {
  if (axis < -rank || axis >= rank)
    throw std::invalid_argument(op + ": axis " + std::to_string(axis) + " is out of range for a tensor of rank " +
                                std::to_string(rank));
  return static_cast<int>(axis < 0 ? axis + rank : axis);
}

}  // namespace fastmlp::graph
