// The fastmlp._core extension: only wires the registration functions together.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "fastmlp/types.hpp"
#include "registrations.hpp"

namespace fastmlp::bindings {
namespace {

// Everything that depends on the scalar type, bound into `m` under the same names for each scalar.
template <class Scalar>
void register_scalar(py::module_& m) {
  m.attr("dtype") = dtype_name<Scalar>();
  register_layers<Scalar>(m);
  register_model<Scalar>(m);
  register_model_io<Scalar>(m);
  register_sparse<Scalar>(m);
}

}  // namespace
}  // namespace fastmlp::bindings

PYBIND11_MODULE(_core, m) {
  namespace bindings = fastmlp::bindings;
  m.doc() = "fastmlp's C++ core (Eigen + OpenMP). Use the fastmlp package, not this module directly.";
  bindings::register_kinds(m);
  bindings::register_fit_options(m);
  bindings::register_io(m);
  bindings::register_threads(m);
  bindings::register_distribution(m);
  bindings::register_graph(m);
  // float32 models at the top level (as before float64 existed), float64 ones in _core.float64.
  bindings::register_scalar<float>(m);
  pybind11::module_ float64 = m.def_submodule("float64", "The float64 twins of _core's models, layers and arrays.");
  bindings::register_scalar<double>(float64);
  // [issue 13] pybind11 looks NumPy's C API up at its first use and releases the GIL meanwhile, in a
  // destructor that interpreter exit can turn into std::terminate (gil.hpp): done here, at import,
  // a daemon thread's first predict cannot be where that happens.
  pybind11::dtype::of<float>();
}
