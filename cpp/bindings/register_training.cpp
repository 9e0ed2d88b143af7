#include <pybind11/stl.h>

#include "fastmlp/losses.hpp"
#include "fastmlp/metrics.hpp"
#include "fastmlp/optimizers.hpp"
#include "fastmlp/parallel.hpp"
#include "numpy_views.hpp"
#include "registrations.hpp"

namespace fastmlp::bindings {

void register_training(py::module_& m) {
  py::class_<Loss, std::shared_ptr<Loss>>(m, "Loss")
      .def_property_readonly("name", &Loss::name)
      .def("target_columns", &Loss::target_columns, py::arg("output_units"));
  m.def("make_loss", &make_loss, py::arg("name"));
  m.def("loss_names", &loss_names);
  m.def("metric_names", &Metric::names);

  py::class_<Optimizer, std::shared_ptr<Optimizer>>(m, "Optimizer")
      .def_property_readonly("name", &Optimizer::name)
      .def_property("learning_rate", &Optimizer::learning_rate, &Optimizer::set_learning_rate)
      .def_property_readonly("iterations", &Optimizer::iterations)
      .def("slots", [](py::object self, size_t index) {
        py::list views;
        for (const auto& s : self.cast<Optimizer&>().slots(index)) views.append(readonly_numpy_view(s, self));
        return views;
      }, py::arg("index"));

  py::class_<SGD, Optimizer, std::shared_ptr<SGD>>(m, "SGD")
      .def(py::init<double, double, bool>(), py::arg("learning_rate") = 0.01, py::arg("momentum") = 0.0,
           py::arg("nesterov") = false)
      .def_property_readonly("momentum", &SGD::momentum)
      .def_property_readonly("nesterov", &SGD::nesterov);

  py::class_<Adam, Optimizer, std::shared_ptr<Adam>>(m, "Adam")
      .def(py::init<double, double, double, double>(), py::arg("learning_rate") = 0.001, py::arg("beta_1") = 0.9,
           py::arg("beta_2") = 0.999, py::arg("epsilon") = 1e-7)
      .def_property_readonly("beta_1", &Adam::beta_1)
      .def_property_readonly("beta_2", &Adam::beta_2)
      .def_property_readonly("epsilon", &Adam::epsilon);

  py::class_<RMSprop, Optimizer, std::shared_ptr<RMSprop>>(m, "RMSprop")
      .def(py::init<double, double, double, double, bool>(), py::arg("learning_rate") = 0.001, py::arg("rho") = 0.9,
           py::arg("momentum") = 0.0, py::arg("epsilon") = 1e-7, py::arg("centered") = false)
      .def_property_readonly("rho", &RMSprop::rho)
      .def_property_readonly("momentum", &RMSprop::momentum)
      .def_property_readonly("epsilon", &RMSprop::epsilon)
      .def_property_readonly("centered", &RMSprop::centered);

  m.def("make_optimizer", &make_optimizer, py::arg("name"));
  m.def("set_num_threads", &set_num_threads, py::arg("n"),
        "Threads for GEMMs and elementwise work; n <= 0 restores the default (OMP_NUM_THREADS or all cores).");
  m.def("get_num_threads", &get_num_threads);
}

}  // namespace fastmlp::bindings
