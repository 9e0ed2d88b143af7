// Config: a JSON-like value. Every layer, activation, loss, optimizer, schedule, initializer,
// regularizer and metric reports its parameters as one, and is created from one (registry.hpp);
// model files store them (io.hpp) and Python sees them as dicts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace fastmlp {

// A config that cannot be read: malformed JSON, a value of the wrong type, an unknown or missing
// name. An std::invalid_argument, as the same mistake passed to a constructor would be.
class ConfigError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// A config value of the wrong kind (text where a number belongs, 2.5 for an integer): Python's
// TypeError where a value out of range is a ValueError.
class ConfigTypeError : public ConfigError {
 public:
  using ConfigError::ConfigError;
};

class Config {
 public:
  enum class Type : std::uint8_t { Null, Bool, Number, String, Array, Object };
  using Array = std::vector<Config>;
  // Members in insertion order, so that configs list their parameters in the constructor's order.
  using Object = std::vector<std::pair<std::string, Config>>;

  Config() : number_(0) {}
  Config(std::nullptr_t) : Config() {}
  Config(bool value) : type_(Type::Bool), bool_(value) {}
  // Integer types make integer numbers, which JSON and Python show without a decimal point (units: 4);
  // floating-point types make real ones (learning_rate: 1.0). They compare equal when equal in value.
  template <class Number, std::enable_if_t<std::is_arithmetic_v<Number> && !std::is_same_v<Number, bool>, int> = 0>
  Config(Number value)
      : type_(Type::Number), integral_(std::is_integral_v<Number>), number_(static_cast<double>(value)) {}
  Config(std::string value);
  Config(const char* value) : Config(std::string(value)) {}  // else a string literal would become a bool
  Config(Array values);
  Config(Object members);
  Config(const Config& other);
  Config(Config&& other) noexcept;
  Config& operator=(const Config& other);
  Config& operator=(Config&& other) noexcept;
  ~Config() { release(); }

  // Strict RFC 8259 JSON, strings in valid UTF-8. Throws ConfigError naming the offending byte
  // offset, in a message of printable ASCII whatever bytes the text holds; nesting deeper than 64
  // levels is refused so that hostile input cannot exhaust the stack. Time is linear in the text's
  // length (n log n in the member count of one object); memory peaks at about 20 bytes per byte of
  // text for the worst shapes (arrays of [0] or of 0s) and near 1 for long strings.
  static Config parse(std::string_view text);
  // Compact JSON. Throws ConfigError for NaN or infinity, which JSON cannot hold, and for a string
  // that is not valid UTF-8, which no reader would accept.
  std::string dump() const;

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::Null; }
  bool is_bool() const { return type_ == Type::Bool; }
  bool is_number() const { return type_ == Type::Number; }
  // A number written without a fraction or exponent (JSON), or made from an integer type.
  bool is_integer() const { return type_ == Type::Number && integral_; }
  bool is_string() const { return type_ == Type::String; }
  bool is_array() const { return type_ == Type::Array; }
  bool is_object() const { return type_ == Type::Object; }

  // Each throws ConfigError saying that `what` has the wrong type.
  bool as_bool(const std::string& what) const;
  double as_number(const std::string& what) const;
  // A number that must be a whole number in [minimum, 2^53], where doubles are exact.
  std::int64_t as_integer(const std::string& what, std::int64_t minimum = 0) const;
  const std::string& as_string(const std::string& what) const;
  const Array& as_array(const std::string& what) const;
  const Object& as_object(const std::string& what) const;

  // Object lookup: null when absent (find) or a ConfigError naming `key` (at).
  const Config* find(std::string_view key) const;
  const Config& at(std::string_view key) const;
  // Adds or replaces a member (the value must be an object or null, which becomes an empty object).
  void set(const std::string& key, Config value);

  // Same type and value; objects compare member by member in order.
  bool operator==(const Config& other) const;
  bool operator!=(const Config& other) const { return !(*this == other); }

 private:
  void dump_to(std::string& out) const;
  void release() noexcept;

  // 16 bytes a value: a header can hold millions of values (an array of "0," is 2 bytes of text per
  // value), and a value holding a string and two vectors by value (104 bytes) made parsing cost 70
  // times the text's size. Strings, arrays and objects live on the heap; empty ones allocate
  // nothing (a null pointer).
  Type type_ = Type::Null;
  bool integral_ = false;
  union {
    bool bool_;
    double number_;
    std::string* string_;
    Array* array_;
    Object* object_;
  };
};

}  // namespace fastmlp
