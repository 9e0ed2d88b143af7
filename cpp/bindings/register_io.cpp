#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <variant>

#include "config_cast.hpp"
#include "fastmlp/io.hpp"
#include "fastmlp/sequential.hpp"
#include "gil.hpp"
#include "registrations.hpp"

namespace fastmlp::bindings {

namespace {

// The model a file held, as the class it is: a Sequential keeps add and pop.
template <class Scalar>
std::shared_ptr<ModelOf<Scalar>> shared(ModelOf<Scalar>&& model) {
  if (std::string(model.class_name()) == "Sequential") return std::make_shared<SequentialOf<Scalar>>(std::move(model));
  return std::make_shared<ModelOf<Scalar>>(std::move(model));
}

// A loaded model of either scalar as the Python object of its class (_core.Model or _core.float64.Model).
// Called with the GIL held.
py::object model_to_python(AnyModel&& model) {
  return std::visit([](auto&& loaded) { return py::cast(shared(std::move(loaded))); }, std::move(model));
}

}  // namespace

// Reading works for either scalar: a file says which it holds.
void register_io(py::module_& m) {
  // A ValueError subclass: Python code catches damaged or foreign files as ValueError.
  py::register_exception<ModelFileError>(m, "ModelFileError", PyExc_ValueError);
  m.attr("MODEL_FORMAT_VERSION") = kModelFormatVersion;

  // Paths arrive as str or os.PathLike. The GIL is released while the file is read (GilReleased:
  // gil.hpp says why not py::gil_scoped_release). The model comes back in the dtype it was saved in.
  m.def(
      "load_model",
      [](const std::filesystem::path& path) {
        std::optional<AnyModel> model;
        {
          const GilReleased released;
          model.emplace(load_any_model(path));
        }
        return model_to_python(std::move(*model));
      },
      py::arg("path"));
  // The same file as bytes, for pickling and copying.
  m.def(
      "load_model_from_bytes",
      [](const py::bytes& data) {
        const std::string_view bytes = data;  // read in place, while `data` keeps the buffer alive
        std::optional<AnyModel> model;
        {
          const GilReleased released;
          model.emplace(load_any_model_from_bytes(bytes, "model bytes"));
        }
        return model_to_python(std::move(*model));
      },
      py::arg("data"));
}

template <class Scalar>
void register_model_io(py::module_& m) {
  using Model = ModelOf<Scalar>;
  m.def("save_model", &save_model<Scalar>, py::arg("model"), py::arg("path"), py::arg("include_optimizer") = true,
        py::call_guard<GilReleased>());
  // A new model from {"class_name": "Sequential" | "Functional", "config": {...}}, in this module's dtype.
  m.def(
      "model_from_config",
      [](py::object config) { return shared(model_from_config<Scalar>(from_python(config, "model"))); },
      py::arg("config"));
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
}

template void register_model_io<float>(py::module_&);
template void register_model_io<double>(py::module_&);

}  // namespace fastmlp::bindings
