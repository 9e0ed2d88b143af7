#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include "fastmlp/io.hpp"
#include "gil.hpp"
#include "registrations.hpp"

namespace fastmlp::bindings {

void register_io(py::module_& m) {
  // A ValueError subclass: Python code catches damaged or foreign files as ValueError.
  py::register_exception<ModelFileError>(m, "ModelFileError", PyExc_ValueError);
  m.attr("MODEL_FORMAT_VERSION") = kModelFormatVersion;

  // Paths arrive as str or os.PathLike. The GIL is released while the file is written or read
  // (GilReleased: gil.hpp says why not py::gil_scoped_release).
  m.def("save_model", &save_model, py::arg("model"), py::arg("path"), py::arg("include_optimizer") = true,
        py::call_guard<GilReleased>());
  m.def(
      "load_model", [](const std::filesystem::path& path) { return std::make_shared<Sequential>(load_model(path)); },
      py::arg("path"), py::call_guard<GilReleased>());
  // The same file as bytes, for pickling and copying.
  m.def(
      "save_model_to_bytes",
      [](const Sequential& model, bool include_optimizer) {
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
        return std::make_shared<Sequential>(load_model_from_bytes(bytes, "model bytes"));
      },
      py::arg("data"));
}

}  // namespace fastmlp::bindings
