// CSR matrices for the C++ tests: one that owns its arrays, as scipy's csr_matrix does, made from a
// dense matrix's non-zero entries.
#pragma once

#include <vector>

#include "fastmlp/sparse.hpp"

struct Csr {
  fastmlp::Index rows = 0, cols = 0;
  std::vector<fastmlp::SparseIndex> indptr{0}, indices;
  std::vector<float> values;
  fastmlp::CsrRows view() const { return {rows, cols, indptr.data(), indices.data(), values.data()}; }
};

inline Csr to_csr(const fastmlp::RowMatrix& dense) {
  Csr csr;
  csr.rows = dense.rows();
  csr.cols = dense.cols();
  for (fastmlp::Index r = 0; r < dense.rows(); ++r) {
    for (fastmlp::Index c = 0; c < dense.cols(); ++c)
      if (dense(r, c) != 0) {
        csr.indices.push_back(static_cast<fastmlp::SparseIndex>(c));
        csr.values.push_back(dense(r, c));
      }
    csr.indptr.push_back(static_cast<fastmlp::SparseIndex>(csr.indices.size()));
  }
  return csr;
}
