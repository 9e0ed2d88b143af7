#include <pybind11/stl.h>

#include "fastmlp/activations.hpp"
#include "fastmlp/dense.hpp"
#include "fastmlp/initializers.hpp"
#include "fastmlp/layer.hpp"
#include "numpy_views.hpp"
#include "registrations.hpp"

namespace fastmlp::bindings {

void register_layers(py::module_& m) {
  py::class_<Activation>(m, "Activation")
      .def_static("from_name", &Activation::from_name, py::arg("name"))
      .def_static("names", &Activation::names)
      .def_property_readonly("name", &Activation::name)
      .def_property_readonly("alpha", &Activation::alpha);

  py::class_<Initializer>(m, "Initializer")
      .def_static("from_name", &Initializer::from_name, py::arg("name"))
      .def_static("names", &Initializer::names)
      .def_static("constant", &Initializer::constant, py::arg("value"))
      .def_static("random_normal", &Initializer::random_normal, py::arg("mean") = 0.0, py::arg("stddev") = 0.05)
      .def_static("random_uniform", &Initializer::random_uniform, py::arg("minval") = -0.05, py::arg("maxval") = 0.05)
      .def_static("truncated_normal", &Initializer::truncated_normal, py::arg("mean") = 0.0, py::arg("stddev") = 0.05);

  py::class_<Layer, std::shared_ptr<Layer>>(m, "Layer")
      .def_property_readonly("type_name", &Layer::type_name)
      .def_property("name", &Layer::name, &Layer::set_name)
      .def_property_readonly("built", &Layer::built)
      .def_property_readonly("input_dim", &Layer::input_dim)
      .def_property_readonly("output_dim", &Layer::output_dim)
      .def("count_params", &Layer::count_params);

  py::class_<Dense, Layer, std::shared_ptr<Dense>>(m, "Dense")
      .def(py::init([](Index units, const std::string& activation, bool use_bias, const Initializer& kernel_initializer,
                       const Initializer& bias_initializer) {
             return std::make_shared<Dense>(units, Activation::from_name(activation), use_bias, kernel_initializer,
                                            bias_initializer);
           }),
           py::arg("units"), py::arg("activation") = "linear", py::arg("use_bias") = true,
           py::arg("kernel_initializer") = Initializer::glorot_uniform(),
           py::arg("bias_initializer") = Initializer::zeros())
      .def_property_readonly("units", &Dense::output_dim)
      .def_property_readonly("activation", [](const Dense& d) { return d.activation().name(); })
      .def_property_readonly("use_bias", &Dense::use_bias)
      // Views on the C++ weights: writing into them changes the next prediction.
      .def_property_readonly("kernel", [](py::object self) { return numpy_view(self.cast<Dense&>().kernel(), self); })
      .def_property_readonly("bias", [](py::object self) -> py::object {
        Dense& d = self.cast<Dense&>();
        if (!d.use_bias()) return py::none();
        return numpy_view(d.bias(), self);
      })
      .def_property_readonly("kernel_gradient",
                             [](py::object self) { return readonly_numpy_view(self.cast<Dense&>().kernel_gradient(), self); })
      .def_property_readonly("bias_gradient", [](py::object self) -> py::object {
        Dense& d = self.cast<Dense&>();
        if (!d.use_bias()) return py::none();
        return readonly_numpy_view(d.bias_gradient(), self);
      });
}

}  // namespace fastmlp::bindings
