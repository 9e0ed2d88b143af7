#include "fastmlp/io.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <iomanip>
#include <limits>
#include <locale>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <type_traits>
#include <sstream>
#include <string>
#include <vector>

#if __has_include(<unistd.h>)
#include <unistd.h>  // fsync
#define FASTMLP_HAVE_FSYNC 1
#endif

#include "crc32.hpp"
#include "fastmlp/generator_state.hpp"
#include "fastmlp/layers/model_layer.hpp"
#include "io_v1.hpp"
#include "json.hpp"

#ifndef FASTMLP_VERSION
#define FASTMLP_VERSION "unknown"
#endif

namespace fastmlp {
namespace {

namespace fs = std::filesystem;
using json::JsonError;
using json::Value;

// File layout (docs/model-format.md): magic, version, header length, JSON header, tensor data,
// CRC-32. A NUL in the magic keeps text tools from mistaking a model file for text.
constexpr char kMagic[8] = {'F', 'A', 'S', 'T', 'M', 'L', 'P', '\0'};
constexpr std::size_t kPreambleBytes = 16;  // magic (8), version (4), header length (4)
constexpr std::size_t kChecksumBytes = 4;
// The data section, and every tensor in it, starts at a multiple of 64 bytes: a reader that maps
// the file can use tensors in place with any SIMD alignment.
constexpr std::size_t kAlignment = 64;

static_assert(sizeof(float) == 4 && std::numeric_limits<float>::is_iec559 && sizeof(double) == 8 &&
                  std::numeric_limits<double>::is_iec559,
              "model files store IEEE-754 float32 and float64 tensors");

// The scalar type of a model file: the header's "dtype" (Keras's names), "float32" in files written
// before float64 models (which have no such member). Every tensor is stored in it.
enum class FileDtype { Float32, Float64 };

std::size_t element_bytes(FileDtype dtype) { return dtype == FileDtype::Float64 ? 8 : 4; }

const char* name_of(FileDtype dtype) {
  return dtype == FileDtype::Float64 ? dtype_name<double>() : dtype_name<float>();
}

template <class Scalar>
constexpr FileDtype file_dtype() {
  return std::is_same_v<Scalar, double> ? FileDtype::Float64 : FileDtype::Float32;
}

// The header's dtype, or `fail` (which throws) naming what is wrong with it.
FileDtype header_dtype(const json::Value& header, const std::function<void(const std::string&)>& fail) {
  const json::Value* dtype = header.find("dtype");
  if (dtype == nullptr) return FileDtype::Float32;
  if (!dtype->is_string())
    fail("the header's dtype is " + json::printable(dtype->dump()) +
         ", not a string; a model file's dtype is \"float32\" or \"float64\"");
  const std::string& name = dtype->as_string("dtype");
  if (name == dtype_name<float>()) return FileDtype::Float32;
  if (name == dtype_name<double>()) return FileDtype::Float64;
  fail("the header's dtype is \"" + json::printable(name) +
       "\"; this library reads float32 and float64 models (the file is damaged or from a newer fastmlp)");
  return FileDtype::Float32;  // not reached: fail throws
}

std::size_t align_up(std::size_t n) { return (n + kAlignment - 1) / kAlignment * kAlignment; }

// ---- little-endian encoding, whatever the host's byte order -------------------------------------
bool host_is_little_endian() {
  const std::uint32_t one = 1;
  unsigned char first_byte = 0;
  std::memcpy(&first_byte, &one, 1);
  return first_byte == 1;
}

void append_u32(std::string& out, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>((value >> (8 * i)) & 0xFFu);
}

std::uint32_t read_u32(const char* in) {
  std::uint32_t value = 0;
  for (int i = 3; i >= 0; --i) value = (value << 8) | static_cast<unsigned char>(in[i]);
  return value;
}

// On a big-endian host each value's bytes are reversed (IEEE-754 floats share the integers' order).
template <class Scalar>
void append_values(std::string& out, const Scalar* values, std::size_t count) {
  if (host_is_little_endian()) {
    out.append(reinterpret_cast<const char*>(values), count * sizeof(Scalar));
    return;
  }
  for (std::size_t i = 0; i < count; ++i) {
    char bytes[sizeof(Scalar)];
    std::memcpy(bytes, values + i, sizeof(Scalar));
    for (std::size_t b = sizeof(Scalar); b-- > 0;) out += bytes[b];
  }
}

template <class Scalar>
void read_values(const char* in, std::size_t count, Scalar* values) {
  if (host_is_little_endian()) {
    std::memcpy(values, in, count * sizeof(Scalar));
    return;
  }
  for (std::size_t i = 0; i < count; ++i) {
    char bytes[sizeof(Scalar)];
    for (std::size_t b = 0; b < sizeof(Scalar); ++b) bytes[b] = in[i * sizeof(Scalar) + sizeof(Scalar) - 1 - b];
    std::memcpy(values + i, bytes, sizeof(Scalar));
  }
}

std::string hex32(std::uint32_t value) {
  std::ostringstream out;
  out << "0x" << std::hex << std::setw(8) << std::setfill('0') << value;
  return out.str();
}

// ---- names of tensors -----------------------------------------------------------------------------
// By layer position rather than layer name, so that names need not be unique or even set.
std::string parameter_tensor(std::size_t layer, const std::string& parameter) {
  return "layers/" + std::to_string(layer) + "/" + parameter;
}

std::string slot_tensor(std::size_t layer, const std::string& parameter, const std::string& slot) {
  return "optimizer/" + parameter_tensor(layer, parameter) + "/" + slot;
}

// Standard libraries write a mersenne_twister_engine's state in different textual forms (libstdc++
// appends its position in the state block, libc++ rotates the block), so a saved state is read
// back only by the kind of library that wrote it.
const char* standard_library() {
#if defined(_LIBCPP_VERSION)
  return "libc++";
#elif defined(__GLIBCXX__)
  return "libstdc++";
#elif defined(_MSVC_STL_VERSION)
  return "msvc";
#else
  return "other";
#endif
}

// "model file 'PATH'" for messages. ModelFileError keeps the bytes of a path that are valid UTF-8
// and writes the others as \xNN.
std::string file_label(const fs::path& path) { return "model file '" + path.string() + "'"; }

std::string rng_state(const Rng& rng) {
  std::ostringstream text;
  text.imbue(std::locale::classic());
  text << rng;
  return text.str();
}

// ---- writing ----------------------------------------------------------------------------------------
// Trainable parameters first, then the saved-but-not-trained state (BatchNormalization's moving statistics).
template <class Scalar>
std::vector<ParameterOf<Scalar>> saved_tensors(LayerOf<Scalar>& layer) {
  std::vector<ParameterOf<Scalar>> all = layer.parameters();
  for (const ParameterOf<Scalar>& p : layer.non_trainable()) all.push_back(p);
  return all;
}

template <class Scalar>
struct TensorToWrite {
  std::string name;
  const RowMatrixOf<Scalar>* values;
};

template <class Scalar>
std::string encode(const ModelOf<Scalar>& model, bool include_optimizer) {
  const typename ModelOf<Scalar>::StructureHold reading = model.hold_structure();  // [issue 13] model_lock.hpp
  if (!model.built()) throw ModelFileError("cannot save a model that is not built: give it an input size or fit it first");
  // A model that grew deeper after it was wrapped (an inner Sequential given a model later) is refused
  // here, so that every file written can be read back.
  if (const int nesting = model_nesting(model); nesting > kMaxModelNesting)
    throw std::invalid_argument("cannot save model '" + model.name() + "': its models are nested " +
                                std::to_string(nesting) + " deep, and models may be nested at most " +
                                std::to_string(kMaxModelNesting) + " deep");

  std::vector<TensorToWrite<Scalar>> tensors;
  for (std::size_t i = 0; i < model.layers().size(); ++i)
    for (const ParameterOf<Scalar>& p : saved_tensors(*model.layers()[i])) tensors.push_back({parameter_tensor(i, p.name), p.value});

  Value optimizer_state;
  Value rng;
  if (include_optimizer && model.compiled()) {
    const Optimizer& optimizer = *model.optimizer();
    optimizer_state = Value::Object{{"iterations", optimizer.iterations()}, {"extra", optimizer.extra_state()}};
    // Slots exist once fit() has built the optimizer for the trainable parameters; before that, or
    // after layers were added or frozen, there is no state to keep beyond the step count.
    if (optimizer.built_for(const_cast<ModelOf<Scalar>&>(model).trainable_parameters())) {
      const std::vector<std::string> slot_names = optimizer.slot_names();
      std::size_t index = 0;
      for (std::size_t i = 0; i < model.layers().size(); ++i) {
        if (!model.layers()[i]->trainable()) continue;
        for (const ParameterOf<Scalar>& p : model.layers()[i]->parameters()) {
          for (std::size_t s = 0; s < slot_names.size(); ++s)
            tensors.push_back({slot_tensor(i, p.name, slot_names[s]), &optimizer.slots<Scalar>(index)[s]});
          ++index;
        }
      }
    }
  }
  if (include_optimizer) {
    // The generator that shuffles the samples, and those of layers that draw their own (Dropout's
    // masks): restored, fit() shuffles and drops as if never interrupted.
    Value::Array layer_states;
    for (const std::shared_ptr<LayerOf<Scalar>>& layer : model.layers()) {
      const Rng* generator = layer->generator();
      layer_states.push_back(generator ? Value(rng_state(*generator)) : Value());
    }
    rng = Value::Object{{"engine", "mt19937_64"},
                        {"library", standard_library()},
                        {"state", rng_state(model.rng())},
                        {"layers", std::move(layer_states)}};
  }

  Value::Array table;
  std::vector<std::size_t> offsets;
  std::size_t data_bytes = 0;
  for (const TensorToWrite<Scalar>& t : tensors) {
    const std::size_t offset = align_up(data_bytes);
    offsets.push_back(offset);
    table.push_back(Value::Object{{"name", t.name},
                                  {"dtype", dtype_name<Scalar>()},
                                  {"shape", Value::Array{t.values->rows(), t.values->cols()}},
                                  {"offset", offset}});
    data_bytes = offset + sizeof(Scalar) * static_cast<std::size_t>(t.values->size());
  }

  const Value header = Value::Object{
      {"generator", "fastmlp " FASTMLP_VERSION},
      {"dtype", dtype_name<Scalar>()},
      {"model", model.serialized()},
      {"compile", model.compile_config()},
      {"optimizer_state", std::move(optimizer_state)},
      {"rng", std::move(rng)},
      {"tensors", std::move(table)}};
  std::string header_text = header.dump();
  // Trailing spaces are valid JSON and bring the data section to an aligned offset.
  header_text.append(align_up(kPreambleBytes + header_text.size()) - kPreambleBytes - header_text.size(), ' ');
  if (header_text.size() > kMaxHeaderBytes)
    throw ModelFileError("cannot save: the model's header would take " + std::to_string(header_text.size()) +
                         " bytes, more than the " + std::to_string(kMaxHeaderBytes) + " a reader accepts");

  std::string file;
  file.reserve(kPreambleBytes + header_text.size() + data_bytes + kChecksumBytes);
  file.append(kMagic, sizeof kMagic);
  append_u32(file, kModelFormatVersion);
  append_u32(file, static_cast<std::uint32_t>(header_text.size()));
  file += header_text;
  const std::size_t data_start = file.size();
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    file.resize(data_start + offsets[i], '\0');  // zero padding up to the aligned offset
    append_values(file, tensors[i].values->data(), static_cast<std::size_t>(tensors[i].values->size()));
  }
  append_u32(file, crc32(file.data(), file.size()));
  return file;
}

std::string random_suffix() {
  std::random_device device;
  const auto now = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  std::ostringstream text;
  text << std::hex << (now ^ (static_cast<std::uint64_t>(device()) << 32) ^ device());
  return text.str();
}

// Writes `bytes` to a temporary file beside `path`, flushes it to the disk and renames it over
// `path`: readers see the old file or the complete new one, never a half-written one, and a
// failure (disk full, crash) leaves any previous file intact.
void write_atomically(const fs::path& path, const std::string& bytes) {
  const auto fail = [&](const std::string& why) {
    throw ModelFileError("cannot save " + file_label(path) + ": " + why);
  };
  fs::path temporary = path;
  temporary += ".tmp-" + random_suffix();
  struct RemoveUnlessRenamed {
    const fs::path& file;
    bool renamed = false;
    ~RemoveUnlessRenamed() {
      std::error_code ignored;
      if (!renamed) fs::remove(file, ignored);
    }
  } cleanup{temporary};

  errno = 0;
  std::FILE* out = std::fopen(temporary.string().c_str(), "wb");
  if (out == nullptr) fail(std::strerror(errno));
  bool ok = std::fwrite(bytes.data(), 1, bytes.size(), out) == bytes.size() && std::fflush(out) == 0;
#ifdef FASTMLP_HAVE_FSYNC
  // Without it a crash soon after the rename can leave an empty file under the new name.
  ok = ok && fsync(fileno(out)) == 0;
#endif
  const int write_error = errno;
  ok = (std::fclose(out) == 0) && ok;
  if (!ok) fail(std::strerror(write_error != 0 ? write_error : errno));

  std::error_code error;
  fs::rename(temporary, path, error);
  if (error) fail(error.message());
  cleanup.renamed = true;
}

// ---- reading ----------------------------------------------------------------------------------------
struct TensorEntry {
  Index rows = 0, cols = 0;
  std::size_t offset = 0;  // from the start of the data section
  bool used = false;
};

// The tensor table, checked against the data section: every tensor must lie inside it and the
// last must end where the checksum begins.
// Every tensor is stored in the model's `dtype`.
std::map<std::string, TensorEntry> read_tensor_table(const Value& header, FileDtype dtype, std::size_t data_bytes,
                                                      const std::function<void(const std::string&)>& fail) {
  std::map<std::string, TensorEntry> tensors;
  std::size_t end_of_data = 0;
  const std::size_t element = element_bytes(dtype);
  for (const Value& item : header.at("tensors").as_array("tensors")) {
    const std::string& name = item.at("name").as_string("tensor name");
    const std::string what = "tensor '" + name + "'";
    const std::string& tensor_dtype = item.at("dtype").as_string(what + " dtype");
    if (tensor_dtype != name_of(dtype)) {
      if (tensor_dtype != dtype_name<float>() && tensor_dtype != dtype_name<double>())
        fail(what + " has dtype " + json::printable(tensor_dtype) + "; this library reads float32 and float64");
      fail(what + " has dtype " + tensor_dtype + " in a " + name_of(dtype) + " model" +
           (header.find("dtype") ? "" : " (the header has no dtype: float32)") +
           "; every tensor of a model file has the model's dtype");
    }
    const Value::Array& shape = item.at("shape").as_array(what + " shape");
    if (shape.size() != 2) fail(what + " has " + std::to_string(shape.size()) + " dimensions; expected 2");
    TensorEntry entry;
    entry.rows = shape[0].as_integer(what + " rows");
    entry.cols = shape[1].as_integer(what + " columns");
    entry.offset = static_cast<std::size_t>(item.at("offset").as_integer(what + " offset"));
    // Sizes are compared in bytes against what the file holds, never multiplied past it.
    const std::size_t available = entry.offset <= data_bytes ? (data_bytes - entry.offset) / element : 0;
    const auto rows = static_cast<std::size_t>(entry.rows), cols = static_cast<std::size_t>(entry.cols);
    if (entry.offset > data_bytes || (cols != 0 && rows > available / cols))
      fail("the file is truncated: " + what + " of shape (" + std::to_string(rows) + ", " + std::to_string(cols) +
           ") at offset " + std::to_string(entry.offset) + " does not fit in the " + std::to_string(data_bytes) +
           " bytes of tensor data");
    end_of_data = std::max(end_of_data, entry.offset + element * rows * cols);
    if (!tensors.emplace(name, entry).second) fail("the tensor table lists '" + name + "' twice");
  }
  if (end_of_data != data_bytes)
    fail("the file has " + std::to_string(data_bytes - end_of_data) +
         " bytes after its last tensor; it is damaged or was not written by fastmlp");
  return tensors;
}

class Decoder {
 public:
  // `source` names the bytes in messages: "model file 'path'" or "model bytes".
  Decoder(std::string_view bytes, std::string source) : bytes_(bytes), source_(std::move(source)) {}

  // The magic bytes, the version and the header's declared size, from the first kPreambleBytes.
  void check_start() const {
    if (bytes_.size() < sizeof kMagic || std::memcmp(bytes_.data(), kMagic, sizeof kMagic) != 0)
      fail("not a fastmlp model file (it does not start with the magic bytes \"FASTMLP\\0\")");
    if (bytes_.size() < kPreambleBytes)
      fail("the file is truncated: " + std::to_string(bytes_.size()) + " bytes is too short for a model file");
    const std::uint32_t version = read_u32(bytes_.data() + 8);
    if (version > kModelFormatVersion)
      fail("the file has format version " + std::to_string(version) + ", written by a newer fastmlp; this library "
           "reads format version " + std::to_string(kModelFormatVersion) + " (upgrade fastmlp to load it)");
    if (version == 0) fail("the file declares format version 0, which does not exist; it is damaged");
    check_header_size(read_u32(bytes_.data() + 12));
  }

  // When the header declared in the preamble does not fit in a file of `file_bytes`.
  void check_header_fits(std::size_t file_bytes) const {
    const std::size_t header_bytes = read_u32(bytes_.data() + 12);
    if (file_bytes < kPreambleBytes + kChecksumBytes || header_bytes > file_bytes - kPreambleBytes - kChecksumBytes)
      fail("the file is truncated: its header declares " + std::to_string(header_bytes) + " bytes but the file has " +
           std::to_string(file_bytes) + " bytes in all");
  }

  [[noreturn]] void fail(const std::string& why) const { throw ModelFileError("cannot load " + source_ + ": " + why); }

  // The model, if the file holds one of scalar type Scalar; otherwise ModelFileError naming the
  // file's dtype and what reads it.
  template <class Scalar>
  ModelOf<Scalar> decode() {
    const FileDtype dtype = check();
    if (dtype != file_dtype<Scalar>())
      fail(std::string("the file holds a ") + name_of(dtype) + " model; load it with " +
           (dtype == FileDtype::Float64 ? "load_model<double>" : "load_model<float>") + " or load_any_model");
    return build_checked<Scalar>();
  }

  // The model in the scalar type the file holds.
  AnyModel decode_any() {
    if (check() == FileDtype::Float64) return AnyModel(std::in_place_index<1>, build_checked<double>());
    return AnyModel(std::in_place_index<0>, build_checked<float>());
  }

 private:
  // Checks the file up to building the model (the preamble, the header, the tensor table and the
  // checksum) and returns the model's dtype.
  FileDtype check() {
    check_start();
    check_preamble();
    const std::size_t header_bytes = read_u32(bytes_.data() + 12);
    if (header_bytes > bytes_.size() - kPreambleBytes - kChecksumBytes)
      fail("the file is truncated: its header declares " + std::to_string(header_bytes) + " bytes but the file has " +
           std::to_string(bytes_.size()) + " bytes in all");
    Value header;
    try {
      header = Value::parse(bytes_.substr(kPreambleBytes, header_bytes));
      if (read_u32(bytes_.data() + 8) == 1) header = upgrade_version_1_header(header);
    } catch (const JsonError& error) {
      fail(std::string("the header is damaged: ") + error.what());
    }
    const std::size_t data_start = kPreambleBytes + header_bytes;
    const std::size_t data_bytes = bytes_.size() - kChecksumBytes - data_start;
    const auto fail_here = [this](const std::string& why) { fail(why); };
    const FileDtype dtype = header_dtype(header, fail_here);
    try {
      tensors_ = read_tensor_table(header, dtype, data_bytes, fail_here);
    } catch (const JsonError& error) {
      fail(std::string("the tensor table is invalid: ") + error.what());
    }
    check_checksum();
    data_ = bytes_.data() + data_start;
    header_ = std::move(header);
    return dtype;
  }

  template <class Scalar>
  ModelOf<Scalar> build_checked() {
    try {
      return build<Scalar>(header_);
    } catch (const ModelFileError&) {
      throw;
    } catch (const std::exception& error) {
      fail(std::string("the file describes a model this library cannot build: ") + error.what());
    }
  }

  // After check_start(): room for the preamble and the checksum at least.
  void check_preamble() const {
    if (bytes_.size() < kPreambleBytes + kChecksumBytes)
      fail("the file is truncated: " + std::to_string(bytes_.size()) + " bytes is too short for a model file");
  }

  void check_header_size(std::size_t header_bytes) const {
    if (header_bytes > kMaxHeaderBytes)
      fail("its header declares " + std::to_string(header_bytes) + " bytes, more than the " +
           std::to_string(kMaxHeaderBytes) + " a model file's header may have; it is damaged or not a model file");
  }

  void check_checksum() const {
    const std::size_t covered = bytes_.size() - kChecksumBytes;
    const std::uint32_t stored = read_u32(bytes_.data() + covered);
    const std::uint32_t computed = crc32(bytes_.data(), covered);
    if (stored != computed)
      fail("the file is damaged: its CRC-32 checksum says " + hex32(stored) + " but its contents give " +
           hex32(computed));
  }

  // Copies tensor `name` into `target` after checking its shape; each tensor may be used once.
  template <class Scalar>
  void read_tensor(const std::string& name, RowMatrixOf<Scalar>& target) {
    const auto found = tensors_.find(name);
    if (found == tensors_.end()) fail("the file has no tensor '" + name + "'");
    TensorEntry& entry = found->second;
    if (entry.rows != target.rows() || entry.cols != target.cols())
      fail("tensor '" + name + "' has shape (" + std::to_string(entry.rows) + ", " + std::to_string(entry.cols) +
           "), the model needs (" + std::to_string(target.rows()) + ", " + std::to_string(target.cols()) + ")");
    read_values(data_ + entry.offset, static_cast<std::size_t>(target.size()), target.data());
    entry.used = true;
  }

  bool has_tensor(const std::string& name) const { return tensors_.count(name) != 0; }

  // [issue 13] Building the model allocates every layer's tensors, and a file of a few hundred
  // bytes declaring Dense(16384) on 16384 inputs made that 2 GB before anything noticed the tensors
  // were missing. So from_config shows every layer, before it builds it, with the widths it will be
  // built for (a Sequential's from its input shape, a functional model's from its graph, a nested
  // model's layers as its own config builds them), and every tensor it would allocate is looked up
  // in the tensor table, whose entries all lie inside the file: building then allocates a small
  // multiple of the file's size (layer.hpp).
  // Every tensor layer `position` will allocate for inputs of `width`, looked up in the tensor table.
  template <class Scalar>
  void check_layer_tensors(const std::string& position, const LayerOf<Scalar>& layer, Index width) const {
    for (const TensorShape& expected : layer.tensor_shapes(width)) {
      const std::string name = "layers/" + position + "/" + expected.name;  // parameter_tensor's names
      const auto found = tensors_.find(name);
      if (found == tensors_.end())
        fail("layer " + position + " (" + layer.class_name() + ") needs a tensor '" + name +
             "' of shape (" + std::to_string(expected.rows) + ", " + std::to_string(expected.cols) + ") for " +
             std::to_string(width) + " inputs, and the file has none");
      if (found->second.rows != expected.rows || found->second.cols != expected.cols)
        fail("tensor '" + name + "' has shape (" + std::to_string(found->second.rows) + ", " +
             std::to_string(found->second.cols) + "), the model needs (" + std::to_string(expected.rows) + ", " +
             std::to_string(expected.cols) + ")");
    }
  }

  template <class Scalar>
  ModelOf<Scalar> build(const Value& header) {
    const Value& description = header.at("model");
    const std::string& kind = description.at("class_name").as_string("model class_name");
    if (kind != "Sequential" && kind != "Functional")
      fail("the file holds a " + kind + "; this library reads Sequential and Functional models");
    ModelOf<Scalar> model = model_from_config<Scalar>(
        description, 0x5eed,
        [this](const std::string& position, const LayerOf<Scalar>& layer, const std::vector<Index>& widths) {
          check_layer_tensors(position, layer, widths.front());
        });
    if (!model.built()) fail("the file describes a model without an input shape");

    for (std::size_t i = 0; i < model.layers().size(); ++i)
      for (const ParameterOf<Scalar>& p : saved_tensors(*model.layers()[i])) read_tensor(parameter_tensor(i, p.name), *p.value);

    const Value& compile = header.at("compile");
    if (!compile.is_null()) {
      model.compile_from_config(compile);
      if (const Value* state = header.find("optimizer_state"); state && !state->is_null())
        restore_optimizer(model, *state);
    }

    // A state written by another standard library is skipped: the model then shuffles from its
    // default seed, and training continues correctly, only not bit for bit as it would have.
    const Value& rng = header.at("rng");
    const std::string library = standard_library();
    if (!rng.is_null() && rng.at("engine").as_string("rng engine") == "mt19937_64" && library != "other" &&
        rng.at("library").as_string("rng library") == library) {
      read_rng_state(rng.at("state"), model.rng());
      // Files written before layers' generators were kept have no "layers": those layers then
      // draw from their seeds, as a new model's would.
      if (const Value* layer_states = rng.find("layers")) {
        const Value::Array& states = layer_states->as_array("rng layers");
        if (states.size() != model.layers().size())
          fail("the header has " + std::to_string(states.size()) + " layer generator states for " +
               std::to_string(model.layers().size()) + " layers");
        for (std::size_t i = 0; i < states.size(); ++i) {
          Rng* generator = model.layers()[i]->generator();
          if (states[i].is_null() != (generator == nullptr))
            fail("the header's generator state for layer " + std::to_string(i) + " does not match its type");
          if (generator) read_rng_state(states[i], *generator);
        }
      }
    }

    for (const auto& [name, entry] : tensors_)
      if (!entry.used) fail("the file has a tensor '" + name + "' that this model has no place for");
    return model;
  }

  void read_rng_state(const Value& state, Rng& rng) const {
    std::istringstream text(state.as_string("rng state"));
    text.imbue(std::locale::classic());
    text >> rng;
    if (text.fail()) fail("the random generator state in the header is invalid");
    if (!generator_is_usable(rng))
      fail("a random generator state in the header is all zeros, which a generator never leaves (no seed "
           "gives it); the file is damaged or was not written by fastmlp");
  }

  // All slots or none: none means the optimizer had not been built (or was saved without its
  // state), and fit() will start its slots from zero as it would have.
  template <class Scalar>
  void restore_optimizer(ModelOf<Scalar>& model, const Value& state) {
    Optimizer& optimizer = *model.optimizer();
    const std::vector<std::string> slot_names = optimizer.slot_names();
    std::vector<ParameterOf<Scalar>> params = model.trainable_parameters();
    bool any_slot = false;
    for (std::size_t i = 0; i < model.layers().size(); ++i)
      if (model.layers()[i]->trainable())
        for (const ParameterOf<Scalar>& p : model.layers()[i]->parameters())
          for (const std::string& slot : slot_names) any_slot = any_slot || has_tensor(slot_tensor(i, p.name, slot));
    std::vector<std::vector<RowMatrixOf<Scalar>>> slots;
    if (any_slot || slot_names.empty()) {
      for (std::size_t i = 0; i < model.layers().size(); ++i) {
        if (!model.layers()[i]->trainable()) continue;
        for (const ParameterOf<Scalar>& p : model.layers()[i]->parameters()) {
          slots.emplace_back();
          for (const std::string& slot : slot_names) {
            slots.back().emplace_back(p.value->rows(), p.value->cols());
            read_tensor(slot_tensor(i, p.name, slot), slots.back().back());
          }
        }
      }
    }
    const std::int64_t iterations = state.at("iterations").as_integer("optimizer iterations");
    const Value* extra = state.find("extra");
    optimizer.restore_state(params, iterations, std::move(slots), extra ? *extra : Value::Object{});
  }

  std::string_view bytes_;
  std::string source_;
  Value header_;  // after check()
  std::map<std::string, TensorEntry> tensors_;
  const char* data_ = nullptr;
};


// The number of bytes of data a header's tensor table accounts for, or nothing when the table
// cannot be read (the Decoder then says why).
std::optional<std::size_t> declared_data_bytes(std::string_view header_text, std::uint32_t version) {
  try {
    Value header = Value::parse(header_text);
    if (version == 1) header = upgrade_version_1_header(header);
    const std::size_t element =
        element_bytes(header_dtype(header, [](const std::string& why) -> void { throw JsonError(why); }));
    std::size_t end = 0;
    constexpr std::size_t kMax = std::numeric_limits<std::size_t>::max() / 4;
    for (const Value& item : header.at("tensors").as_array("tensors")) {
      const Value::Array& shape = item.at("shape").as_array("shape");
      if (shape.size() != 2) return std::nullopt;
      const auto rows = static_cast<std::size_t>(shape[0].as_integer("rows"));
      const auto cols = static_cast<std::size_t>(shape[1].as_integer("cols"));
      const auto offset = static_cast<std::size_t>(item.at("offset").as_integer("offset"));
      if (cols != 0 && rows > kMax / cols) return std::nullopt;
      const std::size_t bytes = element * rows * cols;
      if (offset > kMax || bytes > kMax) return std::nullopt;
      end = std::max(end, offset + bytes);
    }
    return end;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// [issue 13] Reads a model file without trusting it: /dev/zero or a 4 GiB file with valid magic
// used to be read whole before any check (MemoryError after 1 GB). The preamble and the header come
// first and are checked, and the header's declared size against the file's; then the file is read
// only as far as its tensor table says it reaches, in chunks (a size it declares but does not have
// allocates nothing), and a file longer than that is refused unread. Files that are not regular
// (pipes) are read to their end.
std::string read_model_file(const fs::path& path) {
  const std::string label = file_label(path);
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> in(std::fopen(path.string().c_str(), "rb"), &std::fclose);
  if (!in) throw ModelFileError("cannot read " + label + ": " + std::strerror(errno));
  std::optional<std::size_t> size;
  std::error_code error;
  if (fs::is_regular_file(path, error)) {
    const auto bytes = fs::file_size(path, error);
    if (!error) size = static_cast<std::size_t>(bytes);
  }
  std::string bytes;
  // Appends up to `count` bytes, fewer at the end of the file.
  const auto read_up_to = [&](std::size_t count) {
    const std::size_t goal = bytes.size() + count;
    while (bytes.size() < goal) {
      const std::size_t at = bytes.size(), want = std::min<std::size_t>(goal - at, std::size_t{1} << 20);
      bytes.resize(at + want);
      const std::size_t got = std::fread(&bytes[at], 1, want, in.get());
      bytes.resize(at + got);
      if (got < want) {
        if (std::ferror(in.get())) throw ModelFileError("cannot read " + label + ": " + std::strerror(errno));
        return;
      }
    }
  };
  read_up_to(kPreambleBytes);
  Decoder(bytes, label).check_start();
  if (size) Decoder(bytes, label).check_header_fits(*size);
  const std::size_t header_bytes = read_u32(bytes.data() + 12);
  const std::size_t header_end = kPreambleBytes + header_bytes;
  read_up_to(header_bytes);
  std::optional<std::size_t> data_bytes;
  if (bytes.size() == header_end)
    data_bytes = declared_data_bytes(std::string_view(bytes).substr(kPreambleBytes), read_u32(bytes.data() + 8));
  if (data_bytes) {
    const std::size_t total = header_end + *data_bytes + kChecksumBytes;
    if (size && *size > total)
      throw ModelFileError("cannot load " + label + ": the file has " + std::to_string(*size - total) +
                           " bytes after its last tensor (its header and tensor table account for " +
                           std::to_string(total) + " of its " + std::to_string(*size) +
                           "); it is damaged or was not written by fastmlp");
    read_up_to(total - bytes.size());
    if (!size && bytes.size() == total && std::fgetc(in.get()) != EOF)
      throw ModelFileError("cannot load " + label + ": the file holds more than the " + std::to_string(total) +
                           " bytes its header and tensor table account for; it is damaged or was not written by fastmlp");
  } else {
    // [issue 26] The header does not say how far the file reaches (it does not parse, its tensor table
    // is malformed, or the file ends inside it): nothing after it is read. It used to be read whole,
    // 1 GB allocated of a 4 GiB file with a 100-byte header before std::bad_alloc. The Decoder names
    // what is wrong, given what was read and a placeholder checksum (no data is ever reached).
    std::string read_so_far = bytes;
    read_so_far.append(kChecksumBytes, '\0');
    Decoder(read_so_far, label).decode_any();
    throw ModelFileError("cannot load " + label + ": its header does not account for the file's data; it is "
                         "damaged or was not written by fastmlp");
  }
  return bytes;
}

}  // namespace

namespace {

// `message` as valid UTF-8 without control characters: names and keys from a file may hold any
// bytes, and JSON escapes such as \u0001 (fuzz_model found one in a config key).
std::string readable(const std::string& message) {
  const std::string text = json::utf8_or_escaped(message);
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) {
      static const char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 15];
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

ModelFileError::ModelFileError(const std::string& message) : std::runtime_error(readable(message)) {}

template <class Scalar>
void save_model(const ModelOf<Scalar>& model, const std::filesystem::path& path, bool include_optimizer) {
  write_atomically(path, encode(model, include_optimizer));
}

template <class Scalar>
ModelOf<Scalar> load_model(const std::filesystem::path& path) {
  const std::string bytes = read_model_file(path);
  return Decoder(bytes, file_label(path)).decode<Scalar>();
}

template <class Scalar>
std::string save_model_to_bytes(const ModelOf<Scalar>& model, bool include_optimizer) {
  return encode(model, include_optimizer);
}

template <class Scalar>
ModelOf<Scalar> load_model_from_bytes(std::string_view bytes, const std::string& source) {
  return Decoder(bytes, source).decode<Scalar>();
}

AnyModel load_any_model(const std::filesystem::path& path) {
  const std::string bytes = read_model_file(path);
  return Decoder(bytes, file_label(path)).decode_any();
}

AnyModel load_any_model_from_bytes(std::string_view bytes, const std::string& source) {
  return Decoder(bytes, source).decode_any();
}

const char* dtype_of(const AnyModel& model) {
  return model.index() == 1 ? dtype_name<double>() : dtype_name<float>();
}

template void save_model<float>(const ModelOf<float>&, const std::filesystem::path&, bool);
template void save_model<double>(const ModelOf<double>&, const std::filesystem::path&, bool);
template ModelOf<float> load_model<float>(const std::filesystem::path&);
template ModelOf<double> load_model<double>(const std::filesystem::path&);
template std::string save_model_to_bytes<float>(const ModelOf<float>&, bool);
template std::string save_model_to_bytes<double>(const ModelOf<double>&, bool);
template ModelOf<float> load_model_from_bytes<float>(std::string_view, const std::string&);
template ModelOf<double> load_model_from_bytes<double>(std::string_view, const std::string&);

}  // namespace fastmlp
