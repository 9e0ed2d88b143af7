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
  CHECK_THROWS(JsonError, Value::parse(std::string(1025, '[') + std::string(1025, ']')), "nested more than 1024");
  CHECK(Value::parse(std::string(64, '[') + std::string(64, ']')).type() == Value::Type::Array);
  CHECK_THROWS(JsonError, Value::parse("{}").at("tensors"), "missing field \"tensors\"");
  CHECK_THROWS(JsonError, Value::parse("[]").as_object("model"), "model must be an object, got a list []");
}

void test_value_semantics() {
  // Copies are deep, moves leave null behind, and empty containers and strings read back as such.
  Value original = Value::parse(R"({"a": [1, "x", {"b": []}], "c": "", "d": {}, "e": 2.0})");
  Value copy = original;
  CHECK(copy.dump() == original.dump() && copy == original);
  Value moved = std::move(copy);
  CHECK(copy.is_null());  // NOLINT(bugprone-use-after-move): moving is specified to leave null
  CHECK(moved.dump() == original.dump());
  copy = moved;
  moved = Value(2);
  CHECK(copy.dump() == original.dump() && moved.dump() == "2" && moved.is_integer());
  CHECK(!copy.at("e").is_integer() && copy.at("e").dump() == "2.0");  // the integer flag is copied too
  CHECK(original.at("c").as_string("c").empty() && original.at("d").as_object("d").empty());
  CHECK(original.at("a").as_array("a")[2].at("b").as_array("b").empty());
  CHECK(Value("").dump() == "\"\"" && Value(Value::Array{}).dump() == "[]" && Value(Value::Object{}).dump() == "{}");
  Value& self = original;
  original = self;
  CHECK(original == copy);
  // set() on null and on an empty object.
  Value built;
  built.set("x", 1);
  built.set("x", 2);
  Value empty = Value::Object{};
  empty.set("y", "z");
  CHECK(built.dump() == R"({"x":2})" && empty.dump() == R"({"y":"z"})");
  CHECK(sizeof(Value) == 16);
}

void test_messages_are_printable() {
  // Messages reach Python as str, which must be valid UTF-8, whatever bytes the text holds.
  auto printable = [](const std::string& text) {
    for (const char c : text)
      if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7F) return false;
    return true;
  };
  for (const std::string& bad : {std::string("\xFF"), std::string("[\x80]"), std::string("{\"\xC3\x28\": 1}"),
                                 std::string("\x01"), std::string("{\"\x7F\": 1, \"\x7F\": 1}")}) {
    try {
      Value::parse(bad);
      CHECK(!"parsed");
    } catch (const JsonError& error) {
      CHECK(printable(error.what()));
    }
  }
  CHECK_THROWS(JsonError, Value::parse("\xFF"), "unexpected character '\\xff'");
  // A long duplicate name is shown cut short.
  const std::string name(1000, 'n');
  CHECK_THROWS(JsonError, Value::parse("{\"" + name + "\": 1, \"" + name + "\": 2}"), "nnnn...\"");
}

void test_strings_must_be_utf8() {
  // RFC 8259 text is UTF-8: a name read from a file reaches Python as str, so bytes that are not
  // UTF-8 are refused where they are read (they became a UnicodeDecodeError much later).
  for (const char* bad : {"\"\xFF\"", "\"\xC3\x28\"", "\"\xC0\xAF\"", "\"\xE0\x80\xAF\"", "\"\xED\xA0\x80\"",
                          "\"\xF4\x90\x80\x80\"", "\"\xF8\x88\x80\x80\x80\"", "\"abc\xE2\x82\""})
    CHECK_THROWS(JsonError, Value::parse(bad), "not UTF-8");
  CHECK(Value::parse("\"\xE2\x82\xAC \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF\"").as_string("s") ==
        "\xE2\x82\xAC \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF");
  CHECK(fastmlp::json::is_valid_utf8("caf\xC3\xA9") && !fastmlp::json::is_valid_utf8("caf\xC3"));
  CHECK(fastmlp::json::utf8_or_escaped("caf\xC3\xA9/\xFF.fmlp") == "caf\xC3\xA9/\\xff.fmlp");
  // Nothing writes what no reader would take.
  CHECK_THROWS(JsonError, Value(std::string("\xFF")).dump(), "not valid UTF-8");
  // A type error about such a string (made in C++) still has a printable message.
  CHECK_THROWS(JsonError, Value(std::string("\xFF")).as_number("units"), "units must be a number, got a string \"\\xff\"");
}

void test_many_members() {
  // Duplicates are found however far apart they are, in objects of any size.
  std::string text = "{";
  for (int i = 0; i < 50000; ++i) text += "\"m" + std::to_string(i) + "\": " + std::to_string(i) + ",";
  const Value unique = Value::parse(text + "\"last\": 0}");
  CHECK(unique.as_object("o").size() == 50001);
  CHECK(unique.at("m49999").as_number("m") == 49999);
  CHECK(unique.as_object("o").front().first == "m0");  // insertion order kept
  CHECK_THROWS(JsonError, Value::parse(text + "\"m7\": 0}"), "duplicate member name \"m7\"");
  // Names that differ only past a long common prefix, and nested objects with the same names.
  CHECK(Value::parse(R"({"a": {"a": {"a": 1}}, "b": {"a": 2}})").at("b").at("a").as_number("a") == 2);
  const std::string prefix(300, 'p');
  CHECK(Value::parse("{\"" + prefix + "1\": 1, \"" + prefix + "2\": 2}").as_object("o").size() == 2);
}

}  // namespace

int main() {
  test_values();
  test_numbers();
  test_strings();
  test_malformed();
  test_value_semantics();
  test_messages_are_printable();
  test_strings_must_be_utf8();
  test_many_members();
  return check::report("test_json");
}
