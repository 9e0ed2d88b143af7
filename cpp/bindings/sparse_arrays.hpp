// A scipy.sparse CSR matrix crossing into the core: its three arrays held (so their memory lives as
// long as the core reads it) and viewed in place as a CsrRowsOf. The Python layer converts CSC/COO to
// CSR, the values to the model's dtype and the indices to int32 once, as it converts dense input.
#pragma once

#include <memory>
#include <variant>
#include <vector>

#include "fastmlp/sparse.hpp"
#include "numpy_views.hpp"

namespace fastmlp::bindings {

using SparseIndexArray = py::array_t<SparseIndex, py::array::c_style>;

template <class Scalar>
struct CsrArraysOf {
  SparseIndexArray indptr;   // (rows + 1)
  SparseIndexArray indices;  // (nnz)
  ArrayOf<Scalar> data;      // (nnz)
  Index cols = 0;

  Index rows() const { return static_cast<Index>(indptr.size()) - 1; }
  CsrRowsOf<Scalar> view() const { return {rows(), cols, indptr.data(), indices.data(), data.data()}; }
};

// One model input as Python passes it: a 2-D array of the model's scalar or a CsrMatrix of it.
template <class Scalar>
using InputArrayOf = std::variant<ArrayOf<Scalar>, std::shared_ptr<CsrArraysOf<Scalar>>>;

template <class Scalar>
InputMatrixOf<Scalar> map_input(const InputArrayOf<Scalar>& array, const char* name) {
  if (const auto* sparse = std::get_if<std::shared_ptr<CsrArraysOf<Scalar>>>(&array))
    return InputMatrixOf<Scalar>((*sparse)->view());
  return InputMatrixOf<Scalar>(map_matrix(std::get<ArrayOf<Scalar>>(array), name));
}

}  // namespace fastmlp::bindings
