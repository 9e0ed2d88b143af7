#include <pybind11/stl.h>

#include "fastmlp/losses.hpp"
#include "fastmlp/metrics.hpp"
#include "fastmlp/optimizers.hpp"
#include "fastmlp/parallel.hpp"
#include "fastmlp/schedules.hpp"
#include "numpy_views.hpp"
#include "registrations.hpp"

namespace fastmlp::bindings {
namespace {

// The loss kernels index y_pred by the labels and pair y_true's columns with y_pred's without
// checking (they run inside the training loop, after Sequential has checked its data). Called from
// Python directly they get any arrays, so the same checks run here first: shapes, non-empty, and
// targets the loss accepts (a sparse label of 10**6 would otherwise read far past the row).
void check_loss_inputs(const Loss& loss, ConstMatrixMap y_true, ConstMatrixMap y_pred) {
  if (y_true.rows() != y_pred.rows()) throw py::value_error("y_true and y_pred must have the same number of rows");
  if (y_pred.rows() == 0 || y_pred.cols() == 0)
    throw py::value_error("y_pred is empty; a loss needs at least one sample and one output");
  loss.check_targets(y_true, y_pred.cols());
}

void register_losses(py::module_& m) {
  py::class_<Loss, std::shared_ptr<Loss>>(m, "Loss")
      .def_property_readonly("name", &Loss::name)
      .def("target_columns", &Loss::target_columns, py::arg("output_units"))
      .def("per_sample", [](const Loss& loss, const FloatArray& y_true, const FloatArray& y_pred) {
        const ConstMatrixMap t = map_matrix(y_true, "y_true"), p = map_matrix(y_pred, "y_pred");
        check_loss_inputs(loss, t, p);
        py::array_t<Scalar> out(p.rows());
        loss.per_sample(p, t, Eigen::Map<Vector>(out.mutable_data(), p.rows()));
        return out;
      }, py::arg("y_true").noconvert(), py::arg("y_pred").noconvert())
      .def("gradient", [](const Loss& loss, const FloatArray& y_true, const FloatArray& y_pred) {
        const ConstMatrixMap t = map_matrix(y_true, "y_true"), p = map_matrix(y_pred, "y_pred");
        check_loss_inputs(loss, t, p);
        FloatArray out({p.rows(), p.cols()});
        loss.gradient(p, t, MatrixMap(out.mutable_data(), p.rows(), p.cols()));
        return out;
      }, py::arg("y_true").noconvert(), py::arg("y_pred").noconvert());

  py::class_<BinaryCrossentropy, Loss, std::shared_ptr<BinaryCrossentropy>>(m, "BinaryCrossentropy")
      .def(py::init<bool, Scalar>(), py::arg("from_logits") = false, py::arg("label_smoothing") = 0.0f)
      .def_property_readonly("from_logits", &BinaryCrossentropy::from_logits)
      .def_property_readonly("label_smoothing", &BinaryCrossentropy::label_smoothing);
  py::class_<CategoricalCrossentropy, Loss, std::shared_ptr<CategoricalCrossentropy>>(m, "CategoricalCrossentropy")
      .def(py::init<bool, Scalar>(), py::arg("from_logits") = false, py::arg("label_smoothing") = 0.0f)
      .def_property_readonly("from_logits", &CategoricalCrossentropy::from_logits)
      .def_property_readonly("label_smoothing", &CategoricalCrossentropy::label_smoothing);
  py::class_<SparseCategoricalCrossentropy, Loss, std::shared_ptr<SparseCategoricalCrossentropy>>(
      m, "SparseCategoricalCrossentropy")
      .def(py::init<bool>(), py::arg("from_logits") = false)
      .def_property_readonly("from_logits", &SparseCategoricalCrossentropy::from_logits);
  py::class_<ElementwiseLoss, Loss, std::shared_ptr<ElementwiseLoss>>(m, "ElementwiseLoss")
      .def_property_readonly("parameter", &ElementwiseLoss::parameter);
  m.def("huber", [](Scalar delta) { return std::make_shared<ElementwiseLoss>(ElementwiseLossKind::Huber, delta); },
        py::arg("delta") = 1.0f);
  py::class_<CategoricalHinge, Loss, std::shared_ptr<CategoricalHinge>>(m, "CategoricalHinge");
  py::class_<KLDivergence, Loss, std::shared_ptr<KLDivergence>>(m, "KLDivergence");
  py::class_<CosineSimilarity, Loss, std::shared_ptr<CosineSimilarity>>(m, "CosineSimilarity");
  m.def("make_loss", &make_loss, py::arg("name"));
  m.def("loss_names", &loss_names);
}

void register_schedules(py::module_& m) {
  py::class_<LearningRateSchedule, std::shared_ptr<LearningRateSchedule>>(m, "LearningRateSchedule")
      .def("__call__", &LearningRateSchedule::operator(), py::arg("step"))
      .def_property_readonly("class_name", &LearningRateSchedule::class_name)
      .def_property_readonly("arguments", &LearningRateSchedule::arguments);
  py::class_<ExponentialDecay, LearningRateSchedule, std::shared_ptr<ExponentialDecay>>(m, "ExponentialDecay")
      .def(py::init<double, double, double, bool>(), py::arg("initial_learning_rate"), py::arg("decay_steps"),
           py::arg("decay_rate"), py::arg("staircase") = false);
  py::class_<InverseTimeDecay, LearningRateSchedule, std::shared_ptr<InverseTimeDecay>>(m, "InverseTimeDecay")
      .def(py::init<double, double, double, bool>(), py::arg("initial_learning_rate"), py::arg("decay_steps"),
           py::arg("decay_rate"), py::arg("staircase") = false);
  py::class_<PiecewiseConstantDecay, LearningRateSchedule, std::shared_ptr<PiecewiseConstantDecay>>(
      m, "PiecewiseConstantDecay")
      .def(py::init<std::vector<double>, std::vector<double>>(), py::arg("boundaries"), py::arg("values"));
  py::class_<CosineDecay, LearningRateSchedule, std::shared_ptr<CosineDecay>>(m, "CosineDecay")
      .def(py::init<double, double, double, double, double>(), py::arg("initial_learning_rate"),
           py::arg("decay_steps"), py::arg("alpha") = 0.0, py::arg("warmup_target") = -1.0,
           py::arg("warmup_steps") = 0.0);
}

void register_optimizers(py::module_& m) {
  py::class_<OptimizerOptions>(m, "OptimizerOptions")
      .def(py::init([](double weight_decay, double clipnorm, double clipvalue, double global_clipnorm) {
             return OptimizerOptions{weight_decay, clipnorm, clipvalue, global_clipnorm};
           }),
           py::arg("weight_decay") = 0.0, py::arg("clipnorm") = 0.0, py::arg("clipvalue") = 0.0,
           py::arg("global_clipnorm") = 0.0)
      .def_readonly("weight_decay", &OptimizerOptions::weight_decay)
      .def_readonly("clipnorm", &OptimizerOptions::clipnorm)
      .def_readonly("clipvalue", &OptimizerOptions::clipvalue)
      .def_readonly("global_clipnorm", &OptimizerOptions::global_clipnorm);

  py::class_<Optimizer, std::shared_ptr<Optimizer>>(m, "Optimizer")
      .def_property_readonly("name", &Optimizer::name)
      .def_property("learning_rate", &Optimizer::learning_rate, &Optimizer::set_learning_rate)
      .def("set_schedule", [](Optimizer& o, std::shared_ptr<LearningRateSchedule> s) { o.set_schedule(std::move(s)); },
           py::arg("schedule"))
      .def_property_readonly("schedule", [](const Optimizer& o) {
        return std::const_pointer_cast<LearningRateSchedule>(o.schedule());
      })
      .def_property_readonly("options", &Optimizer::options)
      .def_property_readonly("iterations", &Optimizer::iterations)
      .def_property_readonly("slot_names", &Optimizer::slot_names)
      .def("slots", [](py::object self, size_t index) {
        py::list views;
        for (const auto& s : self.cast<Optimizer&>().slots(index)) views.append(readonly_numpy_view(s, self));
        return views;
      }, py::arg("index"));

  const auto opts = py::arg("options") = OptimizerOptions{};
  py::class_<SGD, Optimizer, std::shared_ptr<SGD>>(m, "SGD")
      .def(py::init<double, double, bool, OptimizerOptions>(), py::arg("learning_rate") = 0.01,
           py::arg("momentum") = 0.0, py::arg("nesterov") = false, opts)
      .def_property_readonly("momentum", &SGD::momentum)
      .def_property_readonly("nesterov", &SGD::nesterov);
  py::class_<Adam, Optimizer, std::shared_ptr<Adam>>(m, "Adam")
      .def(py::init<double, double, double, double, bool, OptimizerOptions>(), py::arg("learning_rate") = 0.001,
           py::arg("beta_1") = 0.9, py::arg("beta_2") = 0.999, py::arg("epsilon") = 1e-7, py::arg("amsgrad") = false,
           opts)
      .def_property_readonly("beta_1", &Adam::beta_1)
      .def_property_readonly("beta_2", &Adam::beta_2)
      .def_property_readonly("epsilon", &Adam::epsilon)
      .def_property_readonly("amsgrad", &Adam::amsgrad);
  py::class_<AdamW, Adam, std::shared_ptr<AdamW>>(m, "AdamW")
      .def(py::init<double, double, double, double, double, bool, OptimizerOptions>(),
           py::arg("learning_rate") = 0.001, py::arg("weight_decay") = 0.004, py::arg("beta_1") = 0.9,
           py::arg("beta_2") = 0.999, py::arg("epsilon") = 1e-7, py::arg("amsgrad") = false, opts);
  py::class_<RMSprop, Optimizer, std::shared_ptr<RMSprop>>(m, "RMSprop")
      .def(py::init<double, double, double, double, bool, OptimizerOptions>(), py::arg("learning_rate") = 0.001,
           py::arg("rho") = 0.9, py::arg("momentum") = 0.0, py::arg("epsilon") = 1e-7, py::arg("centered") = false,
           opts)
      .def_property_readonly("rho", &RMSprop::rho)
      .def_property_readonly("momentum", &RMSprop::momentum)
      .def_property_readonly("epsilon", &RMSprop::epsilon)
      .def_property_readonly("centered", &RMSprop::centered);
  py::class_<Adagrad, Optimizer, std::shared_ptr<Adagrad>>(m, "Adagrad")
      .def(py::init<double, double, double, OptimizerOptions>(), py::arg("learning_rate") = 0.001,
           py::arg("initial_accumulator_value") = 0.1, py::arg("epsilon") = 1e-7, opts)
      .def_property_readonly("initial_accumulator_value", &Adagrad::initial_accumulator_value)
      .def_property_readonly("epsilon", &Adagrad::epsilon);
  py::class_<Adadelta, Optimizer, std::shared_ptr<Adadelta>>(m, "Adadelta")
      .def(py::init<double, double, double, OptimizerOptions>(), py::arg("learning_rate") = 0.001,
           py::arg("rho") = 0.95, py::arg("epsilon") = 1e-7, opts)
      .def_property_readonly("rho", &Adadelta::rho)
      .def_property_readonly("epsilon", &Adadelta::epsilon);
  py::class_<Adamax, Optimizer, std::shared_ptr<Adamax>>(m, "Adamax")
      .def(py::init<double, double, double, double, OptimizerOptions>(), py::arg("learning_rate") = 0.001,
           py::arg("beta_1") = 0.9, py::arg("beta_2") = 0.999, py::arg("epsilon") = 1e-7, opts)
      .def_property_readonly("beta_1", &Adamax::beta_1)
      .def_property_readonly("beta_2", &Adamax::beta_2)
      .def_property_readonly("epsilon", &Adamax::epsilon);
  py::class_<Nadam, Optimizer, std::shared_ptr<Nadam>>(m, "Nadam")
      .def(py::init<double, double, double, double, OptimizerOptions>(), py::arg("learning_rate") = 0.001,
           py::arg("beta_1") = 0.9, py::arg("beta_2") = 0.999, py::arg("epsilon") = 1e-7, opts)
      .def_property_readonly("beta_1", &Nadam::beta_1)
      .def_property_readonly("beta_2", &Nadam::beta_2)
      .def_property_readonly("epsilon", &Nadam::epsilon)
      .def_property("u_product", &Nadam::u_product, &Nadam::set_u_product);
  m.def("make_optimizer", &make_optimizer, py::arg("name"));
}

}  // namespace

void register_training(py::module_& m) {
  register_losses(m);
  m.def("metric_names", &Metric::names);
  register_schedules(m);
  register_optimizers(m);
  m.def("set_num_threads", &set_num_threads, py::arg("n"),
        "Threads for GEMMs and elementwise work; n <= 0 restores the default (OMP_NUM_THREADS or all cores).");
  m.def("get_num_threads", &get_num_threads);
}

}  // namespace fastmlp::bindings
