// Model files: round trips (weights, predictions, compile state, optimizer state, continued
// training), atomic writes, and the refusal of truncated, corrupted, foreign and newer files.
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <string>

#include "check.hpp"
#include "crc32.hpp"
#include "fastmlp/fastmlp.hpp"
#include "fastmlp/io.hpp"

using namespace fastmlp;
using Scalar = float;  // these tests run float models
namespace fs = std::filesystem;

namespace {

// A fresh directory under the system's temporary directory, removed at the end of the test.
struct TemporaryDirectory {
  fs::path path;
  TemporaryDirectory() {
    std::random_device device;
    path = fs::temp_directory_path() / ("fastmlp_test_io_" + std::to_string(device()));
    fs::create_directories(path);
  }
  ~TemporaryDirectory() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const fs::path& path, const std::string& bytes) {
  // Removing first: ext4 flushes a file truncated and rewritten in place to the disk on close,
  // which makes the thousands of writes below take a minute instead of a second.
  fs::remove(path);
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void put_u32(std::string& bytes, size_t at, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) bytes[at + static_cast<size_t>(i)] = static_cast<char>((value >> (8 * i)) & 0xFF);
}

// Rewrites the trailing checksum so that a deliberate edit is not caught by it.
void fix_checksum(std::string& bytes) {
  put_u32(bytes, bytes.size() - 4, crc32(bytes.data(), bytes.size() - 4));
}

RowMatrix random_matrix(Index rows, Index cols, Rng& rng) {
  std::uniform_real_distribution<float> uniform(-1, 1);
  RowMatrix m(rows, cols);
  for (Index i = 0; i < m.size(); ++i) m.data()[i] = uniform(rng);
  return m;
}

RowMatrix one_hot_targets(Index rows, Index classes, Rng& rng) {
  std::uniform_int_distribution<Index> label(0, classes - 1);
  RowMatrix y = RowMatrix::Zero(rows, classes);
  for (Index r = 0; r < rows; ++r) y(r, label(rng)) = 1;
  return y;
}

std::shared_ptr<Dense> named_dense(const std::string& name, Index units, ActivationPtr activation, bool use_bias = true) {
  DenseOptions options;
  options.units = units;
  options.activation = std::move(activation);
  options.use_bias = use_bias;
  auto layer = std::make_shared<Dense>(options);
  layer->set_name(name);
  return layer;
}

OptimizerPtr optimizer(const std::string& name, Config config = {}) { return make_optimizer(name, config); }

Sequential make_model(OptimizerPtr optimizer) {
  Sequential model(/*seed=*/3);
  model.set_name("round_trip");
  model.add(named_dense("hidden", 6, make_activation("tanh")));
  model.add(named_dense("leaky", 5, make_activation("leaky_relu", Config::Object{{"negative_slope", 0.1}}),
                        /*use_bias=*/false));
  model.add(named_dense("out", 3, make_activation("softmax")));
  model.build(4);
  model.compile(make_loss("categorical_crossentropy"), std::move(optimizer), {make_metric("accuracy")});
  return model;
}

std::vector<Parameter> all_parameters(Sequential& model) {
  std::vector<Parameter> params;
  for (const auto& layer : model.layers())
    for (const Parameter& p : layer->parameters()) params.push_back(p);
  return params;
}

bool same_bits(const RowMatrix& a, const RowMatrix& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         std::memcmp(a.data(), b.data(), sizeof(Scalar) * static_cast<size_t>(a.size())) == 0;
}

bool same_weights(Sequential& a, Sequential& b) {
  const auto pa = all_parameters(a), pb = all_parameters(b);
  if (pa.size() != pb.size()) return false;
  for (size_t i = 0; i < pa.size(); ++i)
    if (!same_bits(*pa[i].value, *pb[i].value)) return false;
  return true;
}

void test_checksum_is_the_standard_crc32() {
  CHECK(crc32("123456789", 9) == 0xCBF43926u);  // the check value of CRC-32/ISO-HDLC
  CHECK(crc32("56789", 5, crc32("1234", 4)) == 0xCBF43926u);
}

void test_round_trip_with_optimizer_state(const fs::path& dir) {
  Rng data(5);
  const RowMatrix x = random_matrix(40, 4, data), y = one_hot_targets(40, 3, data);
  FitOptions options;
  options.batch_size = 8;
  options.epochs = 3;

  Sequential original = make_model(
      optimizer("adam", Config::Object{{"learning_rate", 0.01}, {"beta_1", 0.8}, {"beta_2", 0.99}, {"epsilon", 1e-6}}));
  original.fit(x, y, options);
  const fs::path file = dir / "model.fmlp";
  save_model(original, file);
  Sequential loaded = load_model(file);

  CHECK(loaded.name() == "round_trip");
  CHECK(loaded.layers().size() == 3);
  CHECK(loaded.layers()[0]->name() == "hidden" && loaded.layers()[2]->name() == "out");
  const auto& leaky = dynamic_cast<const Dense&>(*loaded.layers()[1]);
  CHECK(leaky.options().activation->class_name() == "leaky_relu");
  CHECK(leaky.options().activation->config() == Config(Config::Object{{"negative_slope", 0.1}}));
  CHECK(!leaky.options().use_bias);
  CHECK(loaded.config() == original.config());
  CHECK(loaded.input_dim() == 4 && loaded.output_dim() == 3);
  CHECK(same_weights(original, loaded));
  CHECK(same_bits(original.predict(x), loaded.predict(x)));

  CHECK(loaded.compiled());
  CHECK(loaded.loss()->class_name() == "CategoricalCrossentropy");
  CHECK(loaded.log_names() == (std::vector<std::string>{"loss", "accuracy"}));
  CHECK(loaded.compile_config() == original.compile_config());
  const Optimizer& adam = *loaded.optimizer();
  CHECK(adam.class_name() == "Adam" && adam.learning_rate() == 0.01);
  CHECK(adam.config().at("beta_1").as_number("beta_1") == 0.8 && adam.config().at("epsilon").as_number("e") == 1e-6);
  CHECK(adam.iterations() == original.optimizer()->iterations() && adam.iterations() == 15);
  bool same_slots = true;
  for (size_t i = 0; i < original.trainable_parameters().size(); ++i)
    for (size_t s = 0; s < 2; ++s) same_slots = same_slots && same_bits(adam.slots(i)[s], original.optimizer()->slots(i)[s]);
  CHECK(same_slots);
  CHECK(loaded.rng() == original.rng());

  // Training continues exactly as if the model had never left memory (shuffling included).
  options.epochs = 2;
  original.fit(x, y, options);
  loaded.fit(x, y, options);
  CHECK(same_weights(original, loaded));
  std::printf("round trip with Adam state: %lld bytes, weights and continued training identical\n",
              static_cast<long long>(fs::file_size(file)));
}

// Dropout and GaussianNoise draw from generators of their own; the file keeps their states, or a
// loaded model would train on with other masks than the saved one.
void test_round_trip_keeps_layer_generators(const fs::path& dir) {
  Rng data(6);
  const RowMatrix x = random_matrix(32, 4, data), y = one_hot_targets(32, 3, data);
  FitOptions options;
  options.batch_size = 8;
  options.epochs = 2;
  Sequential original(/*seed=*/9);
  original.add(make_layer("GaussianNoise", Config::Object{{"stddev", 0.1}}));
  original.add(named_dense("hidden", 6, make_activation("relu")));
  original.add(std::make_shared<Dropout>(0.4));
  original.add(named_dense("out", 3, make_activation("softmax")));
  original.build(4);
  original.compile(make_loss("categorical_crossentropy"), optimizer("sgd", Config::Object{{"learning_rate", 0.1}}));
  original.fit(x, y, options);
  save_model(original, dir / "noisy.fmlp");
  Sequential loaded = load_model(dir / "noisy.fmlp");
  CHECK(*loaded.layers()[0]->generator() == *original.layers()[0]->generator());
  CHECK(*loaded.layers()[2]->generator() == *original.layers()[2]->generator());
  CHECK(loaded.layers()[1]->generator() == nullptr);
  original.fit(x, y, options);
  loaded.fit(x, y, options);
  CHECK(same_weights(original, loaded));
}

void test_round_trip_without_optimizer_state(const fs::path& dir) {
  Rng data(6);
  const RowMatrix x = random_matrix(16, 4, data), y = one_hot_targets(16, 3, data);
  Sequential original = make_model(
      optimizer("sgd", Config::Object{{"learning_rate", 0.05}, {"momentum", 0.9}, {"nesterov", true}}));
  FitOptions options;
  options.epochs = 2;
  original.fit(x, y, options);
  const fs::path file = dir / "weights_only.fmlp";
  save_model(original, file, /*include_optimizer=*/false);
  Sequential loaded = load_model(file);
  CHECK(same_weights(original, loaded));
  CHECK(loaded.compiled());
  const Optimizer& sgd = *loaded.optimizer();
  CHECK(sgd.config() == original.optimizer()->config());
  CHECK(sgd.iterations() == 0);
  CHECK(!sgd.built_for(loaded.trainable_parameters()));  // fresh slots at the next fit
  CHECK(fs::file_size(file) < fs::file_size(dir / "model.fmlp"));
}

void test_other_optimizers_and_uncompiled_models(const fs::path& dir) {
  Rng data(7);
  const RowMatrix x = random_matrix(10, 4, data), y = one_hot_targets(10, 3, data);
  for (const OptimizerPtr& chosen :
       {optimizer("rmsprop", Config::Object{{"learning_rate", 0.002}, {"rho", 0.8}, {"momentum", 0.5},
                                            {"epsilon", 1e-6}, {"centered", true}}),
        optimizer("sgd", Config::Object{{"learning_rate", 0.1}})}) {
    Sequential original = make_model(chosen);
    original.train_on_batch(ConstMatrixMap(x.data(), x.rows(), x.cols()), ConstMatrixMap(y.data(), y.rows(), y.cols()));
    const fs::path file = dir / (chosen->class_name() + ".fmlp");
    save_model(original, file);
    Sequential loaded = load_model(file);
    CHECK(loaded.optimizer()->config() == chosen->config());
    CHECK(loaded.optimizer()->iterations() == 1);
    CHECK(loaded.optimizer()->built_for(loaded.trainable_parameters()));
    original.train_on_batch(ConstMatrixMap(x.data(), x.rows(), x.cols()), ConstMatrixMap(y.data(), y.rows(), y.cols()));
    loaded.train_on_batch(ConstMatrixMap(x.data(), x.rows(), x.cols()), ConstMatrixMap(y.data(), y.rows(), y.cols()));
    CHECK(same_weights(original, loaded));
  }
  const Sequential with_rmsprop = load_model(dir / "RMSprop.fmlp");
  const Config rmsprop = with_rmsprop.optimizer()->config();
  CHECK(rmsprop.at("learning_rate") == Config(0.002) && rmsprop.at("rho") == Config(0.8));
  CHECK(rmsprop.at("momentum") == Config(0.5) && rmsprop.at("centered") == Config(true));

  Sequential plain(1);
  plain.add(std::make_shared<Dense>(2));
  plain.build(3);
  save_model(plain, dir / "uncompiled.fmlp");
  Sequential loaded = load_model(dir / "uncompiled.fmlp");
  CHECK(!loaded.compiled());
  CHECK(same_weights(plain, loaded));

  Sequential unbuilt;
  unbuilt.add(std::make_shared<Dense>(2));
  CHECK_THROWS(ModelFileError, save_model(unbuilt, dir / "unbuilt.fmlp"), "not built");
  CHECK(!fs::exists(dir / "unbuilt.fmlp"));
}

// Parameters away from their defaults: an input shape of images, gelu's tanh form, a top-k metric's k.
void test_round_trip_of_parameters(const fs::path& dir) {
  Sequential model(/*seed=*/4);
  model.add(std::make_shared<Flatten>());
  model.add(named_dense("hidden", 5, make_activation("gelu", Config::Object{{"approximate", true}})));
  model.add(named_dense("out", 3, make_activation("softmax")));
  model.build(4);
  model.set_input_shape({2, 2});
  CHECK_THROWS(std::invalid_argument, model.set_input_shape({3, 2}), "built for 4 input features; an input shape of 6 values");
  model.compile(make_loss("categorical_crossentropy"), optimizer("sgd", Config::Object{{"learning_rate", 0.1}}),
                {make_metric("top_k_categorical_accuracy", Config::Object{{"k", 2}, {"name", "top2"}})});
  const fs::path file = dir / "optional.fmlp";
  save_model(model, file);
  const std::string bytes = read_bytes(file);
  Sequential loaded = load_model(file);
  CHECK((loaded.input_shape() == std::vector<Index>{2, 2}));
  CHECK(loaded.layers()[1]->config().at("activation") == model.layers()[1]->config().at("activation"));
  CHECK(loaded.metrics()[0]->config().at("k") == Config(2));
  CHECK((loaded.log_names() == std::vector<std::string>{"loss", "top2"}));
  Rng data(9);
  const RowMatrix x = random_matrix(6, 4, data);
  CHECK(same_bits(model.predict(x), loaded.predict(x)));

  std::string inconsistent = bytes;
  const size_t shape = inconsistent.find("\"input_shape\":[2,2]");
  CHECK(shape != std::string::npos);
  inconsistent[shape + 17] = '3';
  fix_checksum(inconsistent);
  write_bytes(dir / "bad_shape.fmlp", inconsistent);
  CHECK_THROWS(ModelFileError, load_model(dir / "bad_shape.fmlp"),
               "tensor 'layers/1/kernel' has shape (4, 5), the model needs (6, 5)");
}

void test_atomic_writes(const fs::path& dir) {
  Sequential model = make_model(optimizer("adam"));
  const fs::path file = dir / "atomic.fmlp";
  write_bytes(file, "previous contents");
  save_model(model, file);
  CHECK(read_bytes(file).compare(0, 7, "FASTMLP") == 0);
  // Nothing but the finished file is left behind: the temporary was renamed into place.
  int entries = 0;
  for (const auto& entry : fs::directory_iterator(dir)) entries += entry.path().filename().string().find(".tmp-") != std::string::npos;
  CHECK(entries == 0);

  CHECK_THROWS(ModelFileError, save_model(model, dir / "missing_directory" / "m.fmlp"), "cannot save model file");
  fs::create_directory(dir / "a_directory");
  CHECK_THROWS(ModelFileError, save_model(model, dir / "a_directory"), "cannot save model file");
  CHECK(fs::is_directory(dir / "a_directory"));
  for (const auto& entry : fs::directory_iterator(dir)) entries += entry.path().filename().string().find(".tmp-") != std::string::npos;
  CHECK(entries == 0);
}

void test_refusals(const fs::path& dir) {
  Rng data(8);
  const RowMatrix x = random_matrix(8, 4, data), y = one_hot_targets(8, 3, data);
  Sequential model = make_model(optimizer("adam"));
  model.train_on_batch(ConstMatrixMap(x.data(), x.rows(), x.cols()), ConstMatrixMap(y.data(), y.rows(), y.cols()));
  const fs::path good = dir / "good.fmlp", bad = dir / "bad.fmlp";
  save_model(model, good);
  const std::string bytes = read_bytes(good);

  CHECK_THROWS(ModelFileError, load_model(dir / "does_not_exist.fmlp"), "cannot read model file");
  write_bytes(bad, "x,y\n1,2\n3,4\n");
  CHECK_THROWS(ModelFileError, load_model(bad), "not a fastmlp model file");
  write_bytes(bad, "");
  CHECK_THROWS(ModelFileError, load_model(bad), "not a fastmlp model file");

  // Every truncation is refused, and cuts inside the tensor data say so.
  int refused = 0, lengths = 0;
  for (size_t length = 0; length < bytes.size(); ++length, ++lengths) {
    write_bytes(bad, bytes.substr(0, length));
    try {
      load_model(bad);
    } catch (const ModelFileError&) {
      ++refused;
    }
  }
  CHECK(refused == lengths);
  write_bytes(bad, bytes.substr(0, bytes.size() - 100));
  CHECK_THROWS(ModelFileError, load_model(bad), "truncated");

  // Every single damaged byte is refused (CRC-32 catches any error burst of up to 32 bits).
  refused = 0;
  for (size_t at = 0; at < bytes.size(); ++at) {
    std::string damaged = bytes;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x10);
    write_bytes(bad, damaged);
    try {
      load_model(bad);
    } catch (const ModelFileError&) {
      ++refused;
    }
  }
  CHECK(refused == static_cast<int>(bytes.size()));
  std::string damaged = bytes;
  damaged[damaged.size() - 10] ^= 0x01;  // inside the last tensor
  write_bytes(bad, damaged);
  CHECK_THROWS(ModelFileError, load_model(bad), "damaged");
  std::printf("refused all %d truncations and all %zu single-byte corruptions\n", lengths, bytes.size());

  std::string newer = bytes;
  put_u32(newer, 8, kModelFormatVersion + 1);
  fix_checksum(newer);
  write_bytes(bad, newer);
  CHECK_THROWS(ModelFileError, load_model(bad), "format version 3");
  CHECK_THROWS(ModelFileError, load_model(bad), "reads format version 2");

  // A consistent file (valid checksum) whose description does not match its tensors.
  std::string inconsistent = bytes;
  const size_t units = inconsistent.find("\"units\":6");
  CHECK(units != std::string::npos);
  inconsistent[units + 8] = '7';
  fix_checksum(inconsistent);
  write_bytes(bad, inconsistent);
  CHECK_THROWS(ModelFileError, load_model(bad), "tensor 'layers/0/kernel' has shape (4, 6), the model needs (4, 7)");

  // A generator state written by another standard library is skipped, not misread.
  std::string foreign = bytes;
  const std::string library_key = "\"library\":\"";
  const size_t library = foreign.find(library_key) + library_key.size();
  const size_t library_end = foreign.find('"', library);
  foreign.replace(library, library_end - library, std::string(library_end - library, 'x'));
  fix_checksum(foreign);
  write_bytes(bad, foreign);
  Sequential without_rng = load_model(bad);
  CHECK(without_rng.rng() != model.rng());
  CHECK(same_weights(without_rng, model));

  std::string extra = bytes;
  extra.insert(extra.size() - 4, 64, '\0');
  fix_checksum(extra);
  write_bytes(bad, extra);
  CHECK_THROWS(ModelFileError, load_model(bad), "bytes after its last tensor");
}

}  // namespace

int main() {
  TemporaryDirectory dir;
  test_checksum_is_the_standard_crc32();
  test_round_trip_with_optimizer_state(dir.path);
  test_round_trip_keeps_layer_generators(dir.path);
  test_round_trip_without_optimizer_state(dir.path);
  test_other_optimizers_and_uncompiled_models(dir.path);
  test_round_trip_of_parameters(dir.path);
  test_atomic_writes(dir.path);
  test_refusals(dir.path);
  return check::report("test_io");
}
