#include <pybind11/stl.h>

#include "fastmlp/activation_layer.hpp"
#include "fastmlp/activations.hpp"
#include "fastmlp/batch_normalization.hpp"
#include "fastmlp/dense.hpp"
#include "fastmlp/dropout.hpp"
#include "fastmlp/initializers.hpp"
#include "fastmlp/layer.hpp"
#include "fastmlp/prelu.hpp"
#include "numpy_views.hpp"
#include "registrations.hpp"

namespace fastmlp::bindings {

void register_layers(py::module_& m) {
  py::class_<Activation>(m, "Activation")
      .def(py::init([](const std::string& name) { return Activation::from_name(name); }), py::arg("name"))
      .def_static("from_name", &Activation::from_name, py::arg("name"))
      .def_static("leaky_relu", [](Scalar slope) { return Activation(ActivationKind::LeakyRelu, slope); },
                  py::arg("negative_slope") = 0.2f)
      .def_static("elu", [](Scalar alpha) { return Activation(ActivationKind::Elu, alpha); }, py::arg("alpha") = 1.0f)
      .def_static("relu", &Activation::relu, py::arg("negative_slope") = 0.0f,
                  py::arg("max_value") = std::numeric_limits<Scalar>::infinity(), py::arg("threshold") = 0.0f)
      .def_static("gelu", &Activation::gelu, py::arg("approximate") = false)
      .def_static("names", &Activation::names)
      .def_property_readonly("name", &Activation::name)
      .def_property_readonly("alpha", &Activation::alpha)
      .def_property_readonly("max_value", &Activation::max_value)
      .def_property_readonly("threshold", &Activation::threshold)
      .def_property_readonly("approximate", &Activation::approximate)
      .def("__call__", [](const Activation& a, const FloatArray& x) {
        // Applies the activation to a 2-D array, returning a new array: fastmlp.activations uses it.
        const ConstMatrixMap input = map_matrix(x, "x");
        FloatArray out({input.rows(), input.cols()});
        MatrixMap result(out.mutable_data(), input.rows(), input.cols());
        result = input;
        a.apply(result);
        return out;
      }, py::arg("x").noconvert());

  py::class_<Initializer>(m, "Initializer")
      .def_static("from_name", &Initializer::from_name, py::arg("name"))
      .def_static("names", &Initializer::names)
      .def_static("constant", &Initializer::constant, py::arg("value"))
      .def_static("random_normal", &Initializer::random_normal, py::arg("mean") = 0.0, py::arg("stddev") = 0.05)
      .def_static("random_uniform", &Initializer::random_uniform, py::arg("minval") = -0.05, py::arg("maxval") = 0.05)
      .def_static("truncated_normal", &Initializer::truncated_normal, py::arg("mean") = 0.0, py::arg("stddev") = 0.05);

  py::class_<Regularizer>(m, "Regularizer")
      .def(py::init([](double l1, double l2) { return Regularizer{l1, l2}; }), py::arg("l1") = 0.0, py::arg("l2") = 0.0)
      .def_readonly("l1", &Regularizer::l1)
      .def_readonly("l2", &Regularizer::l2)
      .def("__call__", [](const Regularizer& r, const FloatArray& x) { return r.penalty(map_matrix(x, "x")); });

  py::class_<Layer, std::shared_ptr<Layer>>(m, "Layer")
      .def_property_readonly("type_name", &Layer::type_name)
      .def_property("name", &Layer::name, &Layer::set_name)
      .def_property_readonly("built", &Layer::built)
      .def_property_readonly("input_dim", &Layer::input_dim)
      .def_property_readonly("output_dim", &Layer::output_dim)
      .def("count_params", &Layer::count_params)
      // Views on the C++ tensors, trainable first then the rest (Keras's get_weights order):
      // writing into them changes the model.
      .def_property_readonly("weights", [](py::object self) {
        Layer& layer = self.cast<Layer&>();
        py::list views;
        for (const auto& p : layer.parameters()) views.append(py::make_tuple(p.name, numpy_view(*p.value, self)));
        for (const auto& p : layer.non_trainable()) views.append(py::make_tuple(p.name, numpy_view(*p.value, self)));
        return views;
      })
      .def_property_readonly("trainable_count", [](Layer& layer) { return layer.parameters().size(); })
      // Read-only views on the gradients of the last backward pass.
      .def_property_readonly("gradients", [](py::object self) {
        py::list views;
        for (const auto& p : self.cast<Layer&>().parameters())
          views.append(py::make_tuple(p.name, readonly_numpy_view(*p.gradient, self)));
        return views;
      });

  py::class_<Dense, Layer, std::shared_ptr<Dense>>(m, "Dense")
      .def(py::init([](Index units, const Activation& activation, bool use_bias, const Initializer& kernel_initializer,
                       const Initializer& bias_initializer, const Regularizer& kernel_regularizer,
                       const Regularizer& bias_regularizer, const Regularizer& activity_regularizer) {
             return std::make_shared<Dense>(units, activation, use_bias, kernel_initializer, bias_initializer,
                                            DenseRegularizers{kernel_regularizer, bias_regularizer, activity_regularizer});
           }),
           py::arg("units"), py::arg("activation") = Activation(), py::arg("use_bias") = true,
           py::arg("kernel_initializer") = Initializer::glorot_uniform(),
           py::arg("bias_initializer") = Initializer::zeros(), py::arg("kernel_regularizer") = Regularizer{},
           py::arg("bias_regularizer") = Regularizer{}, py::arg("activity_regularizer") = Regularizer{})
      .def_property_readonly("units", &Dense::output_dim)
      .def_property_readonly("activation", [](const Dense& d) { return d.activation().name(); })
      .def_property_readonly("use_bias", &Dense::use_bias)
      .def_property_readonly("activation_object", &Dense::activation)
      .def_property("kernel_regularizer", [](const Dense& d) { return d.regularizers().kernel; },
                    &Dense::set_kernel_regularizer)
      .def_property("bias_regularizer", [](const Dense& d) { return d.regularizers().bias; },
                    &Dense::set_bias_regularizer)
      .def_property_readonly("activity_regularizer", [](const Dense& d) { return d.regularizers().activity; })
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

  py::class_<Dropout, Layer, std::shared_ptr<Dropout>>(m, "Dropout")
      .def(py::init<double, std::int64_t>(), py::arg("rate"), py::arg("seed") = -1)
      .def_property_readonly("rate", &Dropout::rate)
      .def_property_readonly("seed", &Dropout::seed);

  py::class_<GaussianNoise, Layer, std::shared_ptr<GaussianNoise>>(m, "GaussianNoise")
      .def(py::init<double, std::int64_t>(), py::arg("stddev"), py::arg("seed") = -1)
      .def_property_readonly("stddev", &GaussianNoise::stddev)
      .def_property_readonly("seed", &GaussianNoise::seed);

  py::class_<ActivationLayer, Layer, std::shared_ptr<ActivationLayer>>(m, "ActivationLayer")
      .def(py::init<Activation>(), py::arg("activation"))
      .def_property_readonly("activation", [](const ActivationLayer& a) { return a.activation().name(); });

  py::class_<BatchNormalization, Layer, std::shared_ptr<BatchNormalization>>(m, "BatchNormalization")
      .def(py::init<double, double, bool, bool>(), py::arg("momentum") = 0.99, py::arg("epsilon") = 1e-3,
           py::arg("center") = true, py::arg("scale") = true)
      .def_property_readonly("momentum", &BatchNormalization::momentum)
      .def_property_readonly("epsilon", &BatchNormalization::epsilon)
      .def_property_readonly("center", &BatchNormalization::center)
      .def_property_readonly("scale", &BatchNormalization::scale);

  py::class_<PReLU, Layer, std::shared_ptr<PReLU>>(m, "PReLU")
      .def(py::init<Initializer>(), py::arg("alpha_initializer") = Initializer::zeros());
}

}  // namespace fastmlp::bindings
