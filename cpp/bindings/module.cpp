// The fastmlp._core extension: only wires the registration functions together.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "registrations.hpp"

PYBIND11_MODULE(_core, m) {
  m.doc() = "fastmlp's C++ core (Eigen + OpenMP). Use the fastmlp package, not this module directly.";
  fastmlp::bindings::register_kinds(m);
  fastmlp::bindings::register_layers(m);
  fastmlp::bindings::register_model(m);
  fastmlp::bindings::register_io(m);
  fastmlp::bindings::register_threads(m);
  fastmlp::bindings::register_distribution(m);
  fastmlp::bindings::register_sparse(m);
  // [issue 13] pybind11 looks NumPy's C API up at its first use and releases the GIL meanwhile, in a
  // destructor that interpreter exit can turn into std::terminate (gil.hpp): done here, at import,
  // a daemon thread's first predict cannot be where that happens.
  pybind11::dtype::of<float>();
}
