#include "json.hpp"

#include <cmath>
#include <iomanip>
#include <locale>
#include <sstream>

// Config's members are defined in its own namespace; the parser keeps the JSON names (json.hpp).
namespace fastmlp {
using json::JsonError;
using json::Value;

namespace {

constexpr int kMaxDepth = 64;
constexpr double kMaxExactInteger = 9007199254740992.0;  // 2^53: every integer up to here is a double

// The value as a Python user wrote it (2.5, True, None, 'text', a list [...]), shortened: messages
// show what was passed.
std::string describe(const Value& value) {
  std::string text;
  switch (value.type()) {
    case Value::Type::Null: return "None";
    case Value::Type::Bool: return value.as_bool("") ? "True" : "False";
    case Value::Type::Number: return value.dump();
    case Value::Type::String: text = "a string " + value.dump(); break;
    case Value::Type::Array: text = "a list " + value.dump(); break;
    case Value::Type::Object: text = "a dict " + value.dump(); break;
  }
  return text.size() > 60 ? text.substr(0, 57) + "..." : text;
}

[[noreturn]] void wrong_type(const std::string& what, const char* expected, const Value& actual) {
  throw ConfigTypeError(what + " must be " + expected + ", got " + describe(actual));
}

void append_utf8(std::string& out, std::uint32_t code_point) {
  if (code_point < 0x80) {
    out += static_cast<char>(code_point);
  } else if (code_point < 0x800) {
    out += static_cast<char>(0xC0 | (code_point >> 6));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else if (code_point < 0x10000) {
    out += static_cast<char>(0xE0 | (code_point >> 12));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code_point >> 18));
    out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  }
}

// Recursive descent over RFC 8259's grammar, strict: no comments, trailing commas or duplicate names.
class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Value parse_document() {
    Value value = parse_value(0);
    skip_whitespace();
    if (pos_ != text_.size()) fail("unexpected text after the end of the value");
    return value;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw JsonError("invalid JSON at byte " + std::to_string(pos_) + ": " + what);
  }

  bool at_end() const { return pos_ >= text_.size(); }

  void skip_whitespace() {
    while (!at_end() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r'))
      ++pos_;
  }

  bool consume(char c) {
    skip_whitespace();
    if (at_end() || text_[pos_] != c) return false;
    ++pos_;
    return true;
  }

  void expect(char c, const char* what) {
    if (!consume(c)) fail(std::string("expected ") + what);
  }

  bool consume_word(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  Value parse_value(int depth) {
    if (depth >= kMaxDepth) fail("nested more than " + std::to_string(kMaxDepth) + " levels deep");
    skip_whitespace();
    if (at_end()) fail("unexpected end of text");
    const char c = text_[pos_];
    if (c == '{') return parse_object(depth);
    if (c == '[') return parse_array(depth);
    if (c == '"') return Value(parse_string());
    if (c == '-' || (c >= '0' && c <= '9')) return parse_number();
    if (consume_word("true")) return Value(true);
    if (consume_word("false")) return Value(false);
    if (consume_word("null")) return Value();
    fail(std::string("unexpected character '") + c + "'");
  }

  Value parse_object(int depth) {
    ++pos_;  // '{'
    Value::Object members;
    if (consume('}')) return Value(std::move(members));
    do {
      skip_whitespace();
      if (at_end() || text_[pos_] != '"') fail("expected a member name in double quotes");
      std::string name = parse_string();
      for (const auto& member : members)
        if (member.first == name) fail("duplicate member name \"" + name + "\"");
      expect(':', "':' after a member name");
      members.emplace_back(std::move(name), parse_value(depth + 1));
    } while (consume(','));
    expect('}', "',' or '}' in an object");
    return Value(std::move(members));
  }

  Value parse_array(int depth) {
    ++pos_;  // '['
    Value::Array values;
    if (consume(']')) return Value(std::move(values));
    do values.push_back(parse_value(depth + 1));
    while (consume(','));
    expect(']', "',' or ']' in an array");
    return Value(std::move(values));
  }

  std::uint32_t parse_hex4() {
    if (text_.size() - pos_ < 4) fail("incomplete \\u escape");
    std::uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[pos_++];
      value <<= 4;
      if (c >= '0' && c <= '9') value |= static_cast<std::uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') value |= static_cast<std::uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') value |= static_cast<std::uint32_t>(c - 'A' + 10);
      else fail("invalid hex digit in a \\u escape");
    }
    return value;
  }

  std::string parse_string() {
    ++pos_;  // opening quote
    std::string out;
    while (true) {
      if (at_end()) fail("unterminated string");
      const char c = text_[pos_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) fail("unescaped control character in a string");
      if (c != '\\') {
        out += c;  // bytes >= 0x80 are UTF-8 and pass through unchanged
        continue;
      }
      if (at_end()) fail("unterminated escape");
      switch (text_[pos_++]) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          std::uint32_t code_point = parse_hex4();
          if (code_point >= 0xDC00 && code_point <= 0xDFFF) fail("unpaired low surrogate");
          if (code_point >= 0xD800 && code_point <= 0xDBFF) {  // a UTF-16 pair encodes one code point
            if (!consume_word("\\u")) fail("unpaired high surrogate");
            const std::uint32_t low = parse_hex4();
            if (low < 0xDC00 || low > 0xDFFF) fail("unpaired high surrogate");
            code_point = 0x10000 + ((code_point - 0xD800) << 10) + (low - 0xDC00);
          }
          append_utf8(out, code_point);
          break;
        }
        default: fail("invalid escape in a string");
      }
    }
  }

  bool digit() const { return !at_end() && text_[pos_] >= '0' && text_[pos_] <= '9'; }

  void digits() {
    if (!digit()) fail("expected a digit");
    while (digit()) ++pos_;
  }

  // An integer when written as one (no fraction, no exponent) and exactly representable.
  Value parse_number() {
    const size_t start = pos_;
    if (text_[pos_] == '-') ++pos_;
    if (!at_end() && text_[pos_] == '0') ++pos_;
    else digits();
    if (!at_end() && text_[pos_] == '.') {
      ++pos_;
      digits();
    }
    if (!at_end() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      if (!at_end() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      digits();
    }
    // The classic locale: a user's locale with a decimal comma must not change how files read.
    std::istringstream stream(std::string(text_.substr(start, pos_ - start)));
    stream.imbue(std::locale::classic());
    double value = 0;
    stream >> value;
    if (stream.fail() || !std::isfinite(value)) fail("number out of range");
    const std::string_view token = text_.substr(start, pos_ - start);
    if (token.find_first_of(".eE") == std::string_view::npos && std::abs(value) <= kMaxExactInteger)
      return Value(static_cast<std::int64_t>(value));
    return Value(value);
  }

  std::string_view text_;
  size_t pos_ = 0;
};

void dump_string(std::string& out, const std::string& text) {
  static const char kHex[] = "0123456789abcdef";
  out += '"';
  for (const char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += "\\u00";
          out += kHex[(c >> 4) & 0xF];
          out += kHex[c & 0xF];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

void dump_number(std::string& out, double value, bool integral) {
  if (!std::isfinite(value)) throw JsonError("cannot write " + std::to_string(value) + " as JSON");
  if (value == std::trunc(value) && std::abs(value) <= kMaxExactInteger) {
    out += std::to_string(static_cast<std::int64_t>(value));
    if (!integral) out += ".0";  // a real number that happens to be whole reads back as real
    return;
  }
  // The shortest of 15 to 17 significant digits that reads back as the same double: 0.001, not
  // 0.0010000000000000000208.
  for (int digits = 15;; ++digits) {
    std::ostringstream stream;
    stream.imbue(std::locale::classic());
    stream << std::setprecision(digits) << value;
    std::istringstream back(stream.str());
    back.imbue(std::locale::classic());
    double parsed = 0;
    back >> parsed;
    if (parsed == value || digits == 17) {
      out += stream.str();
      return;
    }
  }
}

}  // namespace

Value Value::parse(std::string_view text) { return Parser(text).parse_document(); }

std::string Value::dump() const {
  std::string out;
  dump_to(out);
  return out;
}

void Value::dump_to(std::string& out) const {
  switch (type_) {
    case Type::Null: out += "null"; break;
    case Type::Bool: out += bool_ ? "true" : "false"; break;
    case Type::Number: dump_number(out, number_, integral_); break;
    case Type::String: dump_string(out, string_); break;
    case Type::Array:
      out += '[';
      for (size_t i = 0; i < array_.size(); ++i) {
        if (i > 0) out += ',';
        array_[i].dump_to(out);
      }
      out += ']';
      break;
    case Type::Object:
      out += '{';
      for (size_t i = 0; i < object_.size(); ++i) {
        if (i > 0) out += ',';
        dump_string(out, object_[i].first);
        out += ':';
        object_[i].second.dump_to(out);
      }
      out += '}';
      break;
  }
}

bool Value::as_bool(const std::string& what) const {
  if (type_ != Type::Bool) wrong_type(what, "true or false", *this);
  return bool_;
}

double Value::as_number(const std::string& what) const {
  if (type_ != Type::Number) wrong_type(what, "a number", *this);
  return number_;
}

std::int64_t Value::as_integer(const std::string& what, std::int64_t minimum) const {
  if (type_ != Type::Number || number_ != std::trunc(number_)) wrong_type(what, "an integer", *this);
  const double value = number_;
  if (value < static_cast<double>(minimum) || value > kMaxExactInteger)
    throw JsonError(what + " must be " +
                    (minimum <= -kMaxExactInteger ? std::string("an integer")
                                                  : "an integer >= " + std::to_string(minimum)) +
                    ", got " + Value(value).dump());
  return static_cast<std::int64_t>(value);
}

const std::string& Value::as_string(const std::string& what) const {
  if (type_ != Type::String) wrong_type(what, "a string", *this);
  return string_;
}

const Value::Array& Value::as_array(const std::string& what) const {
  if (type_ != Type::Array) wrong_type(what, "an array", *this);
  return array_;
}

const Value::Object& Value::as_object(const std::string& what) const {
  if (type_ != Type::Object) wrong_type(what, "an object", *this);
  return object_;
}

const Value* Value::find(std::string_view key) const {
  if (type_ != Type::Object) return nullptr;
  for (const auto& [name, value] : object_)
    if (name == key) return &value;
  return nullptr;
}

const Value& Value::at(std::string_view key) const {
  const Value* value = find(key);
  if (value == nullptr) throw JsonError("missing field \"" + std::string(key) + "\"");
  return *value;
}

void Value::set(const std::string& key, Value value) {
  if (type_ == Type::Null) type_ = Type::Object;
  if (type_ != Type::Object) throw JsonError("cannot set \"" + key + "\" on a value that is not an object");
  for (auto& member : object_)
    if (member.first == key) {
      member.second = std::move(value);
      return;
    }
  object_.emplace_back(key, std::move(value));
}

bool Value::operator==(const Value& other) const {
  if (type_ != other.type_) return false;
  switch (type_) {
    case Type::Null: return true;
    case Type::Bool: return bool_ == other.bool_;
    case Type::Number: return number_ == other.number_;
    case Type::String: return string_ == other.string_;
    case Type::Array: return array_ == other.array_;
    case Type::Object: return object_ == other.object_;
  }
  return false;
}

}  // namespace fastmlp
