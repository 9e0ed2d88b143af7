// The registered kinds (activation, initializer, regularizer, constraint, loss, metric, schedule, optimizer):
// one registry per kind, through which Python creates every object from its name and config, and
// what each kind does beyond describing itself.
#include <pybind11/stl.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <vector>

#include "config_cast.hpp"
#include "kind_bindings.hpp"
#include "fastmlp/activation.hpp"
#include "fastmlp/constraint.hpp"
#include "fastmlp/initializer.hpp"
#include "fastmlp/loss.hpp"
#include "fastmlp/metric.hpp"
#include "fastmlp/optimizer.hpp"
#include "fastmlp/regularizer.hpp"
#include "fastmlp/schedule.hpp"
#include "numpy_views.hpp"
#include "registrations.hpp"

namespace fastmlp::bindings {
namespace {

// The kinds are not templates: one object serves float32 and float64 models, and the functions that
// take arrays are bound once per scalar, as overloads (with .noconvert(), a float32 array picks the
// first and a float64 array the second; the result has the argument's dtype).
template <class Scalar>
void bind_activation_math(py::class_<Activation, std::shared_ptr<Activation>>& activation) {
  // f applied to a 2-D array, into a new array: what fastmlp.activations' functions compute.
  activation.def(
      "__call__",
      [](const Activation& self, const ArrayOf<Scalar>& x) {
        const ConstMatrixMapOf<Scalar> input = map_matrix(x, "x");
        const Index width = self.output_width(input.cols());  // half of it for glu
        ArrayOf<Scalar> out({input.rows(), width});
        self.apply(input, MatrixMapOf<Scalar>(out.mutable_data(), input.rows(), width));
        return out;
      },
      py::arg("x").noconvert());
}

void register_activations(py::module_& m) {
  bind_registry<Activation>(m, "activation");
  auto activation = bind_kind<Activation>(m, "Activation");
  bind_activation_math<float>(activation);
  bind_activation_math<double>(activation);
}

// Values for a tensor of `rows` x `cols`, drawn as a model of this scalar draws them.
template <class Scalar>
ArrayOf<Scalar> fill_values(const Initializer& initializer, Index rows, Index cols, Index fan_in, Index fan_out,
                            std::uint64_t seed) {
  RowMatrixOf<Scalar> values(rows, cols);
  Rng rng(seed);
  initializer.fill(values, fan_in, fan_out, rng);
  return to_array(values);
}

void register_initializers(py::module_& m) {
  bind_registry<Initializer>(m, "initializer");
  // Values for a tensor of `rows` x `cols` with Keras's fans; an unseeded initializer draws from a
  // generator seeded with `seed` (Python passes one from its global seed source).
  bind_kind<Initializer>(m, "Initializer")
      // dtype: "float32" or "float64", the array's and the draw's.
      .def("fill",
           [](const Initializer& initializer, Index rows, Index cols, Index fan_in, Index fan_out, std::uint64_t seed,
              const std::string& dtype) -> py::object {
             if (rows < 0 || cols < 0) throw py::value_error("an initializer needs a shape of sizes >= 0");
             if (dtype == dtype_name<float>())
               return fill_values<float>(initializer, rows, cols, fan_in, fan_out, seed);
             if (dtype == dtype_name<double>())
               return fill_values<double>(initializer, rows, cols, fan_in, fan_out, seed);
             throw py::value_error("dtype must be 'float32' or 'float64', got '" + dtype + "'");
           },
           py::arg("rows"), py::arg("cols"), py::arg("fan_in"), py::arg("fan_out"), py::arg("seed"),
           py::arg("dtype") = dtype_name<float>());
}

template <class Scalar>
void bind_penalty(py::class_<Regularizer, std::shared_ptr<Regularizer>>& regularizer) {
  regularizer.def(
      "__call__", [](const Regularizer& self, const ArrayOf<Scalar>& x) { return self.penalty(map_matrix(x, "x")); },
      py::arg("x").noconvert());
}

void register_regularizers(py::module_& m) {
  bind_registry<Regularizer>(m, "regularizer");
  auto regularizer = bind_kind<Regularizer>(m, "Regularizer");
  bind_penalty<float>(regularizer);
  bind_penalty<double>(regularizer);
}

// constraint(w, rank): a projected copy of `w`, a weight of `rank` Keras axes (2: a matrix; 1: a
// vector, given as one row), as a training step leaves it.
template <class Scalar>
void bind_projection(py::class_<Constraint, std::shared_ptr<Constraint>>& constraint) {
  constraint.def(
      "__call__",
      [](const Constraint& self, const ArrayOf<Scalar>& w, int rank) {
        const ConstMatrixMapOf<Scalar> values = map_matrix(w, "w");
        if (rank != 1 && rank != 2) throw py::value_error("a constraint applies to weights of 1 or 2 axes");
        if (rank == 1 && values.rows() != 1) throw py::value_error("a vector is given as one row");
        self.check_rank(rank, self.class_name());
        RowMatrixOf<Scalar> projected = values;
        self.apply(map_of(projected), rank);
        return to_array(projected);
      },
      py::arg("w").noconvert(), py::arg("rank"));
}

void register_constraints(py::module_& m) {
  bind_registry<Constraint>(m, "constraint");
  auto constraint = bind_kind<Constraint>(m, "Constraint");
  bind_projection<float>(constraint);
  bind_projection<double>(constraint);
}

// The loss kernels index y_pred by the labels and pair y_true's columns with y_pred's without
// checking (they run inside the training loop, after Sequential has checked its data). Called from
// Python directly they get any arrays, so the same checks run here first: shapes, non-empty, and
// targets the loss accepts (a sparse label of 10**6 would otherwise read far past the row).
template <class Scalar>
void check_loss_inputs(const Loss& loss, ConstMatrixMapOf<Scalar> y_true, ConstMatrixMapOf<Scalar> y_pred) {
  if (y_true.rows() != y_pred.rows()) throw py::value_error("y_true and y_pred must have the same number of rows");
  if (y_pred.rows() == 0 || y_pred.cols() == 0)
    throw py::value_error("y_pred is empty; a loss needs at least one sample and one output");
  loss.check_targets(y_true, y_pred.cols());
}

template <class Scalar>
void bind_loss_math(py::class_<Loss, std::shared_ptr<Loss>>& loss) {
  loss.def("per_sample",
           [](const Loss& self, const ArrayOf<Scalar>& y_true, const ArrayOf<Scalar>& y_pred) {
             const ConstMatrixMapOf<Scalar> t = map_matrix(y_true, "y_true"), p = map_matrix(y_pred, "y_pred");
             check_loss_inputs<Scalar>(self, t, p);
             py::array_t<Scalar> out(p.rows());
             self.per_sample(p, t, Eigen::Map<VectorOf<Scalar>>(out.mutable_data(), p.rows()));
             return out;
           },
           py::arg("y_true").noconvert(), py::arg("y_pred").noconvert())
      .def("gradient",
           [](const Loss& self, const ArrayOf<Scalar>& y_true, const ArrayOf<Scalar>& y_pred) {
             const ConstMatrixMapOf<Scalar> t = map_matrix(y_true, "y_true"), p = map_matrix(y_pred, "y_pred");
             check_loss_inputs<Scalar>(self, t, p);
             ArrayOf<Scalar> out({p.rows(), p.cols()});
             self.gradient(p, t, MatrixMapOf<Scalar>(out.mutable_data(), p.rows(), p.cols()));
             return out;
           },
           py::arg("y_true").noconvert(), py::arg("y_pred").noconvert());
}

void register_losses(py::module_& m) {
  bind_registry<Loss>(m, "loss");
  auto loss = bind_kind<Loss>(m, "Loss");
  loss.def("target_columns", &Loss::target_columns, py::arg("output_units"));
  bind_loss_math<float>(loss);
  bind_loss_math<double>(loss);
}

// A metric used on its own (Keras's m.update_state): its state lives in a float64 array Python owns.
// The training loop checks its data before it accumulates; here the arrays come straight from a
// script, so their shapes are checked first (a metric pairs y_true's values with y_pred's unchecked).
template <class Scalar>
void bind_metric_math(py::class_<Metric, std::shared_ptr<Metric>>& metric) {
  metric.def(
      "accumulate",
      [](const Metric& self, const ArrayOf<Scalar>& y_true, const ArrayOf<Scalar>& y_pred,
         py::array_t<double, py::array::c_style> state, std::optional<ArrayOf<Scalar>> sample_weight) {
        const ConstMatrixMapOf<Scalar> t = map_matrix(y_true, "y_true"), p = map_matrix(y_pred, "y_pred");
        if (t.rows() != p.rows()) throw py::value_error("y_true and y_pred must have the same number of rows");
        const bool labels = self.reads_labels() && t.cols() == 1;
        if (t.cols() != p.cols() && !labels)
          throw py::value_error("metric '" + self.name() + "' needs y_true and y_pred of the same shape, got " +
                                std::to_string(t.cols()) + " and " + std::to_string(p.cols()) + " columns");
        if (state.ndim() != 1 || state.shape(0) != self.state_size())
          throw py::value_error("state must be a float64 vector of " + std::to_string(self.state_size()) + " numbers");
        double* totals = state.mutable_data();
        if (!sample_weight) {
          self.accumulate(p, t, totals);
          return;
        }
        if (sample_weight->ndim() != 1 || sample_weight->shape(0) != p.rows())
          throw py::value_error("sample_weight must hold one number per row of y_pred");
        // Every state is a sum over rows, so a weighted state is each row's share times its weight
        // (Keras weights each sample's value, or each sample's confusion counts, the same way).
        const Scalar* weights = sample_weight->data();
        std::vector<double> row_state(static_cast<size_t>(self.state_size()));
        for (Index r = 0; r < p.rows(); ++r) {
          if (weights[r] == 0) continue;
          std::fill(row_state.begin(), row_state.end(), 0.0);
          self.accumulate(ConstMatrixMapOf<Scalar>(p.row(r).data(), 1, p.cols()),
                          ConstMatrixMapOf<Scalar>(t.row(r).data(), 1, t.cols()), row_state.data());
          for (size_t i = 0; i < row_state.size(); ++i) totals[i] += static_cast<double>(weights[r]) * row_state[i];
        }
      },
      py::arg("y_true").noconvert(), py::arg("y_pred").noconvert(), py::arg("state").noconvert(),
      py::arg("sample_weight").noconvert() = py::none());
}

void register_metrics(py::module_& m) {
  bind_registry<Metric>(m, "metric");
  auto metric = bind_kind<Metric>(m, "Metric")
      .def_property_readonly("name", &Metric::name)
      .def_property_readonly("higher_is_better", &Metric::higher_is_better)
      .def_property_readonly("state_size", &Metric::state_size)
      .def_property_readonly("result_size", &Metric::result_size)
      .def_property_readonly("reads_labels", &Metric::reads_labels)
      // The metric's values from a state after `samples` samples (or their total weight).
      .def("result",
           [](const Metric& self, const py::array_t<double, py::array::c_style>& state, double samples) {
             if (state.ndim() != 1 || state.shape(0) != self.state_size())
               throw py::value_error("state must be a float64 vector of " + std::to_string(self.state_size()) +
                                     " numbers");
             py::array_t<double> values(self.result_size());
             self.result(state.data(), samples, values.mutable_data());
             return values;
           },
           py::arg("state").noconvert(), py::arg("samples"));
  bind_metric_math<float>(metric);
  bind_metric_math<double>(metric);
}

void register_schedules(py::module_& m) {
  bind_registry<LearningRateSchedule>(m, "schedule");
  bind_kind<LearningRateSchedule>(m, "LearningRateSchedule")
      .def("__call__", &LearningRateSchedule::operator(), py::arg("step"))
      // The rate at each of `steps` (a 1-D array), for plotting a schedule: one array, not a Python call per step.
      .def("at_steps",
           [](const LearningRateSchedule& schedule, const py::array_t<std::int64_t, py::array::c_style>& steps) {
             if (steps.ndim() != 1) throw py::value_error("steps must be a 1-D array");
             py::array_t<double> rates(steps.shape(0));
             const std::int64_t* step = steps.data();
             double* rate = rates.mutable_data();
             for (py::ssize_t i = 0; i < steps.shape(0); ++i) rate[i] = schedule(step[i]);
             return rates;
           },
           py::arg("steps").noconvert());
}

void register_optimizers(py::module_& m) {
  bind_registry<Optimizer>(m, "optimizer");
  bind_kind<Optimizer>(m, "Optimizer")
      // The rate of the next step; setting a number replaces a schedule (Python decides when that is allowed).
      .def_property("learning_rate", &Optimizer::learning_rate,
                    [](Optimizer& optimizer, double value) { optimizer.set_learning_rate(value); })
      .def("set_schedule",
           [](Optimizer& optimizer, std::shared_ptr<LearningRateSchedule> schedule) {
             if (!schedule) throw py::value_error("schedule is None");
             optimizer.set_learning_rate(LearningRate(SchedulePtr(std::move(schedule))));
           },
           py::arg("schedule"))
      .def_property_readonly("has_schedule", [](const Optimizer& o) { return o.common().learning_rate.schedule != nullptr; })
      .def_property_readonly("iterations", &Optimizer::iterations)
      // Keras's names of the per-parameter state, in the order slots() lists it (for other tools' files).
      .def_property_readonly("slot_names", &Optimizer::slot_names)
      .def_property_readonly("extra_state", [](const Optimizer& o) { return to_python(o.extra_state()); })
      // The slots of a model of `dtype` ("float32" or "float64": an optimizer keeps them in its model's).
      .def("slots",
           [](py::object self, size_t index, const std::string& dtype) {
             const Optimizer& optimizer = self.cast<const Optimizer&>();
             py::list views;
             if (dtype == dtype_name<double>())
               for (const auto& s : optimizer.slots<double>(index)) views.append(readonly_numpy_view(s, self));
             else if (dtype == dtype_name<float>())
               for (const auto& s : optimizer.slots<float>(index)) views.append(readonly_numpy_view(s, self));
             else
               throw py::value_error("dtype must be 'float32' or 'float64', got '" + dtype + "'");
             return views;
           },
           py::arg("index"), py::arg("dtype") = dtype_name<float>());
}

}  // namespace

void register_kinds(py::module_& m) {
  // A config value of the wrong kind is Python's TypeError; other config errors are ValueErrors.
  py::register_exception_translator([](std::exception_ptr error) {
    try {
      if (error) std::rethrow_exception(error);
    } catch (const ConfigTypeError& wrong_kind) {
      PyErr_SetString(PyExc_TypeError, wrong_kind.what());
    }
  });
  register_activations(m);
  register_initializers(m);
  register_regularizers(m);
  register_constraints(m);
  register_losses(m);
  register_metrics(m);
  register_schedules(m);
  register_optimizers(m);
}

}  // namespace fastmlp::bindings
