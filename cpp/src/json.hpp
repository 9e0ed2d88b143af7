// The JSON reader and writer behind Config (config.hpp), under the names the parser was written with.
// Internal to the library (not installed).
#pragma once

#include "fastmlp/config.hpp"

namespace fastmlp::json {

using Value = Config;
using JsonError = ConfigError;

}  // namespace fastmlp::json
