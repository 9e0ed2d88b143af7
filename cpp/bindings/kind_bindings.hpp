// The bindings every registered kind shares: its registry, and its objects' class name and config.
#pragma once

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <string>

#include "config_cast.hpp"
#include "fastmlp/registry.hpp"

namespace fastmlp::bindings {

namespace py = pybind11;

// `_core.registries[kind]`: create(name, config), deserialize(value), names(), entries().
template <class Base>
void bind_registry(py::module_& m, const char* kind) {
  using Entries = Registry<Base>;
  const std::string class_name = std::string("Registry_") + kind;
  py::class_<Entries>(m, class_name.c_str())
      .def("create",
           [](const Entries& registry, const std::string& name, py::object config) {
             return registry.create(name, from_python(config, name + " config"));
           },
           py::arg("name"), py::arg("config") = py::none())
      .def("deserialize",
           [kind](const Entries& registry, py::object value) {
             return registry.deserialize(from_python(value, kind), kind);
           },
           py::arg("value"))
      .def("names", &Entries::names)
      // For each type: its class name, aliases, every field's default, and the fields without one.
      .def("entries", [](const Entries& registry) {
        py::list entries;
        for (const auto& entry : registry.entries())
          entries.append(py::dict(py::arg("class_name") = entry.class_name, py::arg("aliases") = entry.aliases,
                                  py::arg("defaults") = to_python(entry.defaults()),
                                  py::arg("required") = entry.required()));
        return entries;
      })
      .def("class_name_of", [](const Entries& registry, const std::string& name) -> py::object {
        const auto* entry = registry.find(name);
        return entry ? py::object(py::str(entry->class_name)) : py::none();
      });
  if (!py::hasattr(m, "registries")) m.attr("registries") = py::dict();
  py::dict registries = m.attr("registries");
  registries[kind] = py::cast(&Registry<Base>::instance(), py::return_value_policy::reference);
}

// What every registered object shows: its class name and its config as a dict.
template <class Base, class Holder = std::shared_ptr<Base>>
py::class_<Base, Holder> bind_kind(py::module_& m, const char* name) {
  // "fastmlp._core.Layer", or "fastmlp._core.float64.Layer" for a double model's layers.
  std::string qualified = m.attr("__name__").cast<std::string>();
  if (qualified.rfind("fastmlp.", 0) != 0) qualified = "fastmlp." + qualified;
  qualified += "." + std::string(name);
  return py::class_<Base, Holder>(m, name)
      .def_property_readonly("class_name", &Base::class_name)
      .def_property_readonly("config", [](const Base& object) { return to_python(object.config()); })
      .def("__repr__", [qualified](const Base& object) {
        return "<" + qualified + " " + object.class_name() + " " + object.config().dump() + ">";
      });
}

}  // namespace fastmlp::bindings
