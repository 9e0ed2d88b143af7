#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include "fastmlp/sequential.hpp"
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

py::list logs_to_list(const Logs& logs) {
  py::list out;
  for (const auto& [name, value] : logs) out.append(py::make_tuple(name, value));
  return out;
}

// Wraps the Python callbacks so that the training loop, which runs without the GIL, takes it only
// for these short calls. The batch hook always runs (throttled) so that Ctrl-C is noticed within
// about one progress interval even when Python asked for no progress reports.
// The Python batch-end hook returns whether to stop training (Keras's model.stop_training).
FitCallbacks python_callbacks(py::object on_batch_begin, py::object on_batch_end, py::object on_epoch_begin,
                              py::object on_epoch_end, double progress_interval) {
  FitCallbacks callbacks;
  callbacks.progress_interval = progress_interval;
  callbacks.on_batch_end = [on_batch_end](int epoch, Index done, Index batches, const Logs& running) {
    py::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
    if (on_batch_end.is_none()) return false;
    return py::bool_(on_batch_end(epoch, done, batches, logs_to_list(running))).cast<bool>();
  };
  if (!on_batch_begin.is_none())
    callbacks.on_batch_begin = [on_batch_begin](int epoch, Index batch) {
      py::gil_scoped_acquire gil;
      on_batch_begin(epoch, batch);
    };
  if (!on_epoch_begin.is_none())
    callbacks.on_epoch_begin = [on_epoch_begin](int epoch) {
      py::gil_scoped_acquire gil;
      on_epoch_begin(epoch);
    };
  if (!on_epoch_end.is_none())
    callbacks.on_epoch_end = [on_epoch_end](int epoch, const Logs& logs) {
      py::gil_scoped_acquire gil;
      return py::bool_(on_epoch_end(epoch, logs_to_list(logs))).cast<bool>();
    };
  return callbacks;
}

// pybind11 destroys py::object copies held by the std::functions when they go out of scope; make
// sure that happens with the GIL held by keeping the callbacks alive outside the released region.
History fit_without_gil(Sequential& model, ConstMatrixMap x, ConstMatrixMap y, const FitOptions& options,
                        const std::optional<Dataset>& validation, const FitCallbacks& callbacks,
                        const Scalar* sample_weight) {
  py::gil_scoped_release release;
  return model.fit(x, y, options, validation, callbacks, sample_weight);
}

}  // namespace

void register_model(py::module_& m) {
  py::class_<Sequential, std::shared_ptr<Sequential>>(m, "Sequential")
      .def(py::init<std::uint64_t>(), py::arg("seed") = 0x5eed)
      .def_property("name", &Sequential::name, &Sequential::set_name)
      .def(
          "add",
          [](Sequential& model, std::shared_ptr<Layer> layer) {
            TrainingGuard::require_idle(model, "add");
            model.add(std::move(layer));
          },
          py::arg("layer"))
      .def("pop",
           [](Sequential& model) {
             TrainingGuard::require_idle(model, "pop");
             model.pop();
           })
      .def_property_readonly("layers", &Sequential::layers)
      .def(
          "build",
          [](Sequential& model, Index input_dim) {
            TrainingGuard::require_idle(model, "build");
            model.build(input_dim);
          },
          py::arg("input_dim"))
      .def_property_readonly("built", &Sequential::built)
      .def_property_readonly("input_dim", &Sequential::input_dim)
      .def_property("sample_shape", &Sequential::sample_shape, &Sequential::set_sample_shape)
      .def_property_readonly("output_dim", &Sequential::output_dim)
      .def(
          "compile",
          [](Sequential& model, std::shared_ptr<Loss> loss, std::shared_ptr<Optimizer> optimizer,
             std::vector<std::string> metrics) {
            TrainingGuard::require_idle(model, "compile");
            model.compile(std::move(loss), std::move(optimizer), std::move(metrics));
          },
          py::arg("loss"), py::arg("optimizer"), py::arg("metrics"))
      .def_property_readonly("compiled", &Sequential::compiled)
      .def_property_readonly("loss", &Sequential::loss)
      .def_property_readonly("optimizer", &Sequential::optimizer)
      .def_property_readonly("metric_names", &Sequential::metric_names)
      .def("count_params", &Sequential::count_params)
      .def("set_seed", &Sequential::set_seed, py::arg("seed"))
      .def(
          "fit",
          [](Sequential& model, const FloatArray& x, const FloatArray& y, Index batch_size, int epochs,
             int initial_epoch, bool shuffle, const std::optional<FloatArray>& x_val,
             const std::optional<FloatArray>& y_val, py::object on_batch_end, py::object on_epoch_begin,
             py::object on_epoch_end, double progress_interval, const std::optional<WeightArray>& sample_weight,
             const std::optional<WeightArray>& val_sample_weight, py::object on_batch_begin) {
            std::optional<Dataset> validation;
            if (x_val && y_val) validation.emplace(Dataset{map_matrix(*x_val, "x_val"), map_matrix(*y_val, "y_val")});
            const TrainingGuard guard(model, "fit");
            const FitCallbacks callbacks = python_callbacks(on_batch_begin, on_batch_end, on_epoch_begin, on_epoch_end,
                                                            progress_interval);
            const ConstMatrixMap xs = map_matrix(x, "x");
            const Scalar* weights = weight_pointer(sample_weight, xs.rows(), "sample_weight");
            if (validation) validation->sample_weight = weight_pointer(val_sample_weight, validation->x.rows(), "val_sample_weight");
            const History history = fit_without_gil(model, xs, map_matrix(y, "y"),
                                                    FitOptions{batch_size, epochs, initial_epoch, shuffle}, validation,
                                                    callbacks, weights);
            py::dict values;
            for (const auto& [key, series] : history.history) values[py::str(key)] = series;
            return py::make_tuple(history.epochs, values);
          },
          py::arg("x").noconvert(), py::arg("y").noconvert(), py::arg("batch_size"), py::arg("epochs"),
          py::arg("initial_epoch"), py::arg("shuffle"), py::arg("x_val").noconvert() = py::none(),
          py::arg("y_val").noconvert() = py::none(), py::arg("on_batch_end") = py::none(),
          py::arg("on_epoch_begin") = py::none(), py::arg("on_epoch_end") = py::none(),
          py::arg("progress_interval") = 0.1, py::arg("sample_weight").noconvert() = py::none(),
          py::arg("val_sample_weight").noconvert() = py::none(), py::arg("on_batch_begin") = py::none())
      .def(
          "evaluate",
          [](const Sequential& model, const FloatArray& x, const FloatArray& y, Index batch_size,
             const std::optional<WeightArray>& sample_weight) {
            const ConstMatrixMap xs = map_matrix(x, "x"), ys = map_matrix(y, "y");
            const Scalar* weights = weight_pointer(sample_weight, xs.rows(), "sample_weight");
            Logs logs;
            {
              py::gil_scoped_release release;
              logs = model.evaluate(xs, ys, batch_size, weights);
            }
            return logs_to_list(logs);
          },
          py::arg("x").noconvert(), py::arg("y").noconvert(), py::arg("batch_size") = 0,
          py::arg("sample_weight").noconvert() = py::none())
      .def(
          "predict",
          [](const Sequential& model, const FloatArray& x, Index batch_size) {
            const ConstMatrixMap xs = map_matrix(x, "x");
            // The result is allocated once, as the NumPy array returned, and written in place.
            FloatArray out({xs.rows(), model.output_dim()});
            MatrixMap out_map(out.mutable_data(), xs.rows(), model.output_dim());
            {
              py::gil_scoped_release release;
              model.predict(xs, out_map, batch_size);
            }
            return out;
          },
          py::arg("x").noconvert(), py::arg("batch_size") = 0)
      .def(
          "call_training",
          [](Sequential& model, const FloatArray& x) {
            const ConstMatrixMap xs = map_matrix(x, "x");
            // It writes the layers' training buffers, as a training step does.
            const TrainingGuard guard(model, "model(x, training=True)");
            FloatArray out({xs.rows(), model.output_dim()});
            {
              py::gil_scoped_release release;
              MatrixMap(out.mutable_data(), xs.rows(), model.output_dim()) = model.call_training(xs);
            }
            return out;
          },
          py::arg("x").noconvert())
      .def(
          "train_on_batch",
          [](Sequential& model, const FloatArray& x, const FloatArray& y) {
            const ConstMatrixMap xs = map_matrix(x, "x"), ys = map_matrix(y, "y");
            const TrainingGuard guard(model, "train_on_batch");
            Logs logs;
            {
              py::gil_scoped_release release;
              logs = model.train_on_batch(xs, ys);
            }
            return logs_to_list(logs);
          },
          py::arg("x").noconvert(), py::arg("y").noconvert());
}

}  // namespace fastmlp::bindings
