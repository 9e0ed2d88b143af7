#include "io_v1.hpp"

#include <string>
#include <utility>

namespace fastmlp {
namespace {

Config object(std::string class_name, Config config) {
  return Config::Object{{"class_name", std::move(class_name)}, {"config", std::move(config)}};
}

// Version 1 wrote every activation with alpha, max_value and threshold, whatever it used.
Config upgrade_activation(const Config& v1) {
  const std::string& name = v1.at("name").as_string("activation name");
  const Config& alpha = v1.at("alpha");
  if (name == "relu")
    return object(name, Config::Object{{"negative_slope", alpha}, {"max_value", v1.at("max_value")},
                                       {"threshold", v1.at("threshold")}});
  if (name == "leaky_relu") return object(name, Config::Object{{"negative_slope", alpha}});
  if (name == "elu") return object(name, Config::Object{{"alpha", alpha}});
  if (name == "gelu") {
    const Config* approximate = v1.find("approximate");
    return object(name, Config::Object{{"approximate", approximate ? *approximate : Config(false)}});
  }
  return name;
}

// {l1, l2} with zeros for none.
Config upgrade_regularizer(const Config& v1) {
  const double l1 = v1.at("l1").as_number("regularizer l1"), l2 = v1.at("l2").as_number("regularizer l2");
  if (l1 == 0 && l2 == 0) return Config();
  return object("L1L2", Config::Object{{"l1", l1}, {"l2", l2}});
}

// A seed of -1 meant "none".
Config upgrade_seed(const Config& v1) {
  const double seed = v1.as_number("seed");
  return seed < 0 ? Config() : Config(seed);
}

Config upgrade_layer(const Config& v1) {
  const std::string& type = v1.at("type").as_string("layer type");
  Config config = Config::Object{{"name", v1.at("name")}};
  if (type == "Dense") {
    config.set("units", v1.at("units"));
    config.set("activation", upgrade_activation(v1.at("activation")));
    config.set("use_bias", v1.at("use_bias"));
    for (const char* key : {"kernel_regularizer", "bias_regularizer", "activity_regularizer"})
      config.set(key, upgrade_regularizer(v1.at(key)));
  } else if (type == "Activation") {
    config.set("activation", upgrade_activation(v1.at("activation")));
  } else if (type == "Dropout") {
    config.set("rate", v1.at("rate"));
    config.set("seed", upgrade_seed(v1.at("seed")));
  } else if (type == "GaussianNoise") {
    config.set("stddev", v1.at("stddev"));
    config.set("seed", upgrade_seed(v1.at("seed")));
  } else if (type == "BatchNormalization") {
    for (const char* key : {"momentum", "epsilon", "center", "scale"}) config.set(key, v1.at(key));
  } else if (type != "PReLU") {
    throw ConfigError("the file has a layer of type " + type + ", which version 1 did not define");
  }
  return object(type, std::move(config));
}

// Version 1's classes with the arguments in their constructors' order.
Config upgrade_schedule(const Config& v1) {
  const std::string& name = v1.at("class").as_string("schedule class");
  const Config::Array& a = v1.at("arguments").as_array("schedule arguments");
  const auto need = [&](std::size_t count) {
    if (a.size() != count) throw ConfigError(name + " takes " + std::to_string(count) + " arguments");
  };
  if (name == "ExponentialDecay" || name == "InverseTimeDecay") {
    need(4);
    return object(name, Config::Object{{"initial_learning_rate", a[0]}, {"decay_steps", a[1]}, {"decay_rate", a[2]},
                                       {"staircase", a[3].as_number("staircase") != 0}});
  }
  if (name == "CosineDecay") {
    need(5);
    const double target = a[3].as_number("warmup_target");  // -1 meant none
    return object(name, Config::Object{{"initial_learning_rate", a[0]}, {"decay_steps", a[1]}, {"alpha", a[2]},
                                       {"warmup_target", target < 0 ? Config() : Config(target)},
                                       {"warmup_steps", a[4]}});
  }
  if (name == "PiecewiseConstantDecay") {
    if (a.size() % 2 == 0) throw ConfigError("PiecewiseConstantDecay takes an odd number of arguments");
    const auto middle = a.begin() + static_cast<std::ptrdiff_t>(a.size() / 2);
    return object(name, Config::Object{{"boundaries", Config::Array(a.begin(), middle)},
                                       {"values", Config::Array(middle, a.end())}});
  }
  throw ConfigError("unknown learning-rate schedule '" + name + "'");
}

Config upgrade_optimizer(const Config& v1) {
  const std::string& name = v1.at("class").as_string("optimizer class");
  Config config = Config::Object{};
  if (const Config* schedule = v1.find("schedule"))
    config.set("learning_rate", upgrade_schedule(*schedule));
  else
    config.set("learning_rate", v1.at("learning_rate"));
  // 0 meant "off"; None means it now.
  for (const char* key : {"weight_decay", "clipnorm", "clipvalue", "global_clipnorm"}) {
    const double value = v1.at(key).as_number(key);
    config.set(key, value == 0 && !(name == "AdamW" && std::string(key) == "weight_decay") ? Config() : Config(value));
  }
  for (const auto& [key, value] : v1.as_object("optimizer")) {
    if (key == "class" || key == "learning_rate" || key == "schedule" || key == "iterations" || key == "u_product" ||
        key == "weight_decay" || key == "clipnorm" || key == "clipvalue" || key == "global_clipnorm")
      continue;
    config.set(key, value);
  }
  return object(name, std::move(config));
}

Config upgrade_loss(const Config& v1) {
  const std::string& name = v1.at("name").as_string("loss name");
  Config config = Config::Object{};
  const auto copy = [&](const char* key) {
    if (const Config* value = v1.find(key)) config.set(key, *value);
  };
  if (name == "binary_crossentropy" || name == "categorical_crossentropy" || name == "sparse_categorical_crossentropy") {
    copy("from_logits");
    if (name != "sparse_categorical_crossentropy") copy("label_smoothing");
  } else if (name == "huber") {
    config.set("delta", v1.at("parameter"));
  }
  return object(name, std::move(config));
}

// "top_k_categorical_accuracy(k=3)" was version 1's way to carry k.
Config upgrade_metric(const Config& v1) {
  const std::string& name = v1.as_string("metric");
  const std::string prefix = "top_k_categorical_accuracy(k=";
  if (name.compare(0, prefix.size(), prefix) == 0 && name.size() > prefix.size() + 1 && name.back() == ')') {
    const std::string digits = name.substr(prefix.size(), name.size() - prefix.size() - 1);
    if (digits.empty() || digits.size() > 6 || digits.find_first_not_of("0123456789") != std::string::npos)
      throw ConfigError("invalid metric '" + name + "'");
    return object("top_k_categorical_accuracy",
                  Config::Object{{"k", std::stoi(digits)}, {"name", "top_k_categorical_accuracy"}});
  }
  return object(name, Config::Object{{"name", name}});
}

// "layers/3/kernel" and "optimizer/layers/3/kernel/m" for layer 3 become those of layer 3 + shift.
std::string shifted_tensor_name(const std::string& name, std::size_t shift) {
  const std::string layers = "layers/";
  const std::size_t at = name.compare(0, layers.size(), layers) == 0 ? 0 : name.find("/" + layers);
  if (at == std::string::npos) return name;
  const std::size_t first = at == 0 ? layers.size() : at + 1 + layers.size();
  const std::size_t slash = name.find('/', first);
  if (slash == std::string::npos) return name;
  const std::string index = name.substr(first, slash - first);
  if (index.empty() || index.size() > 9 || index.find_first_not_of("0123456789") != std::string::npos) return name;
  return name.substr(0, first) + std::to_string(std::stoul(index) + shift) + name.substr(slash);
}

}  // namespace

Config upgrade_version_1_header(const Config& header) {
  const Config& model = header.at("model");
  if (model.at("class").as_string("model class") != "Sequential")
    throw ConfigError("the file holds a " + model.at("class").as_string("model class") + "; version 1 held Sequential");

  Config::Array layers;
  Config input_shape = Config::Array{model.at("input_dim")};
  // A sample shape of several dimensions was a Flatten that the model did not list as a layer.
  const Config* sample_shape = model.find("sample_shape");
  const bool flatten = sample_shape != nullptr && sample_shape->as_array("sample_shape").size() > 1;
  if (flatten) {
    input_shape = *sample_shape;
    layers.push_back(object("Flatten", Config::Object{{"name", "flatten"}}));
  }
  for (const Config& layer : model.at("layers").as_array("layers")) layers.push_back(upgrade_layer(layer));

  Config upgraded = Config::Object{{"generator", header.at("generator")}};
  upgraded.set("model", object("Sequential", Config::Object{{"name", model.at("name")},
                                                           {"input_shape", input_shape},
                                                           {"layers", std::move(layers)}}));

  const Config& compile = header.at("compile");
  Config optimizer_state;
  if (compile.is_null()) {
    upgraded.set("compile", Config());
  } else {
    Config::Array metrics;
    for (const Config& metric : compile.at("metrics").as_array("metrics")) metrics.push_back(upgrade_metric(metric));
    const Config& optimizer = compile.at("optimizer");
    upgraded.set("compile", Config::Object{{"loss", upgrade_loss(compile.at("loss"))},
                                           {"optimizer", upgrade_optimizer(optimizer)},
                                           {"metrics", std::move(metrics)}});
    Config extra = Config::Object{};
    if (const Config* product = optimizer.find("u_product")) extra.set("u_product", *product);
    optimizer_state = Config::Object{{"iterations", optimizer.at("iterations")}, {"extra", std::move(extra)}};
  }
  upgraded.set("optimizer_state", std::move(optimizer_state));

  Config rng = header.at("rng");
  if (flatten && !rng.is_null())
    if (const Config* states = rng.find("layers")) {
      Config::Array shifted{Config()};
      for (const Config& state : states->as_array("rng layers")) shifted.push_back(state);
      rng.set("layers", std::move(shifted));
    }
  upgraded.set("rng", std::move(rng));

  Config::Array tensors;
  for (const Config& tensor : header.at("tensors").as_array("tensors")) {
    Config entry = tensor;
    if (flatten) entry.set("name", shifted_tensor_name(tensor.at("name").as_string("tensor name"), 1));
    tensors.push_back(std::move(entry));
  }
  upgraded.set("tensors", std::move(tensors));
  return upgraded;
}

}  // namespace fastmlp
