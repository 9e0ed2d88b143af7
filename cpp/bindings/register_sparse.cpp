// CsrMatrix: the core's view of a scipy.sparse CSR matrix (sparse_arrays.hpp).
#include <pybind11/stl.h>

#include <string>

#include "registrations.hpp"
#include "sparse_arrays.hpp"

namespace fastmlp::bindings {

template <class Scalar>
void register_sparse(py::module_& m) {
  using CsrArrays = CsrArraysOf<Scalar>;
  py::class_<CsrArrays, std::shared_ptr<CsrArrays>>(m, "CsrMatrix")
      .def(py::init([](SparseIndexArray indptr, SparseIndexArray indices, ArrayOf<Scalar> data, Index cols) {
             if (indptr.ndim() != 1 || indptr.size() < 1)
               throw py::value_error("indptr must be a 1-D array of at least one offset (rows + 1)");
             if (indices.ndim() != 1 || data.ndim() != 1 || indices.size() != data.size())
               throw py::value_error("indices and data must be 1-D arrays of the same length, got " +
                                     std::to_string(indices.size()) + " and " + std::to_string(data.size()));
             if (cols < 0) throw py::value_error("cols must be >= 0, got " + std::to_string(cols));
             const SparseIndex last = indptr.data()[indptr.size() - 1];
             if (last < 0 || last > indices.size())
               throw py::value_error("indptr ends at " + std::to_string(last) + ", outside the " +
                                     std::to_string(indices.size()) + " stored values; it is not a valid CSR matrix");
             return std::make_shared<CsrArrays>(CsrArrays{std::move(indptr), std::move(indices), std::move(data), cols});
           }),
           py::arg("indptr").noconvert(), py::arg("indices").noconvert(), py::arg("data").noconvert(), py::arg("cols"))
      .def("__len__", &CsrArrays::rows)
      .def_property_readonly("shape", [](const CsrArrays& self) { return py::make_tuple(self.rows(), self.cols); })
      .def_property_readonly("dtype", [](const CsrArrays&) { return dtype_name<Scalar>(); })
      .def_readonly("indptr", &CsrArrays::indptr)
      .def_readonly("indices", &CsrArrays::indices)
      .def_readonly("data", &CsrArrays::data);
}

template void register_sparse<float>(py::module_&);
template void register_sparse<double>(py::module_&);

}  // namespace fastmlp::bindings
