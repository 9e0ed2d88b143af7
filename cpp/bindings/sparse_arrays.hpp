// A scipy.sparse CSR matrix crossing into the core: its three arrays held (so their memory lives as
// long as the core reads it) and viewed in place as a CsrRows. The Python layer converts CSC/COO to
// CSR, the values to float32 and the indices to int32 once, as it converts dense input.
#pragma once

#include <variant>
#include <vector>

#include "fastmlp/sparse.hpp"
#include "numpy_views.hpp"

namespace fastmlp::bindings {

using SparseIndexArray = py::array_t<SparseIndex, py::array::c_style>;

struct CsrArrays {
  SparseIndexArray indptr;   // (rows + 1)
  SparseIndexArray indices;  // (nnz)
  FloatArray data;           // (nnz)
  Index cols = 0;

  Index rows() const { return static_cast<Index>(indptr.size()) - 1; }
  CsrRows view() const { return {rows(), cols, indptr.data(), indices.data(), data.data()}; }
};

// One model input as Python passes it: a 2-D float32 array or a CsrMatrix.
using InputArray = std::variant<FloatArray, std::shared_ptr<CsrArrays>>;

inline InputMatrix map_input(const InputArray& array, const char* name) {
  if (const auto* sparse = std::get_if<std::shared_ptr<CsrArrays>>(&array)) return InputMatrix((*sparse)->view());
  return InputMatrix(map_matrix(std::get<FloatArray>(array), name));
}

}  // namespace fastmlp::bindings
