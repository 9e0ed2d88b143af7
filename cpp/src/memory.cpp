#include "fastmlp/memory.hpp"

#include <cmath>
#include <cstdio>

namespace fastmlp {

std::string byte_count(double bytes) {
  static const char* const kUnits[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"};
  char exact[48];
  std::snprintf(exact, sizeof exact, bytes < 1e18 ? "%.0f bytes" : "%.4g bytes", bytes);
  int unit = 0;
  double scaled = bytes;
  while (scaled >= 1024 && unit < 8) {
    scaled /= 1024;
    ++unit;
  }
  if (unit == 0) return exact;
  char readable[32];
  std::snprintf(readable, sizeof readable, scaled < 10 ? "%.1f %s" : "%.0f %s", scaled, kUnits[unit]);
  return std::string(exact) + " (" + readable + ")";
}

}  // namespace fastmlp
