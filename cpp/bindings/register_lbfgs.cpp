// minimize_lbfgs(model, x, y, ...): full-batch L-BFGS over a model's weights (fastmlp/lbfgs.hpp), run
// without the GIL; the per-iteration hook takes it back for a short call (and notices Ctrl-C).
#include <pybind11/stl.h>

#include "fastmlp/lbfgs.hpp"
#include "gil.hpp"
#include "registrations.hpp"
#include "sparse_arrays.hpp"
#include "training_guard.hpp"

namespace fastmlp::bindings {

template <class Scalar>
void register_lbfgs(py::module_& m) {
  m.def(
      "minimize_lbfgs",
      [](ModelOf<Scalar>& model, const InputArrayOf<Scalar>& x, const ArrayOf<Scalar>& y,
         const std::optional<ArrayOf<Scalar>>& sample_weight, int max_iter, int max_fun, double gtol, double scale,
         double offset, py::object on_iteration) {
        DatasetOf<Scalar> data{map_input(x, "x"), map_matrix(y, "y"), nullptr};
        if (sample_weight) {
          if (sample_weight->ndim() != 1 || sample_weight->shape(0) != data.x.rows())
            throw py::value_error("sample_weight must be a 1-D array with one weight per row of x (" +
                                  std::to_string(data.x.rows()) + ")");
          data.sample_weight = sample_weight->data();
        }
        LbfgsOptions options;
        options.max_iter = max_iter;
        options.max_fun = max_fun;
        options.gtol = gtol;
        options.scale = scale;
        options.offset = offset;
        const TrainingGuard guard(model, "minimize_lbfgs");
        PyThreadState* const thread = PyThreadState_Get();
        // Made and destroyed here, with the GIL held: it holds a py::object.
        const LbfgsCallback callback = [on_iteration, thread](int iteration, double loss) {
          const GilForCallback gil(thread);
          if (PyErr_CheckSignals() != 0) throw py::error_already_set();
          if (on_iteration.is_none()) return false;
          return py::bool_(call_python(on_iteration, iteration, loss)).cast<bool>();
        };
        LbfgsResult result;
        {
          const GilReleased released;  // [issue 13] gil.hpp: not py::gil_scoped_release
          result = minimize_lbfgs(model, data, options, callback);
        }
        py::dict out;
        out["iterations"] = result.iterations;
        out["evaluations"] = result.evaluations;
        out["status"] = result.status;
        out["message"] = result.message;
        out["loss"] = result.loss;
        out["losses"] = result.losses;
        return out;
      },
      py::arg("model"), py::arg("x").noconvert(), py::arg("y").noconvert(),
      py::arg("sample_weight").noconvert() = py::none(), py::arg("max_iter") = 15000, py::arg("max_fun") = 15000,
      py::arg("gtol") = 1e-5, py::arg("scale") = 1.0, py::arg("offset") = 0.0, py::arg("on_iteration") = py::none(),
      "Full-batch L-BFGS from the model's weights; returns {iterations, evaluations, status, message, loss, losses}.");
}

template void register_lbfgs<float>(py::module_&);
template void register_lbfgs<double>(py::module_&);

}  // namespace fastmlp::bindings
