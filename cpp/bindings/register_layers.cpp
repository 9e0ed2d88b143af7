// Layers: created from their configs through the layer registry; their weights reach Python as
// NumPy views on the C++ memory.
#include <pybind11/stl.h>

#include "fastmlp/layer.hpp"
#include "fastmlp/layers/dense.hpp"
#include "fastmlp/layers/normalization.hpp"
#include "gil.hpp"
#include "kind_bindings.hpp"
#include "numpy_views.hpp"
#include "registrations.hpp"

namespace fastmlp::bindings {
namespace {

RegularizerPtr regularizer_from(py::object value, const char* what) {
  if (value.is_none()) return nullptr;
  return Registry<Regularizer>::instance().deserialize(from_python(value, what), what);
}

}  // namespace

template <class Scalar>
void register_layers(py::module_& m) {
  using Layer = LayerOf<Scalar>;
  using Dense = DenseOf<Scalar>;
  using Normalization = NormalizationOf<Scalar>;
  bind_registry<Layer>(m, "layer");
  bind_kind<Layer>(m, "Layer")
      .def_property_readonly("dtype", [](const Layer&) { return dtype_name<Scalar>(); })
      .def_property("name", &Layer::name, &Layer::set_name)
      .def_property("trainable", &Layer::trainable, &Layer::set_trainable)
      .def_property_readonly("built", &Layer::built)
      .def_property_readonly("input_dim", &Layer::input_dim)
      .def_property_readonly("output_dim", &Layer::output_dim)
      .def("count_params", &Layer::count_params)
      // A layer made outside a model (a copy) is built here, from a generator of its own.
      .def("build", [](Layer& layer, Index input_dim, std::uint64_t seed) {
        Rng rng(seed);
        layer.build(input_dim, rng);
      }, py::arg("input_dim"), py::arg("seed"))
      // For a layer called on several tensors (a merge layer) too: one width per input.
      .def("build_inputs", [](Layer& layer, const std::vector<Index>& input_dims, std::uint64_t seed) {
        Rng rng(seed);
        layer.build_inputs(input_dims, rng);
      }, py::arg("input_dims"), py::arg("seed"))
      .def_property_readonly("takes_list", &Layer::takes_list)
      .def_property_readonly("input_dims", [](const Layer& layer) {
        std::vector<Index> dims;
        if (layer.built())
          for (size_t i = 0; i < layer.input_count(); ++i) dims.push_back(layer.input_dim_of(i));
        return dims;
      })
      // Views on the C++ tensors, trainable first then the rest (Keras's weights order): writing
      // into them changes the model.
      .def_property_readonly("weights",
                             [](py::object self) {
                               Layer& layer = self.cast<Layer&>();
                               py::list views;
                               for (const auto& p : layer.parameters())
                                 views.append(py::make_tuple(p.name, numpy_view(*p.value, self)));
                               for (const auto& p : layer.non_trainable())
                                 views.append(py::make_tuple(p.name, numpy_view(*p.value, self)));
                               return views;
                             })
      .def_property_readonly("parameter_count", [](Layer& layer) { return layer.parameters().size(); })
      // Read-only views on the gradients of the last backward pass.
      .def_property_readonly("gradients", [](py::object self) {
        py::list views;
        for (const auto& p : self.cast<Layer&>().parameters())
          views.append(py::make_tuple(p.name, readonly_numpy_view(*p.gradient, self)));
        return views;
      });

  // Keras lets a script assign a Dense layer's weight penalties after construction.
  py::class_<Dense, Layer, std::shared_ptr<Dense>>(m, "Dense")
      .def("set_kernel_regularizer",
           [](Dense& dense, py::object value) { dense.set_kernel_regularizer(regularizer_from(value, "kernel_regularizer")); },
           py::arg("regularizer"))
      .def("set_bias_regularizer",
           [](Dense& dense, py::object value) { dense.set_bias_regularizer(regularizer_from(value, "bias_regularizer")); },
           py::arg("regularizer"));

  // Keras's Normalization.adapt and its mean and variance, broadcast to (1, features).
  py::class_<Normalization, Layer, std::shared_ptr<Normalization>>(m, "Normalization")
      .def("adapt",
           [](Normalization& layer, const ArrayOf<Scalar>& data) {
             const ConstMatrixMapOf<Scalar> values = map_matrix(data, "data");
             const GilReleased released;
             layer.adapt(values);
           },
           py::arg("data").noconvert())
      .def_property_readonly("mean", [](const Normalization& layer) { return to_array(layer.mean()); })
      .def_property_readonly("variance", [](const Normalization& layer) { return to_array(layer.variance()); });
}

template void register_layers<float>(py::module_&);
template void register_layers<double>(py::module_&);

}  // namespace fastmlp::bindings
