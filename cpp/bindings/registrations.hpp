#pragma once

#include <pybind11/pybind11.h>

namespace fastmlp::bindings {

namespace py = pybind11;

// Scalar-independent: bound once, in _core.
void register_kinds(py::module_& m);    // activations, initializers, regularizers, losses, metrics, schedules, optimizers
void register_fit_options(py::module_& m);  // FitOptions
void register_io(py::module_& m);       // ModelFileError, load_model and load_model_from_bytes (any dtype)
void register_threads(py::module_& m);  // set_num_threads, get_num_threads
void register_distribution(py::module_& m);  // Communicator (subclassed in Python), DistributedError
void register_graph(py::module_& m);    // graph.Spec (what fastmlp.ops traces into) and graph.run (for tests)

// Scalar-dependent: bound once per scalar, the float ones in _core and the double ones under the
// same names in _core.float64 (module.cpp). Each module's `dtype` attribute names its scalar.
template <class Scalar>
void register_layers(py::module_& m);   // the layer registry and Layer, Dense, Normalization
template <class Scalar>
void register_model(py::module_& m);    // Model, Sequential, ModelLayer
template <class Scalar>
void register_model_io(py::module_& m);  // save_model, save_model_to_bytes, model_from_config
template <class Scalar>
void register_sparse(py::module_& m);   // CsrMatrix, a scipy.sparse CSR input

}  // namespace fastmlp::bindings
