#include "config_cast.hpp"

#include <cmath>

namespace fastmlp::bindings {

py::object to_python(const Config& config) {
  switch (config.type()) {
    case Config::Type::Null: return py::none();
    case Config::Type::Bool: return py::bool_(config.as_bool(""));
    case Config::Type::Number:
      if (config.is_integer()) return py::int_(static_cast<long long>(config.as_number("")));
      return py::float_(config.as_number(""));
    case Config::Type::String: return py::str(config.as_string(""));
    case Config::Type::Array: {
      py::list items;
      for (const Config& item : config.as_array("")) items.append(to_python(item));
      return std::move(items);
    }
    case Config::Type::Object: {
      py::dict members;
      for (const auto& [key, value] : config.as_object("")) members[py::str(key)] = to_python(value);
      return std::move(members);
    }
  }
  return py::none();
}

namespace {

// NumPy's bool_ is no Python bool, and its integers and floats need not be Python ints and floats.
bool is_numpy_kind(py::handle value, char kind) {
  if (!py::hasattr(value, "dtype") || !py::hasattr(value, "ndim") || value.attr("ndim").cast<int>() != 0) return false;
  return value.attr("dtype").attr("kind").cast<std::string>() == std::string(1, kind);
}

}  // namespace

Config from_python(py::handle value, const std::string& what) {
  if (value.is_none()) return Config();
  if (py::isinstance<py::bool_>(value) || is_numpy_kind(value, 'b')) return Config(PyObject_IsTrue(value.ptr()) == 1);
  if (py::isinstance<py::str>(value)) return Config(value.cast<std::string>());
  if (py::isinstance<py::int_>(value) || is_numpy_kind(value, 'i') || is_numpy_kind(value, 'u')) {
    int overflow = 0;
    const py::object integer = py::reinterpret_steal<py::object>(PyNumber_Index(value.ptr()));
    if (!integer) throw py::error_already_set();
    const long long number = PyLong_AsLongLongAndOverflow(integer.ptr(), &overflow);
    if (overflow != 0)
      throw py::value_error(what + " is an integer too large for a config: " + py::str(value).cast<std::string>());
    return Config(static_cast<std::int64_t>(number));
  }
  if (py::isinstance<py::float_>(value) || is_numpy_kind(value, 'f')) return Config(PyFloat_AsDouble(value.ptr()));
  if (py::isinstance<py::dict>(value)) {
    Config::Object members;
    for (const auto& [key, item] : value.cast<py::dict>()) {
      if (!py::isinstance<py::str>(key))
        throw py::type_error(what + " has a key " + py::repr(key).cast<std::string>() + "; config keys are strings");
      const std::string name = key.cast<std::string>();
      members.emplace_back(name, from_python(item, what + "['" + name + "']"));
    }
    return members;
  }
  if (py::isinstance<py::list>(value) || py::isinstance<py::tuple>(value)) {
    Config::Array items;
    std::size_t index = 0;
    for (py::handle item : value) items.push_back(from_python(item, what + "[" + std::to_string(index++) + "]"));
    return items;
  }
  throw py::type_error(what + " must be a number, a string, a bool, None, a list or a dict; got " +
                       py::repr(value).cast<std::string>());
}

}  // namespace fastmlp::bindings
