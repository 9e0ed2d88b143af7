// Sequential and FitOptions. fit, evaluate, predict and train_on_batch run without the GIL; fit
// calls back into Python between batches and epochs with the logs as dicts.
#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include "config_cast.hpp"
#include "fastmlp/sequential.hpp"
#include "gil.hpp"
#include "numpy_views.hpp"
#include "registrations.hpp"
#include "training_guard.hpp"

namespace fastmlp::bindings {
namespace {

using WeightArray = py::array_t<Scalar, py::array::c_style>;

// A 1-D float32 array of one weight per sample, or null.
const Scalar* weight_pointer(const std::optional<WeightArray>& weights, Index rows, const char* name) {
  if (!weights) return nullptr;
  if (weights->ndim() != 1 || weights->shape(0) != rows)
    throw py::value_error(std::string(name) + " must be a 1-D array with one weight per sample (" +
                          std::to_string(rows) + ")");
  return weights->data();
}

py::dict logs_to_dict(const Logs& logs) {
  py::dict out;
  for (const auto& [name, value] : logs) out[py::str(name)] = value;
  return out;
}

// Wraps the Python callbacks so that the training loop, which runs without the GIL, takes it only
// for these short calls. The batch hook always runs (throttled) so that Ctrl-C is noticed within
// about one progress interval even when Python asked for no progress reports. The batch-end and
// epoch-end hooks return whether to stop training (Keras's model.stop_training).
// [issue 13] fit calls them on the thread that called it, whose thread state they take back
// (gil.hpp: safe at interpreter exit).
FitCallbacks python_callbacks(py::object on_batch_begin, py::object on_batch_end, py::object on_epoch_begin,
                              py::object on_epoch_end, double progress_interval) {
  PyThreadState* const thread = PyThreadState_Get();
  FitCallbacks callbacks;
  callbacks.progress_interval = progress_interval;
  callbacks.on_batch_end = [on_batch_end, thread](int epoch, Index done, Index, const Logs& running) {
    const GilForCallback gil(thread);
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
    if (on_batch_end.is_none()) return false;
    return py::bool_(call_python(on_batch_end, epoch, done - 1, logs_to_dict(running))).cast<bool>();
  };
  if (!on_batch_begin.is_none())
    callbacks.on_batch_begin = [on_batch_begin, thread](int epoch, Index batch) {
      const GilForCallback gil(thread);
      call_python(on_batch_begin, epoch, batch);
    };
  if (!on_epoch_begin.is_none())
    callbacks.on_epoch_begin = [on_epoch_begin, thread](int epoch) {
      const GilForCallback gil(thread);
      call_python(on_epoch_begin, epoch);
    };
  if (!on_epoch_end.is_none())
    callbacks.on_epoch_end = [on_epoch_end, thread](int epoch, const Logs& logs) {
      const GilForCallback gil(thread);
      return py::bool_(call_python(on_epoch_end, epoch, logs_to_dict(logs))).cast<bool>();
    };
  return callbacks;
}

void register_fit_options(py::module_& m) {
  py::class_<FitOptions>(m, "FitOptions")
      .def(py::init([](Index batch_size, int epochs, int initial_epoch, bool shuffle) {
             return FitOptions{batch_size, epochs, initial_epoch, shuffle};
           }),
           py::arg("batch_size") = FitOptions{}.batch_size, py::arg("epochs") = FitOptions{}.epochs,
           py::arg("initial_epoch") = FitOptions{}.initial_epoch, py::arg("shuffle") = FitOptions{}.shuffle)
      .def_readwrite("batch_size", &FitOptions::batch_size)
      .def_readwrite("epochs", &FitOptions::epochs)
      .def_readwrite("initial_epoch", &FitOptions::initial_epoch)
      .def_readwrite("shuffle", &FitOptions::shuffle)
      .def("batches", &FitOptions::batches, py::arg("rows"));
}

// add, pop, build and compile, which are refused while the model trains.
void bind_structure(py::class_<Sequential, std::shared_ptr<Sequential>>& model) {
  model
      .def("add",
           [](Sequential& self, std::shared_ptr<Layer> layer) {
             TrainingGuard::require_idle(self, "add");
             self.add(std::move(layer));
           },
           py::arg("layer"))
      .def("pop",
           [](Sequential& self) {
             TrainingGuard::require_idle(self, "pop");
             self.pop();
           })
      .def("build",
           [](Sequential& self, std::optional<Index> input_dim) {
             TrainingGuard::require_idle(self, "build");
             if (input_dim)
               self.build(*input_dim);
             else
               self.build();
           },
           py::arg("input_dim") = py::none())
      .def_property("input_shape", &Sequential::input_shape,
                    [](Sequential& self, std::vector<Index> shape) {
                      TrainingGuard::require_idle(self, "input_shape");
                      self.set_input_shape(std::move(shape));
                    })
      .def("compile",
           [](Sequential& self, std::shared_ptr<Loss> loss, std::shared_ptr<Optimizer> optimizer,
              std::vector<std::shared_ptr<Metric>> metrics) {
             TrainingGuard::require_idle(self, "compile");
             self.compile(std::move(loss), std::move(optimizer), {metrics.begin(), metrics.end()});
           },
           py::arg("loss"), py::arg("optimizer"), py::arg("metrics"))
      .def("clear_compile", [](Sequential& self) {
        TrainingGuard::require_idle(self, "clear_compile");
        self.clear_compile();
      });
}

void bind_training(py::class_<Sequential, std::shared_ptr<Sequential>>& model) {
  model
      .def("fit",
           [](Sequential& self, const FloatArray& x, const FloatArray& y, const FitOptions& options,
              const std::optional<FloatArray>& x_val, const std::optional<FloatArray>& y_val,
              py::object on_batch_begin, py::object on_batch_end, py::object on_epoch_begin, py::object on_epoch_end,
              double progress_interval, const std::optional<WeightArray>& sample_weight,
              const std::optional<WeightArray>& val_sample_weight, Communicator* communicator, bool sharded) {
             const ConstMatrixMap xs = map_matrix(x, "x"), ys = map_matrix(y, "y");
             std::optional<Dataset> validation;
             if (x_val && y_val) {
               const ConstMatrixMap xv = map_matrix(*x_val, "x_val");
               // emplace: a Dataset holds maps, which can be constructed but not assigned.
               validation.emplace(Dataset{xv, map_matrix(*y_val, "y_val"),
                                          weight_pointer(val_sample_weight, xv.rows(), "validation sample_weight")});
             }
             const Scalar* weights = weight_pointer(sample_weight, xs.rows(), "sample_weight");
             const TrainingGuard guard(self, "fit");
             FitOptions distributed = options;  // the communicator, a Python object, lives for this call
             distributed.distribution = {communicator, sharded};
             // The callbacks hold py::objects: they are made and destroyed here, with the GIL held.
             const FitCallbacks callbacks =
                 python_callbacks(on_batch_begin, on_batch_end, on_epoch_begin, on_epoch_end, progress_interval);
             const GilReleased released;  // [issue 13] gil.hpp: not py::gil_scoped_release
             self.fit(xs, ys, distributed, validation, callbacks, weights);
           },
           py::arg("x").noconvert(), py::arg("y").noconvert(), py::arg("options"),
           py::arg("x_val").noconvert() = py::none(), py::arg("y_val").noconvert() = py::none(),
           py::arg("on_batch_begin") = py::none(), py::arg("on_batch_end") = py::none(),
           py::arg("on_epoch_begin") = py::none(), py::arg("on_epoch_end") = py::none(),
           py::arg("progress_interval") = 0.1, py::arg("sample_weight").noconvert() = py::none(),
           py::arg("val_sample_weight").noconvert() = py::none(), py::arg("communicator") = nullptr,
           py::arg("sharded") = false)
      .def("evaluate",
           [](const Sequential& self, const FloatArray& x, const FloatArray& y, Index batch_size,
              const std::optional<WeightArray>& sample_weight, Communicator* communicator, bool sharded) {
             const ConstMatrixMap xs = map_matrix(x, "x"), ys = map_matrix(y, "y");
             const Scalar* weights = weight_pointer(sample_weight, xs.rows(), "sample_weight");
             Logs logs;
             {
               const GilReleased released;
               logs = self.evaluate(xs, ys, batch_size, weights, Distribution{communicator, sharded});
             }
             return logs_to_dict(logs);
           },
           py::arg("x").noconvert(), py::arg("y").noconvert(), py::arg("batch_size") = 0,
           py::arg("sample_weight").noconvert() = py::none(), py::arg("communicator") = nullptr,
           py::arg("sharded") = false)
      .def("predict",
           [](const Sequential& self, const FloatArray& x, Index batch_size) {
             const ConstMatrixMap xs = map_matrix(x, "x");
             // [issue 13] Held from here, so that the output keeps the width it is allocated with. With
             // the GIL held this cannot wait on a Python thread: those change the structure holding it.
             const auto reading = self.hold_structure();
             // The result is allocated once, as the NumPy array returned, and written in place.
             FloatArray out({xs.rows(), self.output_dim()});
             MatrixMap out_map(out.mutable_data(), xs.rows(), self.output_dim());
             {
               const GilReleased released;
               self.predict(xs, out_map, batch_size);
             }
             return out;
           },
           py::arg("x").noconvert(), py::arg("batch_size") = 0)
      .def("call_training",
           [](Sequential& self, const FloatArray& x) {
             const ConstMatrixMap xs = map_matrix(x, "x");
             // It writes the layers' training buffers, as a training step does.
             const TrainingGuard guard(self, "model(x, training=True)");
             FloatArray out({xs.rows(), self.output_dim()});
             {
               const GilReleased released;
               MatrixMap(out.mutable_data(), xs.rows(), self.output_dim()) = self.call_training(xs);
             }
             return out;
           },
           py::arg("x").noconvert())
      .def("train_on_batch",
           [](Sequential& self, const FloatArray& x, const FloatArray& y) {
             const ConstMatrixMap xs = map_matrix(x, "x"), ys = map_matrix(y, "y");
             const TrainingGuard guard(self, "train_on_batch");
             Logs logs;
             {
               const GilReleased released;
               logs = self.train_on_batch(xs, ys);
             }
             return logs_to_dict(logs);
           },
           py::arg("x").noconvert(), py::arg("y").noconvert());
}

}  // namespace

void register_model(py::module_& m) {
  register_fit_options(m);
  py::class_<Sequential, std::shared_ptr<Sequential>> model(m, "Sequential");
  model.def(py::init<std::uint64_t>(), py::arg("seed") = 0x5eed)
      .def_property("name", &Sequential::name, &Sequential::set_name)
      .def_property_readonly("layers", &Sequential::layers)
      .def_property_readonly("built", &Sequential::built)
      .def_property_readonly("input_dim", &Sequential::input_dim)
      .def_property_readonly("output_dim", &Sequential::output_dim)
      .def_property_readonly("compiled", &Sequential::compiled)
      .def_property_readonly("loss", [](const Sequential& self) { return std::const_pointer_cast<Loss>(self.loss()); })
      .def_property_readonly("optimizer", &Sequential::optimizer)
      .def_property_readonly("metrics",
                             [](const Sequential& self) {
                               std::vector<std::shared_ptr<Metric>> metrics;
                               for (const auto& metric : self.metrics()) metrics.push_back(std::const_pointer_cast<Metric>(metric));
                               return metrics;
                             })
      .def_property_readonly("log_names", &Sequential::log_names)
      .def("count_params", &Sequential::count_params)
      .def("set_seed", &Sequential::set_seed, py::arg("seed"))
      .def_property_readonly("config", [](const Sequential& self) { return to_python(self.config()); });
  bind_structure(model);
  bind_training(model);
}

}  // namespace fastmlp::bindings
