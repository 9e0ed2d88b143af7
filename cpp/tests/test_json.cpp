// The internal JSON reader and writer that model-file headers go through.
#include <cstdio>
#include <string>

#include "check.hpp"
#include "json.hpp"

using fastmlp::json::JsonError;
using fastmlp::json::Value;

namespace {

std::string round_trip(const std::string& text) { return Value::parse(text).dump(); }

void test_values() {
  const Value v = Value::parse(R"( {"a": [1, -2.5, true, false, null], "b": {"c": "d"}, "e": []} )");
  CHECK(v.at("a").as_array("a").size() == 5);
  CHECK(v.at("a").as_array("a")[1].as_number("x") == -2.5);
  CHECK(v.at("a").as_array("a")[2].as_bool("x"));
  CHECK(v.at("a").as_array("a")[4].is_null());
  CHECK(v.at("b").at("c").as_string("c") == "d");
  CHECK(v.find("missing") == nullptr);
  CHECK(v.dump() == R"({"a":[1,-2.5,true,false,null],"b":{"c":"d"},"e":[]})");
  // Members keep the order they were written in.
  CHECK(Value(Value::Object{{"z", 1}, {"a", 2}}).dump() == R"({"z":1,"a":2})");
}

void test_numbers() {
  CHECK(Value(0.001).dump() == "0.001");  // shortest form that reads back exactly
  CHECK(Value(1e-7).dump() == "1e-07");
  CHECK(Value(0.1 + 0.2).dump() == "0.30000000000000004");
  // Integers and real numbers keep their kind: 4 reads and writes as an integer, 4.0 as a real.
  CHECK(Value(std::int64_t{9007199254740992}).dump() == "9007199254740992");
  CHECK(Value(9007199254740992.0).dump() == "9007199254740992.0");
  CHECK(Value::parse("4").is_integer() && !Value::parse("4.0").is_integer() && !Value::parse("4e0").is_integer());
  CHECK(Value::parse("[4,4.0,0.25]").dump() == "[4,4.0,0.25]");
  CHECK(Value::parse("4") == Value::parse("4.0"));  // equal in value
  CHECK(Value(-3).dump() == "-3");
  CHECK(Value::parse("1E+2").as_number("x") == 100);
  CHECK(Value::parse("-0.5e-1").as_number("x") == -0.05);
  CHECK(Value::parse("12").as_integer("n") == 12);
  CHECK_THROWS(JsonError, Value::parse("1.5").as_integer("units"), "units must be an integer, got 1.5");
  CHECK_THROWS(JsonError, Value::parse("-1").as_integer("units"), ">= 0");
  CHECK_THROWS(JsonError, Value::parse("1e400"), "out of range");
  CHECK_THROWS(JsonError, Value(1.0 / 0.0).dump(), "cannot write");
  for (const char* bad : {"01", "1.", ".5", "-", "+1", "1e", "0x10", "NaN"}) CHECK_THROWS(JsonError, Value::parse(bad), "invalid JSON");
}

void test_strings() {
  CHECK(Value::parse(R"("tab\there \"q\" \\ \/ \u00e9 \ud83d\ude00")").as_string("s") ==
        "tab\there \"q\" \\ / \xC3\xA9 \xF0\x9F\x98\x80");
  CHECK(round_trip(R"("line\nbreak \u0001")") == R"("line\nbreak \u0001")");
  CHECK(round_trip("\"caf\xC3\xA9\"") == "\"caf\xC3\xA9\"");  // UTF-8 passes through
  CHECK_THROWS(JsonError, Value::parse("\"unterminated"), "unterminated string");
  CHECK_THROWS(JsonError, Value::parse("\"a\nb\""), "control character");
  CHECK_THROWS(JsonError, Value::parse(R"("\ud83d")"), "unpaired high surrogate");
  CHECK_THROWS(JsonError, Value::parse(R"("\ude00")"), "unpaired low surrogate");
  CHECK_THROWS(JsonError, Value::parse(R"("\x")"), "invalid escape");
}

void test_malformed() {
  CHECK_THROWS(JsonError, Value::parse(""), "unexpected end");
  CHECK_THROWS(JsonError, Value::parse("[1, 2,]"), "invalid JSON at byte 6");
  CHECK_THROWS(JsonError, Value::parse(R"({"a": 1,})"), "member name");
  CHECK_THROWS(JsonError, Value::parse(R"({"a": 1, "a": 2})"), "duplicate member name \"a\"");
  CHECK_THROWS(JsonError, Value::parse("[1] 2"), "after the end");
  CHECK_THROWS(JsonError, Value::parse("tru"), "unexpected character");
  CHECK_THROWS(JsonError, Value::parse(std::string(65, '[') + std::string(65, ']')), "nested more than 64");
  CHECK(Value::parse(std::string(64, '[') + std::string(64, ']')).type() == Value::Type::Array);
  CHECK_THROWS(JsonError, Value::parse("{}").at("tensors"), "missing field \"tensors\"");
  CHECK_THROWS(JsonError, Value::parse("[]").as_object("model"), "model must be an object, got a list []");
}

}  // namespace

int main() {
  test_values();
  test_numbers();
  test_strings();
  test_malformed();
  return check::report("test_json");
}
