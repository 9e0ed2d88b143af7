// How NumPy arrays cross into the core: views both ways, never hidden copies.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>

#include "fastmlp/types.hpp"

namespace fastmlp::bindings {

namespace py = pybind11;

// float32 arrays only; bound with .noconvert() so pybind11 cannot copy behind our back. The Python
// layer converts other dtypes and layouts once, with np.ascontiguousarray.
using FloatArray = py::array_t<Scalar, py::array::c_style>;

// A read-only view of a 2-D C-contiguous float32 array.
inline ConstMatrixMap map_matrix(const FloatArray& array, const char* name) {
  if (array.ndim() != 2)
    throw py::value_error(std::string(name) + " must be a 2-D array, got " + std::to_string(array.ndim()) + " dimensions");
  return ConstMatrixMap(array.data(), array.shape(0), array.shape(1));
}

// A NumPy array over `matrix`'s memory that keeps `owner` (the C++ object holding it) alive.
inline py::array_t<Scalar> numpy_view(RowMatrix& matrix, py::handle owner) {
  return py::array_t<Scalar>({matrix.rows(), matrix.cols()},
                             {static_cast<py::ssize_t>(sizeof(Scalar) * matrix.cols()), static_cast<py::ssize_t>(sizeof(Scalar))},
                             matrix.data(), owner);
}

// Same, read-only: for gradients, which only backward should write.
inline py::array_t<Scalar> readonly_numpy_view(const RowMatrix& matrix, py::handle owner) {
  auto view = numpy_view(const_cast<RowMatrix&>(matrix), owner);
  py::detail::array_proxy(view.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return view;
}

}  // namespace fastmlp::bindings
