// A tiny assertion helper for the C++ tests: no framework, one header.
//
//   CHECK(condition);                        // records a failure with file:line, keeps going
//   CHECK_CLOSE(actual, expected, tolerance);
//   CHECK_THROWS(ExceptionType, expression, "substring of the message");
//   return check::report("test_name");      // at the end of main: prints a summary, returns the exit code
#pragma once

#include <cmath>
#include <cstdio>
#include <exception>
#include <string>

namespace check {

inline int& failures() {
  static int count = 0;
  return count;
}
inline int& checks() {
  static int count = 0;
  return count;
}

inline void record(bool ok, const char* file, int line, const std::string& what) {
  ++checks();
  if (ok) return;
  ++failures();
  std::fprintf(stderr, "%s:%d: FAILED: %s\n", file, line, what.c_str());
}

// Nine significant digits: enough to tell float32 values apart, unlike std::to_string's six decimals.
inline std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", value);
  return text;
}

inline bool close(double actual, double expected, double tolerance) {
  return std::abs(actual - expected) <= tolerance;  // false for NaN, as it should be
}

inline int report(const char* name) {
  std::printf("%s: %d checks, %d failed\n", name, checks(), failures());
  return failures() == 0 ? 0 : 1;
}

}  // namespace check

#define CHECK(condition) ::check::record(static_cast<bool>(condition), __FILE__, __LINE__, #condition)

#define CHECK_CLOSE(actual, expected, tolerance)                                                              \
  do {                                                                                                        \
    const double check_actual_ = (actual), check_expected_ = (expected);                                      \
    ::check::record(::check::close(check_actual_, check_expected_, (tolerance)), __FILE__, __LINE__,          \
                    std::string(#actual " = ") + ::check::number(check_actual_) + ", expected " +             \
                        ::check::number(check_expected_) + " within " + ::check::number(tolerance));         \
  } while (0)

// Passes when `expression` throws ExceptionType whose what() contains `substring`.
#define CHECK_THROWS(ExceptionType, expression, substring)                                                     \
  do {                                                                                                        \
    std::string check_outcome_ = "no exception";                                                              \
    bool check_ok_ = false;                                                                                   \
    try {                                                                                                     \
      (void)(expression);                                                                                     \
    } catch (const ExceptionType& error) {                                                                    \
      check_outcome_ = std::string("message '") + error.what() + "'";                                         \
      check_ok_ = std::string(error.what()).find(substring) != std::string::npos;                             \
    } catch (const std::exception& error) {                                                                   \
      check_outcome_ = std::string("another exception: '") + error.what() + "'";                              \
    }                                                                                                         \
    ::check::record(check_ok_, __FILE__, __LINE__,                                                            \
                    std::string(#expression " should throw " #ExceptionType " mentioning '") + (substring) +  \
                        "', got " + check_outcome_);                                                          \
  } while (0)
