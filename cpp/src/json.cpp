#include "json.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <deque>
#include <iomanip>
#include <iterator>
#include <locale>
#include <sstream>

// Config's members are defined in its own namespace; the parser keeps the JSON names (json.hpp).
namespace fastmlp {
using json::JsonError;
using json::Value;

namespace {

// Deep enough for any model that can be built (kMaxModelNesting, model_layer.hpp: each nested model
// adds at most 8 levels), small enough that the recursive parser, dump and destructor stay within a
// few hundred KB of stack.
constexpr int kMaxDepth = 1024;
constexpr double kMaxExactInteger = 9007199254740992.0;  // 2^53: every integer up to here is a double

// The value as a Python user wrote it (2.5, True, None, 'text', a list [...]), shortened: messages
// show what was passed.
std::string describe(const Value& value) {
  std::string text;
  if (!(value.is_string() ? json::is_valid_utf8(value.as_string("")) : true))
    return "a string \"" + json::printable(value.as_string("")) + "\"";
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

// The length of the UTF-8 sequence at text[pos] (a byte >= 0x80), or 0 when it is not a valid one
// (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
std::size_t utf8_sequence_length(std::string_view text, std::size_t pos) {
  const auto byte = [&](std::size_t i) { return pos + i < text.size() ? static_cast<unsigned char>(text[pos + i]) : 0u; };
  const unsigned lead = byte(0);
  unsigned low = 0x80, high = 0xBF;  // the range of the second byte
  std::size_t length;
  if (lead >= 0xC2 && lead <= 0xDF) length = 2;
  else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // overlong below U+0800
    if (lead == 0xED) high = 0x9F;  // surrogates U+D800..U+DFFF
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;   // overlong below U+10000
    if (lead == 0xF4) high = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (byte(1) < low || byte(1) > high) return 0;
  for (std::size_t i = 2; i < length; ++i)
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  return length;
}

// Recursive descent over RFC 8259's grammar, strict: no comments, trailing commas, duplicate names
// or invalid UTF-8. The elements of the arrays and objects being read wait on two stacks that the
// whole parse shares; a container takes exactly its own elements from the top when it closes. So no
// container grows by doubling (which left up to half of every array unused), and each name is
// checked against the others of its object once, by sorting, rather than against every earlier one
// (quadratic: an object of 80 000 members took 23 s).
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
    fail("unexpected character '" + json::printable(text_.substr(pos_, 1)) + "'");
  }

  Value parse_object(int depth) {
    ++pos_;  // '{'
    const std::size_t first = members_.size();
    if (!consume('}')) {
      do {
        skip_whitespace();
        if (at_end() || text_[pos_] != '"') fail("expected a member name in double quotes");
        std::string name = parse_string();
        expect(':', "':' after a member name");
        Value value = parse_value(depth + 1);
        members_.emplace_back(std::move(name), std::move(value));
      } while (consume(','));
      expect('}', "',' or '}' in an object");
    }
    require_unique_names(first);
    const auto begin = members_.begin() + static_cast<std::ptrdiff_t>(first);
    Value::Object members(std::make_move_iterator(begin), std::make_move_iterator(members_.end()));
    members_.erase(begin, members_.end());
    return Value(std::move(members));
  }

  // The members from `first` to the top of the stack: O(n log n) comparisons, whatever the names.
  void require_unique_names(std::size_t first) {
    names_.clear();
    for (std::size_t i = first; i < members_.size(); ++i) names_.push_back(&members_[i].first);
    std::sort(names_.begin(), names_.end(), [](const std::string* a, const std::string* b) { return *a < *b; });
    const auto twice = std::adjacent_find(names_.begin(), names_.end(),
                                          [](const std::string* a, const std::string* b) { return *a == *b; });
    if (twice != names_.end()) fail("duplicate member name \"" + json::printable(**twice) + "\"");
  }

  Value parse_array(int depth) {
    ++pos_;  // '['
    const std::size_t first = values_.size();
    if (!consume(']')) {
      do values_.push_back(parse_value(depth + 1));
      while (consume(','));
      expect(']', "',' or ']' in an array");
    }
    const auto begin = values_.begin() + static_cast<std::ptrdiff_t>(first);
    Value::Array values(std::make_move_iterator(begin), std::make_move_iterator(values_.end()));
    values_.erase(begin, values_.end());
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
    // Escapes only shorten the text, so the raw length up to the closing quote bounds the result:
    // reserving it once means no string is built by doubling.
    std::size_t end = pos_;
    while (end < text_.size() && text_[end] != '"') end += text_[end] == '\\' ? 2 : 1;
    std::string out;
    out.reserve(std::min(end, text_.size()) - pos_);
    while (true) {
      if (at_end()) fail("unterminated string");
      const char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (static_cast<unsigned char>(c) < 0x20) fail("unescaped control character in a string");
      if (static_cast<unsigned char>(c) >= 0x80) {  // UTF-8 passes through unchanged, once checked
        const std::size_t length = utf8_sequence_length(text_, pos_);
        if (length == 0) fail("a string holds bytes that are not UTF-8");
        out.append(text_.data() + pos_, length);
        pos_ += length;
        continue;
      }
      ++pos_;
      if (c != '\\') {
        out += c;
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
    const std::size_t start = pos_;
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
    // from_chars ignores the locale (a user's decimal comma must not change how files read) and,
    // unlike a stream, allocates nothing per number.
    double value = 0;
    const auto [end, error] = std::from_chars(text_.data() + start, text_.data() + pos_, value);
    if (error != std::errc() || end != text_.data() + pos_ || !std::isfinite(value)) fail("number out of range");
    const std::string_view token = text_.substr(start, pos_ - start);
    if (token.find_first_of(".eE") == std::string_view::npos && std::abs(value) <= kMaxExactInteger)
      return Value(static_cast<std::int64_t>(value));
    return Value(value);
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  // Deques, not vectors: they grow by fixed blocks, so holding n elements never costs 2n (the
  // doubling of a vector), and taking a container's elements off the top frees their blocks.
  std::deque<Value> values_;                           // elements of the open arrays, innermost last
  std::deque<std::pair<std::string, Value>> members_;  // members of the open objects, innermost last
  std::vector<const std::string*> names_;               // scratch for require_unique_names
};

void dump_string(std::string& out, const std::string& text) {
  static const char kHex[] = "0123456789abcdef";
  if (!json::is_valid_utf8(text))
    throw JsonError("cannot write the string \"" + json::printable(text) + "\" as JSON: it is not valid UTF-8");
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

namespace json {

bool is_valid_utf8(std::string_view text) {
  for (std::size_t pos = 0; pos < text.size();) {
    if (static_cast<unsigned char>(text[pos]) < 0x80) {
      ++pos;
      continue;
    }
    const std::size_t length = utf8_sequence_length(text, pos);
    if (length == 0) return false;
    pos += length;
  }
  return true;
}

std::string printable(std::string_view text, std::size_t limit) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < limit; ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x20 && byte < 0x7F && byte != '\\') {
      out += static_cast<char>(byte);
    } else {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xF];
    }
  }
  if (text.size() > limit) out += "...";
  return out;
}

std::string utf8_or_escaped(std::string_view text) {
  std::string out;
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t length =
        static_cast<unsigned char>(text[pos]) < 0x80 ? 1 : utf8_sequence_length(text, pos);
    if (length == 0) {
      out += printable(text.substr(pos, 1));
      ++pos;
    } else {
      out.append(text.data() + pos, length);
      pos += length;
    }
  }
  return out;
}

}  // namespace json

// ---- Config's storage: 16 bytes, strings and containers on the heap (config.hpp) -------------------
Config::Config(std::string value)
    : type_(Type::String), string_(value.empty() ? nullptr : new std::string(std::move(value))) {}
Config::Config(Array values) : type_(Type::Array), array_(values.empty() ? nullptr : new Array(std::move(values))) {}
Config::Config(Object members)
    : type_(Type::Object), object_(members.empty() ? nullptr : new Object(std::move(members))) {}

Config::Config(const Value& other) : Config() { *this = other; }

Config::Config(Value&& other) noexcept : Config() { *this = std::move(other); }

Value& Value::operator=(const Value& other) {
  if (this == &other) return *this;
  Value copy;  // built first, so that a failed allocation leaves *this unchanged
  switch (other.type_) {
    case Type::Null: break;
    case Type::Bool: copy.bool_ = other.bool_; break;
    case Type::Number: copy.number_ = other.number_; break;
    case Type::String: copy.string_ = other.string_ ? new std::string(*other.string_) : nullptr; break;
    case Type::Array: copy.array_ = other.array_ ? new Array(*other.array_) : nullptr; break;
    case Type::Object: copy.object_ = other.object_ ? new Object(*other.object_) : nullptr; break;
  }
  copy.type_ = other.type_;
  copy.integral_ = other.integral_;
  return *this = std::move(copy);
}

Value& Value::operator=(Value&& other) noexcept {
  if (this == &other) return *this;
  release();
  switch (other.type_) {
    case Type::Null: number_ = 0; break;
    case Type::Bool: bool_ = other.bool_; break;
    case Type::Number: number_ = other.number_; break;
    case Type::String: string_ = other.string_; break;  // the heap member now belongs to this value
    case Type::Array: array_ = other.array_; break;
    case Type::Object: object_ = other.object_; break;
  }
  type_ = other.type_;
  integral_ = other.integral_;
  other.type_ = Type::Null;
  other.integral_ = false;
  other.number_ = 0;
  return *this;
}

void Value::release() noexcept {
  switch (type_) {
    case Type::String: delete string_; break;
    case Type::Array: delete array_; break;
    case Type::Object: delete object_; break;
    default: break;
  }
  type_ = Type::Null;
  number_ = 0;
}

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
    case Type::String: dump_string(out, as_string("")); break;
    case Type::Array: {
      const Array& array = as_array("");
      out += '[';
      for (std::size_t i = 0; i < array.size(); ++i) {
        if (i > 0) out += ',';
        array[i].dump_to(out);
      }
      out += ']';
      break;
    }
    case Type::Object: {
      const Object& object = as_object("");
      out += '{';
      for (std::size_t i = 0; i < object.size(); ++i) {
        if (i > 0) out += ',';
        dump_string(out, object[i].first);
        out += ':';
        object[i].second.dump_to(out);
      }
      out += '}';
      break;
    }
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
  static const std::string empty;
  if (type_ != Type::String) wrong_type(what, "a string", *this);
  return string_ ? *string_ : empty;
}

const Value::Array& Value::as_array(const std::string& what) const {
  static const Array empty;
  if (type_ != Type::Array) wrong_type(what, "an array", *this);
  return array_ ? *array_ : empty;
}

const Value::Object& Value::as_object(const std::string& what) const {
  static const Object empty;
  if (type_ != Type::Object) wrong_type(what, "an object", *this);
  return object_ ? *object_ : empty;
}

const Value* Value::find(std::string_view key) const {
  if (type_ != Type::Object) return nullptr;
  for (const auto& [name, value] : as_object(""))
    if (name == key) return &value;
  return nullptr;
}

const Value& Value::at(std::string_view key) const {
  const Value* value = find(key);
  if (value == nullptr) throw JsonError("missing field \"" + std::string(key) + "\"");
  return *value;
}

void Value::set(const std::string& key, Value value) {
  if (type_ == Type::Null) {
    type_ = Type::Object;
    object_ = nullptr;
  }
  if (type_ != Type::Object) throw JsonError("cannot set \"" + key + "\" on a value that is not an object");
  if (object_ != nullptr)
    for (auto& member : *object_)
      if (member.first == key) {
        member.second = std::move(value);
        return;
      }
  if (object_ == nullptr) object_ = new Object();
  object_->emplace_back(key, std::move(value));
}

bool Value::operator==(const Value& other) const {
  if (type_ != other.type_) return false;
  switch (type_) {
    case Type::Null: return true;
    case Type::Bool: return bool_ == other.bool_;
    case Type::Number: return number_ == other.number_;
    case Type::String: return as_string("") == other.as_string("");
    case Type::Array: return as_array("") == other.as_array("");
    case Type::Object: return as_object("") == other.as_object("");
  }
  return false;
}

}  // namespace fastmlp
