// libFuzzer target for the JSON reader that model-file headers go through (cpp/src/json.cpp, behind fastmlp::Config).
// Beyond "no crash, no sanitizer report, no other exception than JsonError", it checks what the
// reader promises: a value it reads writes out as JSON that reads back to the same value, and every
// error message is printable ASCII (messages become Python str, which must be valid UTF-8).
// Build and run: .ci/fuzz.sh (docs/reliability.md).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "checks.hpp"
#include "json.hpp"

using fastmlp::json::JsonError;  // ConfigError
using fastmlp::json::Value;

namespace {

constexpr const char* kTarget = "fuzz_json";

[[noreturn]] void fail(const char* what, const std::string& detail) { fastmlp::fuzz::fail(kTarget, what, detail); }

void require_printable(const char* message) { fastmlp::fuzz::require_printable_ascii(kTarget, message); }

// Reads every value through the accessors a header reader uses, with the right and a wrong type.
void walk(const Value& value) {
  switch (value.type()) {
    case Value::Type::Null: break;
    case Value::Type::Bool: value.as_bool("b"); break;
    case Value::Type::Number:
      value.as_number("n");
      try {
        value.as_integer("i", -1);
      } catch (const JsonError&) {
      }
      break;
    case Value::Type::String: value.as_string("s"); break;
    case Value::Type::Array:
      for (const Value& item : value.as_array("a")) walk(item);
      break;
    case Value::Type::Object:
      for (const auto& [name, member] : value.as_object("o")) {
        if (value.find(name) != &member) fail("find() did not return the member it names", name);
        walk(member);
      }
      break;
  }
  try {
    value.at("tensors");  // a wrong type or a missing member
  } catch (const JsonError& error) {
    require_printable(error.what());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Value value;
  try {
    value = Value::parse(text);
  } catch (const JsonError& error) {
    require_printable(error.what());
    return 0;
  }
  walk(value);
  const Value copy = value;  // deep copies and moves keep the value
  const std::string written = copy.dump();
  if (written != value.dump()) fail("a copy writes differently", written);
  Value again;
  try {
    again = Value::parse(written);
  } catch (const JsonError& error) {
    fail("written JSON does not read back", std::string(error.what()) + " in " + written);
  }
  if (again.dump() != written) fail("written JSON reads back to another value", written);
  return 0;
}
