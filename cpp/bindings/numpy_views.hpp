// How NumPy arrays cross into the core: views both ways, never hidden copies.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>

#include "fastmlp/types.hpp"

namespace fastmlp::bindings {

namespace py = pybind11;

// Arrays of a model's scalar (float32 for a float model, float64 for a double one) only; bound with
// .noconvert() so pybind11 cannot copy behind our back. The Python layer converts other dtypes and
// layouts once, with np.require.
template <class Scalar>
using ArrayOf = py::array_t<Scalar, py::array::c_style>;
using FloatArray = ArrayOf<float>;

// A read-only view of a 2-D C-contiguous array.
template <class Scalar>
ConstMatrixMapOf<Scalar> map_matrix(const ArrayOf<Scalar>& array, const char* name) {
  if (array.ndim() != 2)
    throw py::value_error(std::string(name) + " must be a 2-D array, got " + std::to_string(array.ndim()) + " dimensions");
  return ConstMatrixMapOf<Scalar>(array.data(), array.shape(0), array.shape(1));
}

// A NumPy array over `matrix`'s memory that keeps `owner` (the C++ object holding it) alive.
template <class Scalar>
py::array_t<Scalar> numpy_view(RowMatrixOf<Scalar>& matrix, py::handle owner) {
  return py::array_t<Scalar>({matrix.rows(), matrix.cols()},
                             {static_cast<py::ssize_t>(sizeof(Scalar) * matrix.cols()), static_cast<py::ssize_t>(sizeof(Scalar))},
                             matrix.data(), owner);
}

// Same, read-only: for gradients, which only backward should write.
template <class Scalar>
py::array_t<Scalar> readonly_numpy_view(const RowMatrixOf<Scalar>& matrix, py::handle owner) {
  auto view = numpy_view(const_cast<RowMatrixOf<Scalar>&>(matrix), owner);
  py::detail::array_proxy(view.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return view;
}

// A new array holding a copy of `values`.
template <class Scalar>
ArrayOf<Scalar> to_array(const RowMatrixOf<Scalar>& values) {
  ArrayOf<Scalar> out({values.rows(), values.cols()});
  MatrixMapOf<Scalar>(out.mutable_data(), values.rows(), values.cols()) = values;
  return out;
}

}  // namespace fastmlp::bindings
