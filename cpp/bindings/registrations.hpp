#pragma once

#include <pybind11/pybind11.h>

namespace fastmlp::bindings {

void register_layers(pybind11::module_& m);    // Activation, Initializer, Layer, Dense
void register_training(pybind11::module_& m);  // losses, optimizers, metrics, threads
void register_model(pybind11::module_& m);     // Sequential
void register_io(pybind11::module_& m);        // save_model, load_model, ModelFileError

}  // namespace fastmlp::bindings
