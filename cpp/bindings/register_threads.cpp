// The one place Python sets the thread count.
#include "fastmlp/parallel.hpp"
#include "registrations.hpp"

namespace fastmlp::bindings {

void register_threads(py::module_& m) {
  m.def("set_num_threads", &set_num_threads, py::arg("n"),
        "Threads for GEMMs and elementwise work; n <= 0 restores the default (OMP_NUM_THREADS or all cores).");
  m.def("get_num_threads", &get_num_threads);
}

}  // namespace fastmlp::bindings
