// Model (a graph of layer calls), Sequential (its chain case) and FitOptions. Data crosses as lists of
// arrays, one per model input and per output. fit, evaluate, predict and train_on_batch run without
// the GIL and call back into Python between batches with the logs as dicts.
#include <algorithm>

#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include "config_cast.hpp"
#include "fastmlp/layers/model_layer.hpp"
#include "fastmlp/sequential.hpp"
#include "gil.hpp"
#include "numpy_views.hpp"
#include "sparse_arrays.hpp"
#include "registrations.hpp"
#include "training_guard.hpp"

namespace fastmlp::bindings {
namespace {

// The arrays of a model of scalar Scalar: float32 ones for a float model, float64 for a double one.
template <class Scalar>
using ArraysOf = std::vector<ArrayOf<Scalar>>;
template <class Scalar>
using InputsOf = std::vector<InputArrayOf<Scalar>>;  // an array or a CsrMatrix per model input

// A 1-D array of one weight per sample, or null.
template <class Scalar>
const Scalar* weight_pointer(const std::optional<ArrayOf<Scalar>>& weights, Index rows, const char* name) {
  if (!weights) return nullptr;
  if (weights->ndim() != 1 || weights->shape(0) != rows)
    throw py::value_error(std::string(name) + " must be a 1-D array with one weight per sample (" +
                          std::to_string(rows) + ")");
  return weights->data();
}

template <class Scalar>
std::vector<ConstMatrixMapOf<Scalar>> map_all(const ArraysOf<Scalar>& arrays, const char* name) {
  std::vector<ConstMatrixMapOf<Scalar>> maps;
  for (const ArrayOf<Scalar>& array : arrays) maps.push_back(map_matrix(array, name));
  return maps;
}

// A number as a float; one value per threshold as an array of the model's dtype, of shape
// (thresholds,), as Keras logs a confusion metric given several thresholds.
template <class Scalar>
py::object log_to_python(const LogValue& value) {
  if (!value.is_vector()) return py::float_(value.number());
  const std::vector<double>& values = value.values();
  py::array_t<Scalar> out(static_cast<py::ssize_t>(values.size()));
  std::transform(values.begin(), values.end(), out.mutable_data(), [](double v) { return static_cast<Scalar>(v); });
  return std::move(out);
}

template <class Scalar>
std::vector<InputMatrixOf<Scalar>> map_inputs(const InputsOf<Scalar>& arrays, const char* name) {
  std::vector<InputMatrixOf<Scalar>> maps;
  for (const InputArrayOf<Scalar>& array : arrays) maps.push_back(map_input(array, name));
  return maps;
}

template <class Scalar>
py::dict logs_to_dict(const Logs& logs) {
  py::dict out;
  for (const auto& [name, value] : logs) out[py::str(name)] = log_to_python<Scalar>(value);
  return out;
}

// [issue 26] Between batches of predict, evaluate and fit's validation (throttled by the core): takes
// the GIL and lets Python run its signal handlers, so that Ctrl-C raises KeyboardInterrupt there.
std::function<void()> interrupt_check(PyThreadState* thread) {
  return [thread]() {
    const GilForCallback gil(thread);
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
  };
}

// Evaluation hooks that take the GIL for their short calls; unset where Python passes None. They run
// on the thread that made them (evaluate's, or fit's for its validation), whose thread state they
// take back: [issue 13] gil.hpp, safe at interpreter exit.
template <class Scalar>
EvaluateCallbacks python_evaluate_callbacks(py::object on_begin, py::object on_end, py::object on_batch_begin,
                                            py::object on_batch_end) {
  PyThreadState* const thread = PyThreadState_Get();
  EvaluateCallbacks callbacks;
  callbacks.check_interrupt = interrupt_check(thread);
  if (!on_begin.is_none())
    callbacks.on_begin = [on_begin, thread]() {
      const GilForCallback gil(thread);
      call_python(on_begin);
    };
  if (!on_end.is_none())
    callbacks.on_end = [on_end, thread](const Logs& logs) {
      const GilForCallback gil(thread);
      call_python(on_end, logs_to_dict<Scalar>(logs));
    };
  if (!on_batch_begin.is_none())
    callbacks.on_batch_begin = [on_batch_begin, thread](Index batch) {
      const GilForCallback gil(thread);
      call_python(on_batch_begin, batch);
    };
  if (!on_batch_end.is_none())
    callbacks.on_batch_end = [on_batch_end, thread](Index batch, const Logs& logs) {
      const GilForCallback gil(thread);
      call_python(on_batch_end, batch, logs_to_dict<Scalar>(logs));
    };
  return callbacks;
}

// Wraps the Python callbacks so that the training loop, which runs without the GIL, takes it only
// for these short calls. The batch hook always runs (throttled) so that Ctrl-C is noticed within
// about one progress interval even when Python asked for no progress reports. The batch-end and
// epoch-end hooks return whether to stop training (Keras's model.stop_training).
// [issue 13] fit calls them on the thread that called it, whose thread state they take back
// (gil.hpp: safe at interpreter exit).
template <class Scalar>
FitCallbacks python_callbacks(py::object on_batch_begin, py::object on_batch_end, py::object on_epoch_begin,
                              py::object on_epoch_end, double progress_interval, const py::dict& validation) {
  PyThreadState* const thread = PyThreadState_Get();
  FitCallbacks callbacks;
  callbacks.progress_interval = progress_interval;
  callbacks.on_batch_end = [on_batch_end, thread](int epoch, Index done, Index, const Logs& running) {
    const GilForCallback gil(thread);
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
    if (on_batch_end.is_none()) return false;
    return py::bool_(call_python(on_batch_end, epoch, done - 1, logs_to_dict<Scalar>(running))).cast<bool>();
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
      return py::bool_(call_python(on_epoch_end, epoch, logs_to_dict<Scalar>(logs))).cast<bool>();
    };
  const auto hook = [&validation](const char* name) {
    return validation.contains(name) ? py::object(validation[name]) : py::object(py::none());
  };
  callbacks.validation = python_evaluate_callbacks<Scalar>(hook("on_begin"), hook("on_end"),
                                                           hook("on_batch_begin"), hook("on_batch_end"));
  return callbacks;
}

}  // namespace

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

namespace {

template <class Scalar>
using ModelClassOf = py::class_<ModelOf<Scalar>, std::shared_ptr<ModelOf<Scalar>>>;

// The graph and the compile state, which are refused while the model trains.
template <class Scalar>
void bind_structure(ModelClassOf<Scalar>& model) {
  using Model = ModelOf<Scalar>;
  model
      .def("input",
           [](Model& self, std::vector<Index> shape, std::string name) {
             TrainingGuard::require_idle(self, "input");
             return self.input(std::move(shape), std::move(name)).id;
           },
           py::arg("shape"), py::arg("name") = "")
      .def("call",
           [](Model& self, std::shared_ptr<LayerOf<Scalar>> layer, const std::vector<size_t>& inputs) {
             TrainingGuard::require_idle(self, "call");
             std::vector<Tensor> tensors;
             for (const size_t id : inputs) tensors.push_back(Tensor{id});
             return self.call(std::move(layer), tensors).id;
           },
           py::arg("layer"), py::arg("inputs"))
      .def("set_outputs",
           [](Model& self, const std::vector<size_t>& outputs) {
             TrainingGuard::require_idle(self, "set_outputs");
             std::vector<Tensor> tensors;
             for (const size_t id : outputs) tensors.push_back(Tensor{id});
             self.set_outputs(std::move(tensors));
           },
           py::arg("outputs"))
      .def("compile",
           [](Model& self, std::vector<std::shared_ptr<Loss>> losses, std::shared_ptr<Optimizer> optimizer,
              std::vector<std::vector<std::shared_ptr<Metric>>> metrics, std::vector<double> loss_weights) {
             TrainingGuard::require_idle(self, "compile");
             std::vector<std::vector<MetricPtr>> lists;
             for (auto& list : metrics) lists.emplace_back(list.begin(), list.end());
             self.compile({losses.begin(), losses.end()}, std::move(optimizer), std::move(lists),
                          std::move(loss_weights));
           },
           py::arg("losses"), py::arg("optimizer"), py::arg("metrics"), py::arg("loss_weights"))
      .def("clear_compile", [](Model& self) {
        TrainingGuard::require_idle(self, "clear_compile");
        self.clear_compile();
      });
}

template <class Scalar>
void bind_training(ModelClassOf<Scalar>& model) {
  using Model = ModelOf<Scalar>;
  using Datasets = DatasetsOf<Scalar>;
  using Arrays = ArraysOf<Scalar>;
  using Inputs = InputsOf<Scalar>;
  using WeightArray = ArrayOf<Scalar>;
  using MatrixMap = MatrixMapOf<Scalar>;
  model
      .def("fit",
           [](Model& self, const Inputs& x, const Arrays& y, const FitOptions& options, const std::optional<Inputs>& x_val,
              const std::optional<Arrays>& y_val, py::object on_batch_begin, py::object on_batch_end,
              py::object on_epoch_begin, py::object on_epoch_end, double progress_interval,
              const std::optional<WeightArray>& sample_weight, const std::optional<WeightArray>& val_sample_weight,
              const py::dict& validation_hooks, Communicator* communicator, bool sharded) {
             Datasets data{map_inputs(x, "x"), map_all(y, "y"), nullptr};
             if (data.x.empty()) throw py::value_error("fit needs at least one input array");
             data.sample_weight = weight_pointer(sample_weight, data.x[0].rows(), "sample_weight");
             std::optional<Datasets> validation;
             if (x_val && y_val) {
               validation = Datasets{map_inputs(*x_val, "x_val"), map_all(*y_val, "y_val"), nullptr};
               if (validation->x.empty()) throw py::value_error("validation data needs at least one input array");
               validation->sample_weight =
                   weight_pointer(val_sample_weight, validation->x[0].rows(), "validation sample_weight");
             }
             const TrainingGuard guard(self, "fit");
             // The callbacks hold py::objects: they are made and destroyed here, with the GIL held.
             const FitCallbacks callbacks = python_callbacks<Scalar>(on_batch_begin, on_batch_end, on_epoch_begin,
                                                                     on_epoch_end, progress_interval, validation_hooks);
             FitOptions distributed = options;  // the communicator, a Python object, lives for this call
             distributed.distribution = {communicator, sharded};
             const GilReleased released;  // [issue 13] gil.hpp: not py::gil_scoped_release
             self.fit(data, distributed, validation, callbacks);
           },
           py::arg("x").noconvert(), py::arg("y").noconvert(), py::arg("options"),
           py::arg("x_val").noconvert() = py::none(), py::arg("y_val").noconvert() = py::none(),
           py::arg("on_batch_begin") = py::none(), py::arg("on_batch_end") = py::none(),
           py::arg("on_epoch_begin") = py::none(), py::arg("on_epoch_end") = py::none(),
           py::arg("progress_interval") = 0.1, py::arg("sample_weight").noconvert() = py::none(),
           py::arg("val_sample_weight").noconvert() = py::none(), py::arg("validation_hooks") = py::dict(),
           py::arg("communicator") = nullptr, py::arg("sharded") = false)
      .def("evaluate",
           [](const Model& self, const Inputs& x, const Arrays& y, Index batch_size,
              const std::optional<WeightArray>& sample_weight, py::object on_batch_begin, py::object on_batch_end,
              Communicator* communicator, bool sharded) {
             Datasets data{map_inputs(x, "x"), map_all(y, "y"), nullptr};
             if (data.x.empty()) throw py::value_error("evaluate needs at least one input array");
             data.sample_weight = weight_pointer(sample_weight, data.x[0].rows(), "sample_weight");
             const EvaluateCallbacks callbacks =
                 python_evaluate_callbacks<Scalar>(py::none(), py::none(), on_batch_begin, on_batch_end);
             Logs logs;
             {
               const GilReleased released;
               logs = self.evaluate(data, batch_size, &callbacks, Distribution{communicator, sharded});
             }
             return logs_to_dict<Scalar>(logs);
           },
           py::arg("x").noconvert(), py::arg("y").noconvert(), py::arg("batch_size") = 0,
           py::arg("sample_weight").noconvert() = py::none(), py::arg("on_batch_begin") = py::none(),
           py::arg("on_batch_end") = py::none(), py::arg("communicator") = nullptr, py::arg("sharded") = false)
      .def("predict",
           [](const Model& self, const Inputs& x, Index batch_size, py::object on_batch_begin,
              py::object on_batch_end) {
             const std::vector<InputMatrixOf<Scalar>> xs = map_inputs(x, "x");
             if (xs.empty()) throw py::value_error("predict needs at least one input array");
             if (!self.built()) throw py::value_error("predict: the model is not built");
             // [issue 13] Held from here, so that the outputs keep the widths they are allocated with. With
             // the GIL held this cannot wait on a Python thread: those change the structure holding it.
             const auto reading = self.hold_structure();
             // The results are allocated once, as the NumPy arrays returned, and written in place.
             py::list outputs;
             std::vector<MatrixMap> maps;
             for (size_t o = 0; o < self.output_count(); ++o) {
               ArrayOf<Scalar> out({xs[0].rows(), self.output_dim(o)});
               maps.emplace_back(out.mutable_data(), xs[0].rows(), self.output_dim(o));
               outputs.append(out);
             }
             PredictCallbacks callbacks;
             PyThreadState* const thread = PyThreadState_Get();
             callbacks.check_interrupt = interrupt_check(thread);
             if (!on_batch_begin.is_none())
               callbacks.on_batch_begin = [on_batch_begin, thread](Index batch) {
                 const GilForCallback gil(thread);
                 call_python(on_batch_begin, batch);
               };
             if (!on_batch_end.is_none())
               callbacks.on_batch_end = [on_batch_end, outputs, thread](Index batch, Index first, Index end) {
                 const GilForCallback gil(thread);
                 py::list rows;
                 for (const py::handle out : outputs) rows.append(out[py::slice(first, end, 1)]);
                 call_python(on_batch_end, batch, rows);
               };
             {
               const GilReleased released;
               self.predict(xs, maps, batch_size, &callbacks);
             }
             return outputs;
           },
           py::arg("x").noconvert(), py::arg("batch_size") = 0, py::arg("on_batch_begin") = py::none(),
           py::arg("on_batch_end") = py::none())
      .def("call_training",
           [](Model& self, const Arrays& x) {
             const std::vector<ConstMatrixMapOf<Scalar>> xs = map_all(x, "x");
             // It writes the layers' training buffers, as a training step does.
             const TrainingGuard guard(self, "model(x, training=True)");
             std::vector<RowMatrixOf<Scalar>> results;
             {
               const GilReleased released;
               results = self.call_training(xs);
             }
             py::list outputs;
             for (const RowMatrixOf<Scalar>& result : results) {
               ArrayOf<Scalar> out({result.rows(), result.cols()});
               MatrixMap(out.mutable_data(), result.rows(), result.cols()) = result;
               outputs.append(out);
             }
             return outputs;
           },
           py::arg("x").noconvert())
      .def("train_on_batch",
           [](Model& self, const Inputs& x, const Arrays& y, const std::optional<WeightArray>& sample_weight) {
             const std::vector<InputMatrixOf<Scalar>> xs = map_inputs(x, "x");
             const std::vector<ConstMatrixMapOf<Scalar>> ys = map_all(y, "y");
             if (xs.empty()) throw py::value_error("train_on_batch needs at least one input array");
             const Scalar* weights = weight_pointer(sample_weight, xs[0].rows(), "sample_weight");
             const TrainingGuard guard(self, "train_on_batch");
             Logs logs;
             {
               const GilReleased released;
               logs = self.train_on_batch(xs, ys, weights);
             }
             return logs_to_dict<Scalar>(logs);
           },
           py::arg("x").noconvert(), py::arg("y").noconvert(), py::arg("sample_weight").noconvert() = py::none());
}

template <class T>
std::vector<std::shared_ptr<T>> mutable_list(const std::vector<std::shared_ptr<const T>>& items) {
  std::vector<std::shared_ptr<T>> out;
  for (const auto& item : items) out.push_back(std::const_pointer_cast<T>(item));
  return out;
}

template <class Scalar>
void bind_properties(ModelClassOf<Scalar>& model) {
  using Model = ModelOf<Scalar>;
  using Arrays = ArraysOf<Scalar>;
  model.def_property_readonly("dtype", [](const Model&) { return dtype_name<Scalar>(); })
      .def_property("name", &Model::name, &Model::set_name)
      .def_property_readonly("class_name", &Model::class_name)
      .def_property_readonly("layers", &Model::layers)
      // Keras's model.layers of a functional model: ("input", i) or ("layer", j), in Keras's order.
      .def_property_readonly("entries",
                             [](const Model& self) {
                               py::list entries;
                               for (const auto& entry : self.entries())
                                 entries.append(py::make_tuple(entry.is_input ? "input" : "layer", entry.index));
                               return entries;
                             })
      // Every call in execution order: (layer index, [tensor ids]); call k's output is tensor
      // input_count + k.
      .def_property_readonly("calls",
                             [](const Model& self) {
                               py::list calls;
                               for (size_t k = 0; k < self.call_count(); ++k)
                                 calls.append(py::make_tuple(self.call_at(k).layer, self.call_at(k).inputs));
                               return calls;
                             })
      .def_property_readonly("input_names",
                             [](const Model& self) {
                               std::vector<std::string> names;
                               for (size_t i = 0; i < self.input_count(); ++i) names.push_back(self.input_name(i));
                               return names;
                             })
      .def_property_readonly("input_shapes",
                             [](const Model& self) {
                               std::vector<std::vector<Index>> shapes;
                               for (size_t i = 0; i < self.input_count(); ++i) shapes.push_back(self.input_shape(i));
                               return shapes;
                             })
      .def_property_readonly("outputs", &Model::outputs)
      .def_property_readonly("output_names",
                             [](const Model& self) {
                               std::vector<std::string> names;
                               for (size_t o = 0; o < self.output_count(); ++o) names.push_back(self.output_name(o));
                               return names;
                             })
      .def_property_readonly("output_dims",
                             [](const Model& self) {
                               std::vector<Index> dims;
                               for (size_t o = 0; o < self.output_count(); ++o) dims.push_back(self.output_dim(o));
                               return dims;
                             })
      .def("tensor_width", &Model::tensor_width, py::arg("tensor"))
      .def_property_readonly("built", &Model::built)
      .def_property_readonly("input_dim", [](const Model& self) { return self.input_dim(0); })
      .def_property_readonly("output_dim", [](const Model& self) { return self.output_dim(0); })
      .def_property_readonly("compiled", &Model::compiled)
      // One per output (None for an output trained without a loss).
      .def_property_readonly("losses", [](const Model& self) { return mutable_list(self.losses()); })
      .def_property_readonly("loss", [](const Model& self) { return std::const_pointer_cast<Loss>(self.loss()); })
      .def_property_readonly("loss_weights", &Model::loss_weights)
      .def_property_readonly("optimizer", &Model::optimizer)
      .def_property_readonly("metrics", [](const Model& self) { return mutable_list(self.metrics()); })
      .def_property_readonly("output_metrics",
                             [](const Model& self) {
                               std::vector<std::vector<std::shared_ptr<Metric>>> lists;
                               for (const auto& list : self.output_metrics()) lists.push_back(mutable_list(list));
                               return lists;
                             })
      .def_property_readonly("log_names", &Model::log_names)
      .def("count_params", &Model::count_params)
      .def("set_seed", &Model::set_seed, py::arg("seed"))
      .def_property_readonly("config", [](const Model& self) { return to_python(self.config()); })
      .def_property_readonly("serialized", [](const Model& self) { return to_python(self.serialized()); })
      .def_property_readonly("compile_config", [](const Model& self) { return to_python(self.compile_config()); })
      // (layer index, parameter name) of every parameter the optimizer keeps slots for, in its order:
      // what another tool's optimizer state is matched against when a model comes in or goes out.
      .def_property_readonly("optimizer_parameters",
                             [](Model& self) {
                               py::list out;
                               for (std::size_t i = 0; i < self.layers().size(); ++i) {
                                 if (!self.layers()[i]->trainable()) continue;
                                 for (const ParameterOf<Scalar>& p : self.layers()[i]->parameters())
                                   out.append(py::make_tuple(i, p.name));
                               }
                               return out;
                             })
      // Puts back an optimizer state made elsewhere (a Keras file's): the step count, and per
      // optimizer_parameters entry its slots in slot_names order (none: the slots start afresh).
      .def("restore_optimizer_state",
           [](Model& self, std::int64_t iterations, const std::vector<Arrays>& slots, py::handle extra) {
             if (!self.compiled()) throw py::value_error("the model is not compiled: it has no optimizer");
             std::vector<ParameterOf<Scalar>> params = self.trainable_parameters();
             if (!slots.empty() && slots.size() != params.size())
               throw py::value_error("slots for " + std::to_string(slots.size()) + " parameters, the model trains " +
                                     std::to_string(params.size()));
             // Other tools keep a bias as a vector: each slot takes its parameter's shape, if its size fits.
             std::vector<std::vector<RowMatrixOf<Scalar>>> copies;
             for (std::size_t i = 0; i < slots.size(); ++i) {
               copies.emplace_back();
               const RowMatrixOf<Scalar>& value = *params[i].value;
               for (const ArrayOf<Scalar>& slot : slots[i]) {
                 if (slot.size() != value.size())
                   throw py::value_error("a slot of " + params[i].name + " holds " + std::to_string(slot.size()) +
                                         " values, the parameter " + std::to_string(value.size()));
                 copies.back().push_back(ConstMatrixMapOf<Scalar>(slot.data(), value.rows(), value.cols()));
               }
             }
             self.optimizer()->restore_state(params, iterations, std::move(copies),
                                             extra.is_none() ? Config(Config::Object{}) : from_python(extra, "extra"));
           },
           py::arg("iterations"), py::arg("slots"), py::arg("extra") = py::none());
}

template <class Scalar>
void bind_sequential(py::module_& m) {
  using Sequential = SequentialOf<Scalar>;
  using Layer = LayerOf<Scalar>;
  py::class_<Sequential, ModelOf<Scalar>, std::shared_ptr<Sequential>>(m, "Sequential")
      .def(py::init<std::uint64_t>(), py::arg("seed") = 0x5eed)
      .def("add",
           [](Sequential& self, std::shared_ptr<Layer> layer) {
             TrainingGuard::require_idle(self, "add");
             self.add(std::move(layer));
           },
           py::arg("layer"))
      .def("add_all",
           [](Sequential& self, std::vector<std::shared_ptr<Layer>> layers) {
             TrainingGuard::require_idle(self, "add");
             self.add_all(std::move(layers));
           },
           py::arg("layers"))
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
      .def_property("input_shape", [](const Sequential& self) { return self.input_shape(); },
                    [](Sequential& self, std::vector<Index> shape) {
                      TrainingGuard::require_idle(self, "input_shape");
                      self.set_input_shape(std::move(shape));
                    });
}

}  // namespace

template <class Scalar>
void register_model(py::module_& m) {
  using Model = ModelOf<Scalar>;
  using ModelLayer = ModelLayerOf<Scalar>;
  ModelClassOf<Scalar> model(m, "Model");
  model.def(py::init<std::uint64_t>(), py::arg("seed") = 0x5eed);
  bind_properties(model);
  bind_structure(model);
  bind_training(model);
  bind_sequential<Scalar>(m);
  // The model as a layer of another model (Keras calls models like layers). Its weights are the
  // model's own; Python keeps one per model, so that a model used twice is one shared layer.
  py::class_<ModelLayer, LayerOf<Scalar>, std::shared_ptr<ModelLayer>>(m, "ModelLayer")
      .def(py::init<std::shared_ptr<Model>>(), py::arg("model"))
      .def_property_readonly("model", &ModelLayer::model);
}

template void register_model<float>(py::module_&);
template void register_model<double>(py::module_&);

}  // namespace fastmlp::bindings
