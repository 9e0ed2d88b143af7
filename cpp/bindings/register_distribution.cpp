// The Communicator as a Python base class: fastmlp.distribution implements it over mpi4py, so that
// this extension links no MPI library and works with whichever MPI mpi4py loaded (MPICH, Open MPI,
// a cluster's own). The training loop calls it once per step, with the GIL taken for that call;
// the buffers cross as NumPy views of the core's memory, without copies.
#include "fastmlp/communicator.hpp"
#include "gil.hpp"
#include "numpy_views.hpp"
#include "registrations.hpp"

namespace fastmlp::bindings {
namespace {

// A view that does not own `data`: the capsule only marks the array as borrowing memory, which
// the core keeps alive for the duration of the call.
template <class T>
py::array_t<T> borrowed(T* data, std::size_t count) {
  return py::array_t<T>({static_cast<py::ssize_t>(count)}, {static_cast<py::ssize_t>(sizeof(T))}, data,
                        py::capsule(data, [](void*) {}));
}

class PythonCommunicator : public Communicator {
 public:
  // [issue 13] fit calls these without the GIL: GilTaken and call_python (gil.hpp) park the thread
  // if the interpreter is exiting, where py::gil_scoped_acquire would end the process (SIGABRT).
  int rank() const override {
    const GilTaken gil;
    return call_python(method("rank")).cast<int>();
  }
  int size() const override {
    const GilTaken gil;
    return call_python(method("size")).cast<int>();
  }

  // A float32 model's gradients, or a float64 model's: Python's allreduce_sum gets an array of that dtype.
  void allreduce_sum(float* data, std::size_t count) override {
    const GilTaken gil;
    call_python(method("allreduce_sum"), borrowed(data, count));
  }
  void allreduce_sum(double* data, std::size_t count) override {
    const GilTaken gil;
    call_python(method("allreduce_sum"), borrowed(data, count));
  }

  void broadcast(void* data, std::size_t bytes, int root) override {
    const GilTaken gil;
    call_python(method("broadcast"), borrowed(static_cast<std::uint8_t*>(data), bytes), root);
  }

  void announce_failure(const std::string& reason) noexcept override {
    try {
      const GilTaken gil;
      call_python(method("announce_failure"), reason);
    } catch (const py::error_already_set&) {
      // The failure being announced propagates anyway; a second one must not replace it.
    } catch (const std::exception&) {
      // The failure being announced propagates anyway; a second one must not replace it.
    }
  }

 private:
  py::function method(const char* name) const {
    py::function override = py::get_override(static_cast<const Communicator*>(this), name);
    if (!override) throw std::logic_error(std::string("a fastmlp Communicator subclass must define ") + name + "()");
    return override;
  }
};

}  // namespace

void register_distribution(py::module_& m) {
  py::register_exception<DistributedError>(m, "DistributedError", PyExc_RuntimeError);
  py::class_<Communicator, PythonCommunicator>(m, "Communicator",
                                               "Base class of the communicators data-parallel training runs over: "
                                               "subclasses define rank(), size(), allreduce_sum(float32 or float64 array), "
                                               "broadcast(uint8 array, root) and announce_failure(reason).")
      .def(py::init<>())
      .def("rank", &Communicator::rank)
      .def("size", &Communicator::size);
}

}  // namespace fastmlp::bindings
