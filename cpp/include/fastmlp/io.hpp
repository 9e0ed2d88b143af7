// Model files: one format for the C++ library and for Python's model.save / load_model.
// The byte layout is specified in docs/model-format.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>

#include "fastmlp/sequential.hpp"  // Model and Sequential

namespace fastmlp {

// The format version this library writes; it reads this one and every older one. Files with a
// larger number are refused.
constexpr std::uint32_t kModelFormatVersion = 2;

// A model file that cannot be written or read: missing, unreadable, foreign, damaged, truncated, from
// a newer fastmlp, or describing a model this library cannot build. The message says which, in
// valid UTF-8 whatever bytes a path or a file holds (each byte that is not part of valid UTF-8
// appears as \xNN): it becomes a Python str, and bytes that are not UTF-8 made that a
// UnicodeDecodeError instead of this error.
class ModelFileError : public std::runtime_error {
 public:
  explicit ModelFileError(const std::string& message);
};

// The most header bytes a model file may declare; save refuses to write more and load refuses to
// read more, before reading them.
constexpr std::size_t kMaxHeaderBytes = std::size_t{16} << 20;

// A model of either scalar type, as load_any_model gives back what a file holds: index 0 (float) for
// float32 files, 1 (double) for float64 ones. std::visit reaches the model:
//   std::visit([](auto& model) { ... model.predict(...) ... }, fastmlp::load_any_model(path));
// A Sequential comes back as a Model whose class_name() is "Sequential" (SequentialOf<Scalar>(std::move(model))
// gives back its add and pop).
using AnyModel = std::variant<ModelOf<float>, ModelOf<double>>;

// Writes the architecture (every layer's config), the weights and the compile configuration (the
// loss, the optimizer and the metrics, with all their parameters) of a built model. With
// `include_optimizer`, also the training state: the optimizer's step count and slots, and the random
// generators of the model and its layers, so that fit() continues exactly as it would have without
// the round trip (a generator's state is restored only by a program built with the same kind of C++
// standard library, e.g. libstdc++). The file appears atomically: it is written beside `path` under
// a temporary name and renamed over it when complete. The file holds the model's dtype ("float32" or
// "float64"), and its tensors in that type.
template <class Scalar>
void save_model(const ModelOf<Scalar>& model, const std::filesystem::path& path, bool include_optimizer = true);

// Reads a file written by save_model (from C++ or Python, by this or an older fastmlp). Reads the
// preamble and the header first and checks them, and every size the header declares, against the
// file's length before reading more; never reads more than the header says the file holds. Checks
// the checksum and every tensor shape the layers will need against the tensor table before building
// (allocating) anything, rejects generator states a generator cannot leave (all zeros), validates every config as the constructors do, and either returns the complete model
// (compiled if it was compiled when saved) or throws ModelFileError. A Sequential comes back as a
// Model whose class_name() is "Sequential"; Sequential(load_model(path)) gives back its add and pop.
// The model has the dtype the file holds (files written before float64 models hold float32 ones).
AnyModel load_any_model(const std::filesystem::path& path);

// The same for a file that holds a model of scalar type Scalar (float: `Model m = load_model(path);`).
// A file of the other dtype is refused with ModelFileError ("... holds a float64 model; load it with
// load_model<double> or load_any_model"), after every check above.
template <class Scalar = float>
ModelOf<Scalar> load_model(const std::filesystem::path& path);

// The same file as bytes in memory: for pickling, for sending a model to another process, and for
// tests. `source` names the bytes in error messages.
template <class Scalar>
std::string save_model_to_bytes(const ModelOf<Scalar>& model, bool include_optimizer = true);
AnyModel load_any_model_from_bytes(std::string_view bytes, const std::string& source = "bytes");
template <class Scalar = float>
ModelOf<Scalar> load_model_from_bytes(std::string_view bytes, const std::string& source = "bytes");

// "float32" or "float64": the dtype of the model `model` holds.
const char* dtype_of(const AnyModel& model);

// Defined (for float and double) in io.cpp.
extern template void save_model<float>(const ModelOf<float>&, const std::filesystem::path&, bool);
extern template void save_model<double>(const ModelOf<double>&, const std::filesystem::path&, bool);
extern template ModelOf<float> load_model<float>(const std::filesystem::path&);
extern template ModelOf<double> load_model<double>(const std::filesystem::path&);
extern template std::string save_model_to_bytes<float>(const ModelOf<float>&, bool);
extern template std::string save_model_to_bytes<double>(const ModelOf<double>&, bool);
extern template ModelOf<float> load_model_from_bytes<float>(std::string_view, const std::string&);
extern template ModelOf<double> load_model_from_bytes<double>(std::string_view, const std::string&);

}  // namespace fastmlp
