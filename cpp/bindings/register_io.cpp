#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include "config_cast.hpp"
#include "fastmlp/io.hpp"
#include "fastmlp/sequential.hpp"
#include "gil.hpp"
#include "registrations.hpp"

namespace fastmlp::bindings {

namespace {

// The model a file held, as the class it is: a Sequential keeps add and pop.
std::shared_ptr<Model> shared(Model&& model) {
  if (std::string(model.class_name()) == "Sequential") return std::make_shared<Sequential>(std::move(model));
  return std::make_shared<Model>(std::move(model));
}

}  // namespace

void register_io(py::module_& m) {
  // A ValueError subclass: Python code catches damaged or foreign files as ValueError.
  py::register_exception<ModelFileError>(m, "ModelFileError", PyExc_ValueError);
  m.attr("MODEL_FORMAT_VERSION") = kModelFormatVersion;

  // Paths arrive as str or os.PathLike. The GIL is released while the file is written or read
  // (GilReleased: gil.hpp says why not py::gil_scoped_release).
  m.def("save_model", &save_model, py::arg("model"), py::arg("path"), py::arg("include_optimizer") = true,
        py::call_guard<GilReleased>());
  m.def(
      "load_model", [](const std::filesystem::path& path) { return shared(load_model(path)); },
      py::arg("path"), py::call_guard<GilReleased>());
  // A new model from {"class_name": "Sequential" | "Functional", "config": {...}}.
  m.def(
      "model_from_config", [](py::object config) { return shared(model_from_config(from_python(config, "model"))); },
      py::arg("config"));
  // The same file as bytes, for pickling and copying.
  m.def(
      "save_model_to_bytes",
      [](const Model& model, bool include_optimizer) {
        std::string bytes;
        {
          const GilReleased released;
          bytes = save_model_to_bytes(model, include_optimizer);
        }
        return py::bytes(bytes);
      },
      py::arg("model"), py::arg("include_optimizer") = true);
  m.def(
      "load_model_from_bytes",
      [](const py::bytes& data) {
        const std::string_view bytes = data;  // read in place, while `data` keeps the buffer alive
        const GilReleased released;
        return shared(load_model_from_bytes(bytes, "model bytes"));
      },
      py::arg("data"));
}

}  // namespace fastmlp::bindings
