// The JSON reader and writer behind Config (config.hpp), under the names the parser was written with,
// and the helpers that keep text from files printable in error messages. Internal to the library
// (not installed).
#pragma once

#include <string>
#include <string_view>

#include "fastmlp/config.hpp"

namespace fastmlp::json {

using Value = Config;
using JsonError = ConfigError;

// Whether `text` is valid UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::string_view text);

// `text` for an error message: printable ASCII kept, every other byte as \xNN, cut to `limit` bytes
// with "..." after. Messages become Python str, which must be valid UTF-8, and reach terminals.
std::string printable(std::string_view text, std::size_t limit = 40);

// `text` with its valid UTF-8 kept (a path "café.fmlp" stays readable) and each byte that is not
// part of a valid sequence written as \xNN, as Python's "backslashreplace" shows it.
std::string utf8_or_escaped(std::string_view text);

}  // namespace fastmlp::json
