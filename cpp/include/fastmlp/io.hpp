// Model files: one format for the C++ library and for Python's model.save / load_model.
// The byte layout is specified in docs/model-format.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <stdexcept>

#include "fastmlp/sequential.hpp"

namespace fastmlp {

// The newest format version this library writes and reads; files with a larger number are refused.
constexpr std::uint32_t kModelFormatVersion = 1;

// A model file that cannot be written or read: missing, unreadable, foreign, damaged, truncated, from
// a newer fastmlp, or describing a model this library cannot build. The message says which.
class ModelFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Writes the architecture, the weights and the compile configuration (loss, optimizer and its
// hyper-parameters, metrics) of a built model. With `include_optimizer`, also the training state:
// the optimizer's step count and slots, and the model's random generator, so that fit() continues
// exactly as it would have without the round trip (the generator's state is restored only by a
// program built with the same kind of C++ standard library, e.g. libstdc++). The file appears
// atomically: it is written beside `path` under a temporary name and renamed over it when complete.
void save_model(const Sequential& model, const std::filesystem::path& path, bool include_optimizer = true);

// Reads a file written by save_model (from C++ or Python). Checks the magic bytes, the version,
// every size against the file's length and the checksum before building anything, and either
// returns the complete model (compiled if it was compiled when saved) or throws ModelFileError.
Sequential load_model(const std::filesystem::path& path);

}  // namespace fastmlp
