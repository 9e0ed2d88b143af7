#pragma once

#include <pybind11/pybind11.h>

namespace fastmlp::bindings {

namespace py = pybind11;

void register_kinds(py::module_& m);    // activations, initializers, regularizers, losses, metrics, schedules, optimizers
void register_layers(py::module_& m);   // the layer registry and Layer
void register_model(py::module_& m);    // Sequential and FitOptions
void register_io(py::module_& m);       // model files and bytes, ModelFileError
void register_threads(py::module_& m);  // set_num_threads, get_num_threads
void register_distribution(py::module_& m);
void register_sparse(py::module_& m);   // CsrMatrix, a scipy.sparse CSR input  // Communicator (subclassed in Python), DistributedError

}  // namespace fastmlp::bindings
