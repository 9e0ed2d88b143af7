// Reading files of format version 1 (fastmlp 0.1.0): their header rewritten in version 2's terms.
// Internal to the library.
#pragma once

#include "fastmlp/config.hpp"

namespace fastmlp {

// Version 1 described each type with fields of its own (a relu's "alpha", a schedule's argument list,
// 0 for an unset clipnorm) and kept a model's Flatten only as its sample shape. The result is the
// version 2 header of the same model: registry configs, a Flatten layer where there was a sample
// shape (its tensors and generator states shifted to follow), and the optimizer's state apart.
// Throws ConfigError when the header does not have version 1's form.
Config upgrade_version_1_header(const Config& header);

}  // namespace fastmlp
