// Configs cross the binding as plain Python values: dicts, lists, str, int, float, bool and None.
#pragma once

#include <pybind11/pybind11.h>

#include <string>

#include "fastmlp/config.hpp"

namespace fastmlp::bindings {

namespace py = pybind11;

// A dict for an object, a list for an array; integers as int, real numbers as float.
py::object to_python(const Config& config);

// Accepts dicts with str keys, lists and tuples, str, bool, int, float, None and NumPy scalars;
// throws TypeError naming where in the value something else was found (`what`, e.g. "config['seed']").
Config from_python(py::handle value, const std::string& what = "config");

}  // namespace fastmlp::bindings
