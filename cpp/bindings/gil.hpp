// Releasing the GIL and taking it back so that interpreter exit cannot kill the process.
//
// While the interpreter finalizes, CPython (3.8 to 3.13) ends every other thread that asks for the
// GIL by calling pthread_exit(), which on glibc unwinds the thread's C++ stack with the special
// exception abi::__forced_unwind. An unwind that reaches a destructor (pybind11's
// gil_scoped_release takes the GIL back in one) or any noexcept frame calls std::terminate: a
// program that exited while a daemon thread was inside fit or predict died with SIGABRT
// ("terminate called without an active exception"). So wherever the bindings take the GIL back or
// run Python code from a thread that released it, they catch that unwind and park the thread:
// it holds neither the GIL nor a lock, touches no Python object, and the exiting process ends it.
// (CPython 3.14 parks such threads itself.)
#pragma once

#include <pybind11/pybind11.h>

#include <chrono>
#include <thread>
#include <utility>
#if defined(__GLIBCXX__)
#include <cxxabi.h>
#endif

namespace fastmlp::bindings {

namespace py = pybind11;

[[noreturn]] inline void park_until_exit() {
  for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
}

// Runs `call` (a GIL acquisition, or a call into Python that may release and retake the GIL) and
// parks the thread where the interpreter ends it, before the unwind can reach any destructor.
template <class Call>
auto surviving_exit(Call&& call) -> decltype(call()) {
#if defined(__GLIBCXX__)
  try {
    return call();
  } catch (abi::__forced_unwind&) {  // never rethrown: this thread stops here
    park_until_exit();
  }
#else
  return call();  // other C++ runtimes end threads without unwinding C++ frames
#endif
}

// In place of py::gil_scoped_release (and as a py::call_guard).
class GilReleased {
 public:
  GilReleased() : thread_(PyEval_SaveThread()) {}
  ~GilReleased() {
    surviving_exit([this] { PyEval_RestoreThread(thread_); });
  }
  GilReleased(const GilReleased&) = delete;
  GilReleased& operator=(const GilReleased&) = delete;

 private:
  PyThreadState* thread_;
};

// Takes the GIL for a callback that fit (running without the GIL) makes on `thread`, the Python
// thread that called fit.
class GilForCallback {
 public:
  explicit GilForCallback(PyThreadState* thread) : thread_(thread) {
    surviving_exit([this] { PyEval_RestoreThread(thread_); });
  }
  ~GilForCallback() {
    // Python code the callback ran may have released the GIL and been ended while taking it back
    // (call_python parks that case; the Python runtime's own work, such as a garbage collection,
    // can do it too): releasing a GIL it no longer holds would be a fatal error.
    if (!PyGILState_Check()) park_until_exit();
    PyEval_SaveThread();
  }
  GilForCallback(const GilForCallback&) = delete;
  GilForCallback& operator=(const GilForCallback&) = delete;

 private:
  PyThreadState* thread_;
};

// Takes the GIL on whichever thread runs it, as py::gil_scoped_acquire does (PyGILState_Ensure), for
// a call from the core that may come from a thread that released it (a Communicator's methods).
class GilTaken {
 public:
  GilTaken() {
    surviving_exit([this] { state_ = PyGILState_Ensure(); });
  }
  ~GilTaken() {
    if (!PyGILState_Check()) park_until_exit();  // as in ~GilForCallback
    PyGILState_Release(state_);
  }
  GilTaken(const GilTaken&) = delete;
  GilTaken& operator=(const GilTaken&) = delete;

 private:
  PyGILState_STATE state_;
};

// function(*args), with the GIL held. Python code may release the GIL (to print a progress bar, to
// sleep) and be ended when it asks for it again: the thread then parks inside this call, before
// the arguments or anything else could be released without the GIL.
template <class... Args>
py::object call_python(const py::object& function, Args&&... args) {
  const py::tuple arguments = py::make_tuple(std::forward<Args>(args)...);
  PyObject* result = surviving_exit([&] { return PyObject_Call(function.ptr(), arguments.ptr(), nullptr); });
  if (result == nullptr) throw py::error_already_set();
  return py::reinterpret_steal<py::object>(result);
}

}  // namespace fastmlp::bindings
