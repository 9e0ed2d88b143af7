#include "fastmlp/layer.hpp"

namespace fastmlp {

Config Layer::common_defaults() { return Config::Object{{"name", ""}, {"trainable", true}}; }

Config Layer::config() const {
  Config config = Config::Object{{"name", name_}, {"trainable", trainable_}};
  const Config options = options_config();
  for (const auto& [key, value] : options.as_object("layer options")) config.set(key, value);
  return config;
}

void Layer::read_common(const Config& config) {
  if (const Config* name = config.find("name")) name_ = name->as_string(class_name() + " name");
  if (const Config* trainable = config.find("trainable")) trainable_ = trainable->as_bool(class_name() + " trainable");
}

LayerPtr make_layer(const std::string& class_name, const Config& config) {
  return Registry<Layer>::instance().create(class_name, config);
}

}  // namespace fastmlp
