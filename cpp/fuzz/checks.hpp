// What the fuzz targets check beyond "no crash, no sanitizer report": failures that abort (so that
// libFuzzer keeps the input) and the promises about error messages, which become Python str.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

#include "json.hpp"

namespace fastmlp::fuzz {

[[noreturn]] inline void fail(const char* target, const char* what, const std::string& detail) {
  std::fprintf(stderr, "%s: %s: %.500s\n", target, what, detail.c_str());
  std::abort();
}

// Printable ASCII only (the JSON reader's messages escape every other byte).
inline void require_printable_ascii(const char* target, const char* message) {
  for (const char* c = message; *c; ++c)
    if (static_cast<unsigned char>(*c) < 0x20 || static_cast<unsigned char>(*c) >= 0x7F)
      fail(target, "error message with a byte that is not printable ASCII", message);
}

// Valid UTF-8 without control characters (ModelFileError keeps a name's valid UTF-8 as it is).
inline void require_valid_text(const char* target, const char* message) {
  if (!json::is_valid_utf8(message)) fail(target, "error message that is not valid UTF-8", message);
  for (const char* c = message; *c; ++c)
    if (static_cast<unsigned char>(*c) < 0x20) fail(target, "error message with a control character", message);
}

}  // namespace fastmlp::fuzz
