// The traced graph's builder (fastmlp.ops records into it while Python traces a user's layer, loss
// or metric) and a one-shot runner that tests use to check every primitive against NumPy and finite
// differences.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include "config_cast.hpp"
#include "fastmlp/graph/graph.hpp"
#include "registrations.hpp"

namespace fastmlp::bindings {
namespace {

graph::Dims dims_of(const std::vector<Index>& dims) { return graph::Dims::of(dims, "shape"); }

template <class Scalar>
using Array = py::array_t<Scalar, py::array::c_style | py::array::forcecast>;

template <class Scalar>
py::array_t<Scalar> to_array(const graph::ConstTensorOf<Scalar>& t) {
  std::vector<py::ssize_t> shape(t.dims.d.begin(), t.dims.d.begin() + t.dims.rank);
  py::array_t<Scalar> out(shape);
  std::copy(t.data, t.data + t.dims.size(), out.mutable_data());
  return out;
}

// (outputs, input gradients, weight gradients) of one forward and, given output gradients, one
// backward pass: for tests, not for training (which runs inside the layers, losses and metrics).
template <class Scalar>
py::tuple run(const graph::GraphSpec& spec, const std::vector<Array<Scalar>>& inputs,
              const std::vector<Array<Scalar>>& weights, const std::vector<Array<Scalar>>& output_grads) {
  if (inputs.size() != spec.inputs().size() || weights.size() != spec.weights().size())
    throw std::invalid_argument("run: the graph takes " + std::to_string(spec.inputs().size()) + " inputs and " +
                                std::to_string(spec.weights().size()) + " weights");
  graph::GraphOf<Scalar> g(spec);
  Index rows = inputs.empty() ? 1 : static_cast<Index>(inputs[0].shape(0));
  std::vector<const Scalar*> input_data;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const graph::Dims expected = spec.shape(spec.inputs()[i]).concrete(rows);
    if (static_cast<Index>(inputs[i].size()) != expected.size())
      throw std::invalid_argument("run: input " + std::to_string(i) + " must have shape " + expected.str());
    input_data.push_back(inputs[i].data());
  }
  std::vector<std::vector<Scalar>> weight_grads(weights.size());
  for (size_t w = 0; w < weights.size(); ++w) {
    if (static_cast<Index>(weights[w].size()) != spec.weights()[w].shape.size())
      throw std::invalid_argument("run: weight " + std::to_string(w) + " must have shape " +
                                  spec.weights()[w].shape.str());
    weight_grads[w].resize(weights[w].size());
    g.bind_weight(w, weights[w].data(), weight_grads[w].data());
  }
  py::list outputs, input_grads, weight_grad_list;
  {
    py::gil_scoped_release release;
    g.forward(input_data.data(), rows);
  }
  for (size_t k = 0; k < spec.outputs().size(); ++k) outputs.append(to_array(g.output(k)));
  if (!output_grads.empty()) {
    if (output_grads.size() != spec.outputs().size())
      throw std::invalid_argument("run: one gradient per output is needed");
    std::vector<const Scalar*> seeds;
    for (size_t k = 0; k < output_grads.size(); ++k) {
      if (static_cast<Index>(output_grads[k].size()) != g.output(k).dims.size())
        throw std::invalid_argument("run: output gradient " + std::to_string(k) + " has the wrong size");
      seeds.push_back(output_grads[k].data());
    }
    {
      py::gil_scoped_release release;
      g.backward(seeds.data(), std::vector<bool>(inputs.size(), true));
    }
    for (size_t i = 0; i < inputs.size(); ++i) {
      const Scalar* grad = g.input_gradient(i);
      graph::Dims dims = spec.shape(spec.inputs()[i]).concrete(rows);
      if (grad == nullptr) {
        input_grads.append(py::none());
      } else {
        input_grads.append(to_array(graph::ConstTensorOf<Scalar>{grad, dims}));
      }
    }
    for (size_t w = 0; w < weights.size(); ++w)
      weight_grad_list.append(to_array(graph::ConstTensorOf<Scalar>{weight_grads[w].data(), spec.weights()[w].shape}));
  }
  return py::make_tuple(outputs, input_grads, weight_grad_list);
}

}  // namespace

void register_graph(py::module_& m) {
  py::module_ g = m.def_submodule("graph", "Traced graphs: what fastmlp.ops records users' layers, losses and metrics into.");
  py::class_<graph::GraphSpec>(g, "Spec")
      .def(py::init<>())
      .def("add_input", [](graph::GraphSpec& s, const std::vector<Index>& shape) { return s.add_input(dims_of(shape)); })
      .def("add_weight",
           [](graph::GraphSpec& s, std::string name, const std::vector<Index>& shape, py::handle initializer,
              py::handle regularizer, bool trainable, py::handle constraint) {
             return s.add_weight({std::move(name), dims_of(shape), from_python(initializer, "initializer"),
                                  from_python(regularizer, "regularizer"), from_python(constraint, "constraint"),
                                  trainable});
           },
           py::arg("name"), py::arg("shape"), py::arg("initializer"), py::arg("regularizer"), py::arg("trainable"),
           py::arg("constraint") = py::none())
      .def("add_constant",
           [](graph::GraphSpec& s, const Array<double>& values, const std::vector<Index>& shape) {
             return s.add_constant(std::vector<double>(values.data(), values.data() + values.size()), dims_of(shape));
           })
      .def("add",
           [](graph::GraphSpec& s, const std::string& op, const std::vector<int>& inputs, py::handle attrs) {
             return s.add(op, inputs, from_python(attrs, op + " attributes"));
           },
           py::arg("op"), py::arg("inputs"), py::arg("attrs") = py::none())
      .def("shape", [](const graph::GraphSpec& s, int node) { return s.shape(node).to_vector(); })
      .def("set_outputs", &graph::GraphSpec::set_outputs)
      .def_property_readonly("outputs", &graph::GraphSpec::outputs)
      .def_property_readonly("inputs", &graph::GraphSpec::inputs)
      .def_property_readonly("node_count", [](const graph::GraphSpec& s) { return s.nodes().size(); })
      .def_property_readonly("weight_count", [](const graph::GraphSpec& s) { return s.weights().size(); })
      .def_property_readonly("config", [](const graph::GraphSpec& s) { return to_python(s.to_config()); })
      .def_static("from_config",
                  [](py::handle config) { return graph::GraphSpec::from_config(from_python(config), "graph"); });
  g.def("run", &run<float>, py::arg("spec"), py::arg("inputs"), py::arg("weights"),
        py::arg("output_grads") = std::vector<Array<float>>{});
  g.def("run_float64", &run<double>, py::arg("spec"), py::arg("inputs"), py::arg("weights"),
        py::arg("output_grads") = std::vector<Array<double>>{});
  g.def("op_names", &graph::primitive_names);
}

}  // namespace fastmlp::bindings
