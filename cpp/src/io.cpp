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
#include <random>
#include <sstream>
#include <string>
#include <vector>

#if __has_include(<unistd.h>)
#include <unistd.h>  // fsync
#define FASTMLP_HAVE_FSYNC 1
#endif

#include "crc32.hpp"
#include "fastmlp/activation_layer.hpp"
#include "fastmlp/batch_normalization.hpp"
#include "fastmlp/dense.hpp"
#include "fastmlp/dropout.hpp"
#include "fastmlp/prelu.hpp"
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

static_assert(sizeof(Scalar) == 4 && std::numeric_limits<Scalar>::is_iec559,
              "model files store IEEE-754 float32 tensors");

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

void append_floats(std::string& out, const Scalar* values, std::size_t count) {
  if (host_is_little_endian()) {
    out.append(reinterpret_cast<const char*>(values), count * sizeof(Scalar));
    return;
  }
  for (std::size_t i = 0; i < count; ++i) {
    std::uint32_t bits;
    std::memcpy(&bits, values + i, sizeof bits);
    append_u32(out, bits);
  }
}

void read_floats(const char* in, std::size_t count, Scalar* values) {
  if (host_is_little_endian()) {
    std::memcpy(values, in, count * sizeof(Scalar));
    return;
  }
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint32_t bits = read_u32(in + 4 * i);
    std::memcpy(values + i, &bits, sizeof bits);
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

std::string rng_state(const Rng& rng) {
  std::ostringstream text;
  text.imbue(std::locale::classic());
  text << rng;
  return text.str();
}

// ---- writing ----------------------------------------------------------------------------------------
// The shortest decimal that reads back as the same float: 0.2 rather than 0.20000000298023224.
double shortest_decimal(Scalar value) {
  for (int digits = 6;; ++digits) {
    std::ostringstream text;
    text.imbue(std::locale::classic());
    text << std::setprecision(digits) << value;
    std::istringstream back(text.str());
    back.imbue(std::locale::classic());
    double parsed = 0;
    back >> parsed;
    if (static_cast<Scalar>(parsed) == value || digits >= 9) return parsed;
  }
}

// JSON has no infinity: an uncapped relu's max_value is written as null.
Value finite_or_null(double value) { return std::isfinite(value) ? Value(value) : Value(nullptr); }

Value describe_activation(const Activation& activation) {
  Value::Object description{{"name", activation.name()},
                            {"alpha", shortest_decimal(activation.alpha())},
                            {"max_value", finite_or_null(activation.max_value())},
                            {"threshold", shortest_decimal(activation.threshold())}};
  // Optional, so that every other activation is written as before.
  if (activation.approximate()) description.emplace_back("approximate", true);
  return description;
}

Value describe_regularizer(const Regularizer& regularizer) {
  return Value::Object{{"l1", regularizer.l1}, {"l2", regularizer.l2}};
}

Value describe_layer(const Layer& layer) {
  Value::Object config{{"type", layer.type_name()}, {"name", layer.name()}};
  if (const auto* dense = dynamic_cast<const Dense*>(&layer)) {
    config.emplace_back("units", dense->output_dim());
    config.emplace_back("activation", describe_activation(dense->activation()));
    config.emplace_back("use_bias", dense->use_bias());
    config.emplace_back("kernel_regularizer", describe_regularizer(dense->regularizers().kernel));
    config.emplace_back("bias_regularizer", describe_regularizer(dense->regularizers().bias));
    config.emplace_back("activity_regularizer", describe_regularizer(dense->regularizers().activity));
  } else if (const auto* activation = dynamic_cast<const ActivationLayer*>(&layer)) {
    config.emplace_back("activation", describe_activation(activation->activation()));
  } else if (const auto* dropout = dynamic_cast<const Dropout*>(&layer)) {
    config.emplace_back("rate", dropout->rate());
    config.emplace_back("seed", dropout->seed());
  } else if (const auto* noise = dynamic_cast<const GaussianNoise*>(&layer)) {
    config.emplace_back("stddev", noise->stddev());
    config.emplace_back("seed", noise->seed());
  } else if (const auto* norm = dynamic_cast<const BatchNormalization*>(&layer)) {
    config.emplace_back("momentum", norm->momentum());
    config.emplace_back("epsilon", norm->epsilon());
    config.emplace_back("center", norm->center());
    config.emplace_back("scale", norm->scale());
  } else if (dynamic_cast<const PReLU*>(&layer) == nullptr) {
    throw ModelFileError("cannot save a layer of type " + layer.type_name() + ": model files hold Dense, "
                         "Activation, Dropout, GaussianNoise, BatchNormalization and PReLU layers");
  }
  return config;
}

Value describe_loss(const Loss& loss) {
  Value::Object config{{"name", loss.name()}};
  // label_smoothing is written only when set, so files without it stay as older versions wrote them.
  if (const auto* bce = dynamic_cast<const BinaryCrossentropy*>(&loss)) {
    config.emplace_back("from_logits", bce->from_logits());
    if (bce->label_smoothing() != 0) config.emplace_back("label_smoothing", shortest_decimal(bce->label_smoothing()));
  }
  if (const auto* cce = dynamic_cast<const CategoricalCrossentropy*>(&loss)) {
    config.emplace_back("from_logits", cce->from_logits());
    if (cce->label_smoothing() != 0) config.emplace_back("label_smoothing", shortest_decimal(cce->label_smoothing()));
  }
  if (const auto* scce = dynamic_cast<const SparseCategoricalCrossentropy*>(&loss))
    config.emplace_back("from_logits", scce->from_logits());
  if (const auto* elementwise = dynamic_cast<const ElementwiseLoss*>(&loss))
    config.emplace_back("parameter", shortest_decimal(elementwise->parameter()));
  return config;
}

Value describe_optimizer(const Optimizer& optimizer, bool include_state) {
  Value::Object config{{"class", optimizer.name()}, {"learning_rate", optimizer.learning_rate()}};
  if (const auto& schedule = optimizer.schedule()) {
    const std::vector<double> arguments = schedule->arguments();
    config.emplace_back("schedule", Value::Object{{"class", schedule->class_name()},
                                                  {"arguments", Value::Array(arguments.begin(), arguments.end())}});
  }
  const auto hyper = [&config](const char* key, Value value) { config.emplace_back(key, std::move(value)); };
  if (const auto* sgd = dynamic_cast<const SGD*>(&optimizer)) {
    hyper("momentum", sgd->momentum());
    hyper("nesterov", sgd->nesterov());
  } else if (const auto* adam = dynamic_cast<const Adam*>(&optimizer)) {  // and AdamW
    hyper("beta_1", adam->beta_1());
    hyper("beta_2", adam->beta_2());
    hyper("epsilon", adam->epsilon());
    hyper("amsgrad", adam->amsgrad());
  } else if (const auto* rmsprop = dynamic_cast<const RMSprop*>(&optimizer)) {
    hyper("rho", rmsprop->rho());
    hyper("momentum", rmsprop->momentum());
    hyper("epsilon", rmsprop->epsilon());
    hyper("centered", rmsprop->centered());
  } else if (const auto* adagrad = dynamic_cast<const Adagrad*>(&optimizer)) {
    hyper("initial_accumulator_value", adagrad->initial_accumulator_value());
    hyper("epsilon", adagrad->epsilon());
  } else if (const auto* adadelta = dynamic_cast<const Adadelta*>(&optimizer)) {
    hyper("rho", adadelta->rho());
    hyper("epsilon", adadelta->epsilon());
  } else if (const auto* adamax = dynamic_cast<const Adamax*>(&optimizer)) {
    hyper("beta_1", adamax->beta_1());
    hyper("beta_2", adamax->beta_2());
    hyper("epsilon", adamax->epsilon());
  } else if (const auto* nadam = dynamic_cast<const Nadam*>(&optimizer)) {
    hyper("beta_1", nadam->beta_1());
    hyper("beta_2", nadam->beta_2());
    hyper("epsilon", nadam->epsilon());
    hyper("u_product", include_state ? nadam->u_product() : 1.0);  // Nadam's state beyond its slots
  } else {
    throw ModelFileError("cannot save optimizer " + optimizer.name() + ": it is not one of fastmlp's optimizers");
  }
  const OptimizerOptions& options = optimizer.options();
  hyper("weight_decay", options.weight_decay);
  hyper("clipnorm", options.clipnorm);
  hyper("clipvalue", options.clipvalue);
  hyper("global_clipnorm", options.global_clipnorm);
  config.emplace_back("iterations", include_state ? optimizer.iterations() : 0);
  return config;
}

// Trainable parameters first, then the saved-but-not-trained state (BatchNormalization's moving statistics).
std::vector<Parameter> saved_tensors(Layer& layer) {
  std::vector<Parameter> all = layer.parameters();
  for (const Parameter& p : layer.non_trainable()) all.push_back(p);
  return all;
}

struct TensorToWrite {
  std::string name;
  const RowMatrix* values;
};

std::string encode(const Sequential& model, bool include_optimizer) {
  if (!model.built()) throw ModelFileError("cannot save a model that is not built: give it an input size or fit it first");

  std::vector<TensorToWrite> tensors;
  std::vector<Parameter> params;
  Value::Array layers;
  for (std::size_t i = 0; i < model.layers().size(); ++i) {
    const std::shared_ptr<Layer>& layer = model.layers()[i];
    layers.push_back(describe_layer(*layer));
    for (const Parameter& p : layer->parameters()) params.push_back(p);
    for (const Parameter& p : saved_tensors(*layer)) tensors.push_back({parameter_tensor(i, p.name), p.value});
  }

  Value compile;
  Value rng;
  if (model.compiled()) {
    const Optimizer& optimizer = *model.optimizer();
    Value::Array metrics(model.metric_names().begin(), model.metric_names().end());
    compile = Value::Object{{"loss", describe_loss(*model.loss())},
                            {"metrics", std::move(metrics)},
                            {"optimizer", describe_optimizer(optimizer, include_optimizer)}};
    // Slots exist once fit() has built the optimizer for these parameters; before that, or after
    // layers were added, there is no state to keep beyond the step count.
    if (include_optimizer && optimizer.built_for(params)) {
      const std::vector<std::string> slot_names = optimizer.slot_names();
      std::size_t index = 0;
      for (std::size_t i = 0; i < model.layers().size(); ++i)
        for (const Parameter& p : model.layers()[i]->parameters()) {
          for (std::size_t s = 0; s < slot_names.size(); ++s)
            tensors.push_back({slot_tensor(i, p.name, slot_names[s]), &optimizer.slots(index)[s]});
          ++index;
        }
    }
  }
  if (include_optimizer) {
    // The generator that shuffles the samples, and those of layers that draw their own (Dropout's
    // masks): restored, fit() shuffles and drops as if never interrupted.
    Value::Array layer_states;
    for (const std::shared_ptr<Layer>& layer : model.layers()) {
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
  for (const TensorToWrite& t : tensors) {
    const std::size_t offset = align_up(data_bytes);
    offsets.push_back(offset);
    table.push_back(Value::Object{{"name", t.name},
                                  {"dtype", "float32"},
                                  {"shape", Value::Array{t.values->rows(), t.values->cols()}},
                                  {"offset", offset}});
    data_bytes = offset + sizeof(Scalar) * static_cast<std::size_t>(t.values->size());
  }

  Value::Object description{{"class", "Sequential"}, {"name", model.name()}, {"input_dim", model.input_dim()}};
  // Written only for samples of several dimensions, so that files of flat models stay as before.
  if (model.sample_shape().size() > 1)
    description.emplace_back("sample_shape", Value::Array(model.sample_shape().begin(), model.sample_shape().end()));
  description.emplace_back("layers", std::move(layers));
  const Value header = Value::Object{
      {"generator", "fastmlp " FASTMLP_VERSION},
      {"model", std::move(description)},
      {"compile", std::move(compile)},
      {"rng", std::move(rng)},
      {"tensors", std::move(table)}};
  std::string header_text = header.dump();
  // Trailing spaces are valid JSON and bring the data section to an aligned offset.
  header_text.append(align_up(kPreambleBytes + header_text.size()) - kPreambleBytes - header_text.size(), ' ');
  if (header_text.size() > std::numeric_limits<std::uint32_t>::max())
    throw ModelFileError("cannot save: the model's header exceeds 4 GiB");

  std::string file;
  file.reserve(kPreambleBytes + header_text.size() + data_bytes + kChecksumBytes);
  file.append(kMagic, sizeof kMagic);
  append_u32(file, kModelFormatVersion);
  append_u32(file, static_cast<std::uint32_t>(header_text.size()));
  file += header_text;
  const std::size_t data_start = file.size();
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    file.resize(data_start + offsets[i], '\0');  // zero padding up to the aligned offset
    append_floats(file, tensors[i].values->data(), static_cast<std::size_t>(tensors[i].values->size()));
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
    throw ModelFileError("cannot save model file '" + path.string() + "': " + why);
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
std::string read_whole_file(const fs::path& path) {
  const auto fail = [&](int error) {
    throw ModelFileError("cannot read model file '" + path.string() + "': " + std::strerror(error));
  };
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> in(std::fopen(path.string().c_str(), "rb"), &std::fclose);
  if (!in) fail(errno);
  std::string bytes;
  std::vector<char> buffer(1 << 16);
  std::size_t count;
  while ((count = std::fread(buffer.data(), 1, buffer.size(), in.get())) > 0) bytes.append(buffer.data(), count);
  if (std::ferror(in.get())) fail(errno);
  return bytes;
}

struct TensorEntry {
  Index rows = 0, cols = 0;
  std::size_t offset = 0;  // from the start of the data section
  bool used = false;
};

// The tensor table, checked against the data section: every tensor must lie inside it and the
// last must end where the checksum begins.
std::map<std::string, TensorEntry> read_tensor_table(const Value& header, std::size_t data_bytes,
                                                      const std::function<void(const std::string&)>& fail) {
  std::map<std::string, TensorEntry> tensors;
  std::size_t end_of_data = 0;
  for (const Value& item : header.at("tensors").as_array("tensors")) {
    const std::string& name = item.at("name").as_string("tensor name");
    const std::string what = "tensor '" + name + "'";
    if (item.at("dtype").as_string(what + " dtype") != "float32")
      fail(what + " has dtype " + item.at("dtype").as_string("dtype") + "; this library reads float32");
    const Value::Array& shape = item.at("shape").as_array(what + " shape");
    if (shape.size() != 2) fail(what + " has " + std::to_string(shape.size()) + " dimensions; expected 2");
    TensorEntry entry;
    entry.rows = shape[0].as_integer(what + " rows");
    entry.cols = shape[1].as_integer(what + " columns");
    entry.offset = static_cast<std::size_t>(item.at("offset").as_integer(what + " offset"));
    // Sizes are compared in bytes against what the file holds, never multiplied past it.
    const std::size_t available = entry.offset <= data_bytes ? (data_bytes - entry.offset) / sizeof(Scalar) : 0;
    const auto rows = static_cast<std::size_t>(entry.rows), cols = static_cast<std::size_t>(entry.cols);
    if (entry.offset > data_bytes || (cols != 0 && rows > available / cols))
      fail("the file is truncated: " + what + " of shape (" + std::to_string(rows) + ", " + std::to_string(cols) +
           ") at offset " + std::to_string(entry.offset) + " does not fit in the " + std::to_string(data_bytes) +
           " bytes of tensor data");
    end_of_data = std::max(end_of_data, entry.offset + sizeof(Scalar) * rows * cols);
    if (!tensors.emplace(name, entry).second) fail("the tensor table lists '" + name + "' twice");
  }
  if (end_of_data != data_bytes)
    fail("the file has " + std::to_string(data_bytes - end_of_data) +
         " bytes after its last tensor; it is damaged or was not written by fastmlp");
  return tensors;
}

std::shared_ptr<LearningRateSchedule> make_schedule(const Value& config) {
  const std::string& name = config.at("class").as_string("schedule class");
  std::vector<double> a;
  for (const Value& v : config.at("arguments").as_array("schedule arguments")) a.push_back(v.as_number("schedule argument"));
  const auto need = [&](std::size_t count) {
    if (a.size() != count) throw JsonError(name + " takes " + std::to_string(count) + " arguments");
  };
  if (name == "ExponentialDecay") return need(4), std::make_shared<ExponentialDecay>(a[0], a[1], a[2], a[3] != 0);
  if (name == "InverseTimeDecay") return need(4), std::make_shared<InverseTimeDecay>(a[0], a[1], a[2], a[3] != 0);
  if (name == "CosineDecay") return need(5), std::make_shared<CosineDecay>(a[0], a[1], a[2], a[3], a[4]);
  if (name == "PiecewiseConstantDecay") {
    if (a.size() % 2 == 0) throw JsonError("PiecewiseConstantDecay takes an odd number of arguments");
    const auto middle = a.begin() + static_cast<std::ptrdiff_t>(a.size() / 2);
    return std::make_shared<PiecewiseConstantDecay>(std::vector<double>(a.begin(), middle), std::vector<double>(middle, a.end()));
  }
  throw JsonError("unknown learning-rate schedule '" + name + "'");
}

std::shared_ptr<Optimizer> make_optimizer_from(const Value& config) {
  const std::string& name = config.at("class").as_string("optimizer class");
  const double learning_rate = config.at("learning_rate").as_number("learning_rate");
  const auto number = [&](const char* key) { return config.at(key).as_number(std::string("optimizer ") + key); };
  const auto flag = [&](const char* key) { return config.at(key).as_bool(std::string("optimizer ") + key); };
  const OptimizerOptions options{number("weight_decay"), number("clipnorm"), number("clipvalue"),
                                 number("global_clipnorm")};
  std::shared_ptr<Optimizer> optimizer;
  if (name == "SGD") {
    optimizer = std::make_shared<SGD>(learning_rate, number("momentum"), flag("nesterov"), options);
  } else if (name == "Adam") {
    optimizer = std::make_shared<Adam>(learning_rate, number("beta_1"), number("beta_2"), number("epsilon"),
                                       flag("amsgrad"), options);
  } else if (name == "AdamW") {
    optimizer = std::make_shared<AdamW>(learning_rate, options.weight_decay, number("beta_1"), number("beta_2"),
                                        number("epsilon"), flag("amsgrad"), options);
  } else if (name == "RMSprop") {
    optimizer = std::make_shared<RMSprop>(learning_rate, number("rho"), number("momentum"), number("epsilon"),
                                          flag("centered"), options);
  } else if (name == "Adagrad") {
    optimizer = std::make_shared<Adagrad>(learning_rate, number("initial_accumulator_value"), number("epsilon"), options);
  } else if (name == "Adadelta") {
    optimizer = std::make_shared<Adadelta>(learning_rate, number("rho"), number("epsilon"), options);
  } else if (name == "Adamax") {
    optimizer = std::make_shared<Adamax>(learning_rate, number("beta_1"), number("beta_2"), number("epsilon"), options);
  } else if (name == "Nadam") {
    auto nadam = std::make_shared<Nadam>(learning_rate, number("beta_1"), number("beta_2"), number("epsilon"), options);
    nadam->set_u_product(number("u_product"));
    optimizer = nadam;
  } else {
    throw JsonError("unknown optimizer class '" + name + "'");
  }
  if (const Value* schedule = config.find("schedule")) optimizer->set_schedule(make_schedule(*schedule));
  return optimizer;
}

Activation make_activation(const Value& config) {
  const Activation named = Activation::from_name(config.at("name").as_string("activation"));
  const auto alpha = static_cast<Scalar>(config.at("alpha").as_number("activation alpha"));
  const Value& max_value = config.at("max_value");
  const Scalar cap = max_value.is_null() ? std::numeric_limits<Scalar>::infinity()
                                         : static_cast<Scalar>(max_value.as_number("activation max_value"));
  const auto threshold = static_cast<Scalar>(config.at("threshold").as_number("activation threshold"));
  if (named.kind() == ActivationKind::Relu) return Activation::relu(alpha, cap, threshold);
  if (named.kind() == ActivationKind::Gelu) {
    const Value* approximate = config.find("approximate");
    return Activation::gelu(approximate != nullptr && approximate->as_bool("activation approximate"));
  }
  return Activation(named.kind(), alpha);
}

Regularizer make_regularizer(const Value& config) {
  return {config.at("l1").as_number("regularizer l1"), config.at("l2").as_number("regularizer l2")};
}

std::shared_ptr<Layer> make_layer(const Value& item) {
  const std::string& type = item.at("type").as_string("layer type");
  const auto number = [&](const char* key) { return item.at(key).as_number(type + " " + key); };
  const auto flag = [&](const char* key) { return item.at(key).as_bool(type + " " + key); };
  std::shared_ptr<Layer> layer;
  if (type == "Dense") {
    layer = std::make_shared<Dense>(item.at("units").as_integer("units", 1), make_activation(item.at("activation")),
                                    flag("use_bias"), Initializer::glorot_uniform(), Initializer::zeros(),
                                    DenseRegularizers{make_regularizer(item.at("kernel_regularizer")),
                                                      make_regularizer(item.at("bias_regularizer")),
                                                      make_regularizer(item.at("activity_regularizer"))});
  } else if (type == "Activation") {
    layer = std::make_shared<ActivationLayer>(make_activation(item.at("activation")));
  } else if (type == "Dropout") {
    layer = std::make_shared<Dropout>(number("rate"), static_cast<std::int64_t>(number("seed")));
  } else if (type == "GaussianNoise") {
    layer = std::make_shared<GaussianNoise>(number("stddev"), static_cast<std::int64_t>(number("seed")));
  } else if (type == "BatchNormalization") {
    layer = std::make_shared<BatchNormalization>(number("momentum"), number("epsilon"), flag("center"), flag("scale"));
  } else if (type == "PReLU") {
    layer = std::make_shared<PReLU>();
  } else {
    throw JsonError("the file has a layer of type " + type + ", which this library does not know");
  }
  layer->set_name(item.at("name").as_string("layer name"));
  return layer;
}

std::shared_ptr<Loss> make_loss_from(const Value& config) {
  const std::string& name = config.at("name").as_string("loss");
  const Value* from_logits = config.find("from_logits");
  const bool logits = from_logits != nullptr && from_logits->as_bool("loss from_logits");
  const Value* smoothing = config.find("label_smoothing");
  const Scalar label_smoothing =
      smoothing == nullptr ? Scalar(0) : static_cast<Scalar>(smoothing->as_number("loss label_smoothing"));
  if (name == "binary_crossentropy") return std::make_shared<BinaryCrossentropy>(logits, label_smoothing);
  if (name == "categorical_crossentropy") return std::make_shared<CategoricalCrossentropy>(logits, label_smoothing);
  if (name == "sparse_categorical_crossentropy") return std::make_shared<SparseCategoricalCrossentropy>(logits);
  if (name == "huber")
    return std::make_shared<ElementwiseLoss>(ElementwiseLossKind::Huber,
                                             static_cast<Scalar>(config.at("parameter").as_number("huber delta")));
  return make_loss(name);
}

class Decoder {
 public:
  Decoder(const std::string& bytes, const fs::path& path) : bytes_(bytes), path_(path) {}

  Sequential decode() {
    check_preamble();
    const std::size_t header_bytes = read_u32(bytes_.data() + 12);
    if (header_bytes > bytes_.size() - kPreambleBytes - kChecksumBytes)
      fail("the file is truncated: its header declares " + std::to_string(header_bytes) + " bytes but the file has " +
           std::to_string(bytes_.size()) + " bytes in all");
    Value header;
    try {
      header = Value::parse(std::string_view(bytes_).substr(kPreambleBytes, header_bytes));
    } catch (const JsonError& error) {
      fail(std::string("the header is damaged: ") + error.what());
    }
    const std::size_t data_start = kPreambleBytes + header_bytes;
    const std::size_t data_bytes = bytes_.size() - kChecksumBytes - data_start;
    try {
      tensors_ = read_tensor_table(header, data_bytes, [this](const std::string& why) { fail(why); });
    } catch (const JsonError& error) {
      fail(std::string("the tensor table is invalid: ") + error.what());
    }
    check_checksum();
    data_ = bytes_.data() + data_start;
    try {
      return build(header);
    } catch (const ModelFileError&) {
      throw;
    } catch (const std::exception& error) {
      fail(std::string("the file describes a model this library cannot build: ") + error.what());
    }
  }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    throw ModelFileError("cannot load model file '" + path_.string() + "': " + why);
  }

  void check_preamble() const {
    if (bytes_.size() < sizeof kMagic || std::memcmp(bytes_.data(), kMagic, sizeof kMagic) != 0)
      fail("not a fastmlp model file (it does not start with the magic bytes \"FASTMLP\\0\")");
    if (bytes_.size() < kPreambleBytes + kChecksumBytes)
      fail("the file is truncated: " + std::to_string(bytes_.size()) + " bytes is too short for a model file");
    const std::uint32_t version = read_u32(bytes_.data() + 8);
    if (version > kModelFormatVersion)
      fail("the file has format version " + std::to_string(version) + ", written by a newer fastmlp; this library "
           "reads format version " + std::to_string(kModelFormatVersion) + " (upgrade fastmlp to load it)");
    if (version == 0) fail("the file declares format version 0, which does not exist; it is damaged");
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
  void read_tensor(const std::string& name, RowMatrix& target) {
    const auto found = tensors_.find(name);
    if (found == tensors_.end()) fail("the file has no tensor '" + name + "'");
    TensorEntry& entry = found->second;
    if (entry.rows != target.rows() || entry.cols != target.cols())
      fail("tensor '" + name + "' has shape (" + std::to_string(entry.rows) + ", " + std::to_string(entry.cols) +
           "), the model needs (" + std::to_string(target.rows()) + ", " + std::to_string(target.cols()) + ")");
    read_floats(data_ + entry.offset, static_cast<std::size_t>(target.size()), target.data());
    entry.used = true;
  }

  bool has_tensor(const std::string& name) const { return tensors_.count(name) != 0; }

  Sequential build(const Value& header) {
    const Value& description = header.at("model");
    if (description.at("class").as_string("model class") != "Sequential")
      fail("the file holds a " + description.at("class").as_string("model class") + "; this library reads Sequential");
    Sequential model;
    model.set_name(description.at("name").as_string("model name"));
    for (const Value& item : description.at("layers").as_array("layers")) model.add(make_layer(item));
    model.build(description.at("input_dim").as_integer("input_dim", 1));
    if (const Value* shape = description.find("sample_shape")) {
      std::vector<Index> dims;
      for (const Value& d : shape->as_array("sample_shape")) dims.push_back(d.as_integer("sample_shape dimension", 1));
      try {
        model.set_sample_shape(std::move(dims));
      } catch (const std::invalid_argument& error) {
        fail(error.what());
      }
    }

    for (std::size_t i = 0; i < model.layers().size(); ++i)
      for (const Parameter& p : saved_tensors(*model.layers()[i])) read_tensor(parameter_tensor(i, p.name), *p.value);

    const Value& compile = header.at("compile");
    if (!compile.is_null()) {
      std::vector<std::string> metrics;
      for (const Value& metric : compile.at("metrics").as_array("metrics")) metrics.push_back(metric.as_string("metric"));
      const Value& config = compile.at("optimizer");
      std::shared_ptr<Optimizer> optimizer = make_optimizer_from(config);
      model.compile(make_loss_from(compile.at("loss")), optimizer, std::move(metrics));
      restore_optimizer(model, *optimizer, config.at("iterations").as_integer("optimizer iterations"));
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
  }

  // All slots or none: none means the optimizer had not been built (or was saved without its
  // state), and fit() will start its slots from zero as it would have.
  void restore_optimizer(Sequential& model, Optimizer& optimizer, std::int64_t iterations) {
    const std::vector<std::string> slot_names = optimizer.slot_names();
    bool any_slot = false;
    for (std::size_t i = 0; i < model.layers().size(); ++i)
      for (const Parameter& p : model.layers()[i]->parameters())
        for (const std::string& slot : slot_names) any_slot = any_slot || has_tensor(slot_tensor(i, p.name, slot));
    std::vector<Parameter> params = model.parameters();
    std::vector<std::vector<RowMatrix>> slots;
    if (any_slot || slot_names.empty()) {
      for (std::size_t i = 0; i < model.layers().size(); ++i)
        for (const Parameter& p : model.layers()[i]->parameters()) {
          slots.emplace_back();
          for (const std::string& slot : slot_names) {
            slots.back().emplace_back(p.value->rows(), p.value->cols());
            read_tensor(slot_tensor(i, p.name, slot), slots.back().back());
          }
        }
    }
    if (iterations > 0 || !slots.empty()) optimizer.restore_state(params, iterations, std::move(slots));
  }

  const std::string& bytes_;
  const fs::path& path_;
  std::map<std::string, TensorEntry> tensors_;
  const char* data_ = nullptr;
};

}  // namespace

void save_model(const Sequential& model, const std::filesystem::path& path, bool include_optimizer) {
  write_atomically(path, encode(model, include_optimizer));
}

Sequential load_model(const std::filesystem::path& path) {
  const std::string bytes = read_whole_file(path);
  return Decoder(bytes, path).decode();
}

}  // namespace fastmlp
