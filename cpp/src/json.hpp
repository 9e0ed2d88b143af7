// A small JSON value with a reader and a writer: just enough for the header of a model file.
// Internal to the library (not installed); the public API never shows JSON.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace fastmlp::json {

// Malformed text, or a value of the wrong type where the caller expected another.
class JsonError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Value {
 public:
  enum class Type { Null, Bool, Number, String, Array, Object };
  using Array = std::vector<Value>;
  // Members in insertion order, so that written headers list their fields in a fixed, readable order.
  using Object = std::vector<std::pair<std::string, Value>>;

  Value() = default;
  Value(std::nullptr_t) {}
  Value(bool value) : type_(Type::Bool), bool_(value) {}
  template <class Number, std::enable_if_t<std::is_arithmetic_v<Number> && !std::is_same_v<Number, bool>, int> = 0>
  Value(Number value) : type_(Type::Number), number_(static_cast<double>(value)) {}
  Value(std::string value) : type_(Type::String), string_(std::move(value)) {}
  Value(const char* value) : Value(std::string(value)) {}  // else a string literal would become a bool
  Value(Array values) : type_(Type::Array), array_(std::move(values)) {}
  Value(Object members) : type_(Type::Object), object_(std::move(members)) {}

  // Throws JsonError naming the offending byte offset; nesting deeper than 64 levels is refused so
  // that hostile input cannot exhaust the stack.
  static Value parse(std::string_view text);
  // Compact JSON. Throws JsonError for NaN or infinity, which JSON cannot hold.
  std::string dump() const;

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::Null; }

  // Each throws JsonError saying that `what` has the wrong type.
  bool as_bool(const std::string& what) const;
  double as_number(const std::string& what) const;
  // A number that must be a whole number in [minimum, 2^53], where doubles are exact.
  std::int64_t as_integer(const std::string& what, std::int64_t minimum = 0) const;
  const std::string& as_string(const std::string& what) const;
  const Array& as_array(const std::string& what) const;
  const Object& as_object(const std::string& what) const;

  // Object lookup: null when absent (find) or a JsonError naming `key` (at).
  const Value* find(std::string_view key) const;
  const Value& at(std::string_view key) const;

 private:
  void dump_to(std::string& out) const;

  Type type_ = Type::Null;
  bool bool_ = false;
  double number_ = 0;
  std::string string_;
  Array array_;
  Object object_;
};

}  // namespace fastmlp::json
