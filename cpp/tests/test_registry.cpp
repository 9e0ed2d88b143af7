// The registries: every type of every kind is created from its defaults and reports them back
// (config -> object -> config is the identity), unknown names and parameters are refused with
// the valid ones listed, configs are validated as constructors validate, and a model's config and
// bytes round-trip. Also checks that format 1 files (tests/fixtures/format_v1) load in C++.
#include <cstdio>
#include <filesystem>
#include <string>

#include "check.hpp"
#include "fastmlp/fastmlp.hpp"
#include "fastmlp/graph/graph_spec.hpp"
#include "fastmlp/io.hpp"

using namespace fastmlp;

namespace {

// A traced graph every traced type takes: two batched inputs (a layer's two inputs, or a loss's or
// metric's y_true and y_pred) and their sum, a value per sample.
Config traced_graph() {
  graph::GraphSpec spec;
  const int a = spec.add_input(graph::Dims::of({-1, 2}, "a")), b = spec.add_input(graph::Dims::of({-1, 2}, "b"));
  spec.set_outputs({spec.add("add", {a, b}, Config())});
  return spec.to_config();
}

// What the required parameters are given here, by name.
Config required_value(const std::string& key) {
  if (key == "units") return Config(std::int64_t{4});
  if (key == "rate") return Config(0.5);
  if (key == "stddev") return Config(0.1);
  if (key == "scale") return Config(0.5);  // Rescaling
  if (key == "activation") return Config("relu");
  if (key == "initial_learning_rate") return Config(0.1);
  if (key == "decay_steps") return Config(std::int64_t{10});
  if (key == "decay_rate") return Config(0.5);
  if (key == "boundaries") return Config(Config::Array{Config(2.0), Config(5.0)});
  if (key == "values") return Config(Config::Array{Config(0.1), Config(0.05), Config(0.01)});
  if (key == "graph") return traced_graph();  // TracedLayer, TracedLoss, TracedMetric
  return Config();
}

template <class Base>
int check_kind() {
  int types = 0;
  for (const auto& entry : Registry<Base>::instance().entries()) {
    Config config = entry.defaults();
    for (const std::string& key : entry.required()) config.set(key, required_value(key));
    const auto object = Registry<Base>::instance().create(entry.class_name, config);
    CHECK(object->class_name() == entry.class_name);
    CHECK(object->config() == config);  // every field written, the defaults as registered
    CHECK(Registry<Base>::instance().deserialize(serialize(*object), "value")->config() == config);
    for (const std::string& alias : entry.aliases)
      CHECK(Registry<Base>::instance().create(alias, config)->class_name() == entry.class_name);
    ++types;
  }
  std::printf("%-24s %2d types: defaults round-trip\n", Base::kKind, types);
  return types;
}

void test_every_type_round_trips_its_defaults() {
  // Layers exist once per scalar type, with the same names and configs.
  CHECK(static_cast<size_t>(check_kind<LayerOf<double>>()) == Registry<Layer>::instance().entries().size());
  const int types = check_kind<Layer>() + check_kind<Activation>() + check_kind<Loss>() + check_kind<Metric>() +
                    check_kind<Optimizer>() + check_kind<LearningRateSchedule>() + check_kind<Initializer>() +
                    check_kind<Regularizer>() + check_kind<Constraint>();
  CHECK(types >= 70);
}

void test_refusals() {
  CHECK_THROWS(ConfigError, make_optimizer("adamz"), "unknown optimizer 'adamz'; valid names are: ");
  CHECK_THROWS(ConfigError, make_optimizer("adam", Config::Object{{"beta1", 0.9}}),
               "Adam has no parameter 'beta1'; its parameters are: name, learning_rate");
  CHECK_THROWS(ConfigTypeError, make_activation("relu", Config::Object{{"max_value", "six"}}),
               "relu max_value must be a number, got a string \"six\"");
  CHECK_THROWS(std::invalid_argument, make_regularizer("l2", Config::Object{{"l2", -1.0}}), "L2 l2 must be");
  CHECK_THROWS(ConfigError, make_layer("Dense", Config::Object{}), "Dense needs a value for 'units'");
  CHECK_THROWS(std::invalid_argument, make_layer("Dense", Config::Object{{"units", 0}}), "positive integer, got 0");
  CHECK_THROWS(ConfigTypeError, make_layer("Dense", Config::Object{{"units", 2.5}}), "must be an integer, got 2.5");
}

void test_model_config_and_bytes_round_trip() {
  Sequential model(/*seed=*/4);
  model.set_name("described");
  model.add(make_layer("Dense", Config::Object{{"units", 5}, {"activation", "mish"}, {"name", "hidden"}}));
  model.add(make_layer("LayerNormalization", Config::Object{{"rms_scaling", true}}));
  model.add(make_layer("Dense", Config::Object{{"units", 2}, {"activation", "softmax"}}));
  model.layers()[0]->set_trainable(false);
  model.build(3);
  model.compile(make_loss("categorical_crossentropy", Config::Object{{"label_smoothing", 0.1}}),
                make_optimizer("lion", Config::Object{{"learning_rate", 0.01}}), {make_metric("accuracy")});
  const Sequential rebuilt = Sequential::from_config(model.config());
  CHECK(rebuilt.config() == model.config());
  CHECK(!rebuilt.layers()[0]->trainable());

  const std::string bytes = save_model_to_bytes(model);
  const Sequential loaded = load_model_from_bytes(bytes);
  CHECK(loaded.config() == model.config() && loaded.compile_config() == model.compile_config());
  const RowMatrix x = RowMatrix::Random(6, 3);
  CHECK(loaded.predict(x) == model.predict(x));
  CHECK(save_model_to_bytes(loaded) == bytes);  // what it reads, it writes again unchanged
  CHECK_THROWS(ModelFileError, load_model_from_bytes(bytes.substr(0, 100), "a cut copy"), "cannot load a cut copy");
}

// A confusion metric given a list of thresholds reports one value per threshold (a list of one: a
// number, as Keras does), keeps the form it was given in its config and in model files, and refuses
// a threshold out of [0, 1] from a config as its constructor does.
void test_thresholds_lists() {
  const Config list = Config::Array{Config(0.25), Config(0.5), Config(1.0)};
  const MetricPtr counts = make_metric("TruePositives", Config::Object{{"thresholds", list}});
  CHECK(counts->result_size() == 3 && *counts->config().find("thresholds") == list);
  const Config one = Config::Array{Config(0.5)};
  CHECK(make_metric("Recall", Config::Object{{"thresholds", one}})->result_size() == 1);
  CHECK(make_metric("Recall", Config::Object{{"thresholds", one}})->config().find("thresholds")->is_array());
  CHECK(make_metric("Recall", Config::Object{{"thresholds", 0.5}})->config().find("thresholds")->is_number());
  CHECK(make_metric("Recall")->config().find("thresholds")->is_null());
  CHECK_THROWS(std::invalid_argument,
               make_metric("Precision", Config::Object{{"thresholds", Config::Array{Config(0.5), Config(2.0)}}}),
               "Precision thresholds must be in [0, 1]; got 2.0 at index 1");
  CHECK_THROWS(std::invalid_argument, make_metric("FalsePositives", Config::Object{{"thresholds", Config::Array{}}}),
               "at least one number");
  CHECK_THROWS(ConfigTypeError, make_metric("TrueNegatives", Config::Object{{"thresholds", "0.5"}}),
               "TrueNegatives thresholds must be a number in [0, 1], a list of them, or None");

  Sequential model(/*seed=*/1);
  model.add(make_layer("Dense", Config::Object{{"units", 1}}));
  model.build(1);
  const std::vector<Parameter> weights = model.layers()[0]->parameters();  // kernel, bias
  weights[0].value->setConstant(1);  // predictions are the inputs
  weights[1].value->setZero();
  model.compile(make_loss("mse"), make_optimizer("sgd"), {counts, make_metric("precision")});
  RowMatrix x(5, 1), y(5, 1);
  x << 0.1f, 0.3f, 0.6f, 0.9f, 1.0f;
  y << 1, 0, 1, 0, 1;
  const Logs logs = model.evaluate(x, y, /*batch_size=*/2);
  CHECK(logs[1].first == "TruePositives" && logs[1].second.is_vector());  // shown under the name asked for
  CHECK((logs[1].second.values() == std::vector<double>{2, 2, 0}));  // above 0.25 or 0.5: 0.6 and 1; above 1: none
  CHECK(!logs[2].second.is_vector());
  CHECK_CLOSE(logs[2].second.number(), 2.0 / 3.0, 1e-12);  // above 0.5: 0.6, 0.9 and 1, of which 0.9 is negative
  CHECK_THROWS(std::logic_error, logs[1].second.number(), "one per threshold");
  const Sequential loaded = load_model_from_bytes(save_model_to_bytes(model));
  CHECK(loaded.compile_config() == model.compile_config());
  CHECK(loaded.evaluate(x, y) == logs);
}

void test_version_1_files_load(const std::filesystem::path& fixtures) {
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(fixtures)) {
    if (entry.path().extension() != ".fmlp") continue;
    const Sequential model = load_model(entry.path());
    const RowMatrix x = RowMatrix::Random(3, model.input_dim());
    CHECK(model.predict(x).allFinite());
    ++files;
  }
  CHECK(files == 10);
  std::printf("%d format 1 files load and predict\n", files);
}

}  // namespace

int main() {
  test_every_type_round_trips_its_defaults();
  test_refusals();
  test_model_config_and_bytes_round_trip();
  test_thresholds_lists();
  test_version_1_files_load(FASTMLP_FIXTURES "/format_v1");
  return check::report("test_registry");
}
