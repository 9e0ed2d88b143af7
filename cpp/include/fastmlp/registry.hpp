// How a type describes itself once and joins the registry of its kind.
//
// Every configurable type T (a layer, activation, loss, optimizer, schedule, initializer,
// regularizer or metric) has
//   - a struct T::Options holding its parameters with Keras's names and defaults, and listing them
//     once in `fields`:
//         template <class Self, class Visit> static void fields(Self& self, Visit& visit) {
//           visit("units", self.units, options::required);  // a config must give it
//           visit("use_bias", self.use_bias);               // the member's initializer is the default
//         }
//   - a constructor T(const Options&) that validates them (throwing std::invalid_argument);
//   - `static constexpr const char* kClassName`, the name configs and model files use;
//   - and one line in its own .cpp: FASTMLP_REGISTER(T, "alias", ...).
// From that alone come T's config (options_to_config), its construction from a config (the same
// constructor, so a config is validated exactly as a constructor call), and the defaults that Python
// shows in T's signature (Registry::defaults). Nothing else in the library lists T's parameters.
//
// Registrations run when the library is loaded, which is why fastmlp is a shared library for C++
// programs and its objects are linked whole into the Python extension: a static archive would let
// the linker drop a type's object file, and with it the type.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "fastmlp/config.hpp"

namespace fastmlp {

template <class Base>
class Registry;

// {"class_name": ..., "config": {...}}: how an object is written inside another's config, as Keras
// serializes objects. Kinds that Keras writes by name (activations: "relu") set
// `static constexpr bool kNameWhenDefault = true` and are written as their name alone when every
// parameter has its default.
template <class Base>
Config serialize(const Base& object);

namespace options {

// Marks a field that has no default: a config must give it (Dense's units), and Python's signature
// lists it without one.
struct Required {};
inline constexpr Required required{};

template <class T>
struct IsSharedPtr : std::false_type {};
template <class T>
struct IsSharedPtr<std::shared_ptr<T>> : std::true_type {};
template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};
template <class T>
struct IsVector : std::false_type {};
template <class T>
struct IsVector<std::vector<T>> : std::true_type {};
// A field type with a config form of its own (an optimizer's learning rate: a number or a schedule)
// provides `Config to_config() const` and `static T from_config(const Config&, const std::string& what)`.
template <class T, class = void>
struct HasOwnConfig : std::false_type {};
template <class T>
struct HasOwnConfig<T, std::void_t<decltype(std::declval<const T&>().to_config())>> : std::true_type {};

// One field's value as a Config.
template <class T>
Config to_config(const T& value) {
  if constexpr (HasOwnConfig<T>::value) {
    return value.to_config();
  } else if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, std::string>) {
    return Config(value);
  } else if constexpr (std::is_integral_v<T>) {
    return Config(static_cast<std::int64_t>(value));
  } else if constexpr (std::is_floating_point_v<T>) {
    return Config(static_cast<double>(value));
  } else if constexpr (IsOptional<T>::value) {
    return value ? to_config(*value) : Config();
  } else if constexpr (IsVector<T>::value) {
    Config::Array items;
    for (const auto& item : value) items.push_back(to_config(item));
    return items;
  } else if constexpr (IsSharedPtr<T>::value) {
    return value ? serialize(*value) : Config();  // an object of a registered kind, or none
  } else {
    static_assert(sizeof(T) == 0, "a field type Config cannot hold");
  }
}

// One field's value from a Config; `what` names it in errors ("Dense units").
template <class T>
void from_config(const Config& config, const std::string& what, T& value) {
  if constexpr (HasOwnConfig<T>::value) {
    value = T::from_config(config, what);
  } else if constexpr (std::is_same_v<T, bool>) {
    value = config.as_bool(what);
  } else if constexpr (std::is_same_v<T, std::string>) {
    value = config.as_string(what);
  } else if constexpr (std::is_integral_v<T>) {
    const std::int64_t minimum = std::is_signed_v<T> ? std::max<std::int64_t>(
                                                           std::numeric_limits<T>::min(), -(std::int64_t{1} << 53))
                                                     : 0;
    const std::int64_t number = config.as_integer(what, minimum);
    if (static_cast<std::uint64_t>(number) > static_cast<std::uint64_t>(std::numeric_limits<T>::max()) && number > 0)
      throw ConfigError(what + " must be at most " + std::to_string(std::numeric_limits<T>::max()) + ", got " +
                        std::to_string(number));
    value = static_cast<T>(number);
  } else if constexpr (std::is_floating_point_v<T>) {
    value = static_cast<T>(config.as_number(what));
  } else if constexpr (IsOptional<T>::value) {
    if (config.is_null()) {
      value.reset();
    } else {
      typename T::value_type inner{};
      from_config(config, what, inner);
      value = std::move(inner);
    }
  } else if constexpr (IsVector<T>::value) {
    const Config::Array& items = config.as_array(what);
    T result(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) from_config(items[i], what + "[" + std::to_string(i) + "]", result[i]);
    value = std::move(result);
  } else if constexpr (IsSharedPtr<T>::value) {
    using Object = std::remove_const_t<typename T::element_type>;
    value = config.is_null() ? nullptr : Registry<Object>::instance().deserialize(config, what);
  } else {
    static_assert(sizeof(T) == 0, "a field type Config cannot hold");
  }
}

class Writer {
 public:
  template <class T>
  void operator()(const char* key, const T& value) {
    out_.emplace_back(key, to_config(value));
  }
  template <class T>
  void operator()(const char* key, const T& value, Required) {
    (*this)(key, value);
  }
  Config::Object take() { return std::move(out_); }

 private:
  Config::Object out_;
};

class Reader {
 public:
  Reader(const Config::Object& in, std::string owner) : in_(in), owner_(std::move(owner)) {}
  template <class T>
  void operator()(const char* key, T& value) {
    known_.emplace_back(key);
    for (const auto& [name, item] : in_)
      if (name == key) return from_config(item, owner_ + " " + key, value);
  }
  template <class T>
  void operator()(const char* key, T& value, Required) {
    bool given = false;
    for (const auto& [name, item] : in_) given = given || name == key;
    if (!given) throw ConfigError(owner_ + " needs a value for '" + key + "'");
    (*this)(key, value);
  }
  // Throws ConfigError for a member no field took, listing the valid names.
  void reject_unknown(const std::vector<std::string>& also_allowed = {}) const;

 private:
  const Config::Object& in_;
  std::string owner_;
  std::vector<std::string> known_;
};

// Collects the names of the required fields.
class RequiredNames {
 public:
  template <class T>
  void operator()(const char*, const T&) {}
  template <class T>
  void operator()(const char* key, const T&, Required) {
    names_.emplace_back(key);
  }
  std::vector<std::string> take() { return std::move(names_); }

 private:
  std::vector<std::string> names_;
};

}  // namespace options

// The options as a config, every field written (defaults too), in the fields' order.
template <class Options>
Config options_to_config(const Options& options) {
  options::Writer writer;
  Options::fields(options, writer);
  return writer.take();
}

// Options from a config: fields it names are read, the others keep their defaults; a member that is
// no field raises ConfigError. `also_allowed` names members the caller reads itself (a layer's name).
template <class Options>
Options options_from_config(const Config& config, const std::string& owner,
                            const std::vector<std::string>& also_allowed = {}) {
  Options options;
  if (config.is_null()) return options;
  options::Reader reader(config.as_object(owner + " config"), owner);
  Options::fields(options, reader);
  reader.reject_unknown(also_allowed);
  return options;
}

template <class Options>
std::vector<std::string> required_fields() {
  options::RequiredNames names;
  const Options defaults{};
  Options::fields(defaults, names);
  return names.take();
}

// A type built from its options alone: T(options read from config).
template <class T>
std::shared_ptr<T> make_from_options(const Config& config, const std::vector<std::string>& also_allowed = {}) {
  return std::make_shared<T>(options_from_config<typename T::Options>(config, T::kClassName, also_allowed));
}

// The registry of one kind of type (Base: Layer, Activation, Loss, ...). Base provides
// `static constexpr const char* kKind` ("layer") for messages, and virtual class_name() and config().
template <class Base>
class Registry {
 public:
  using Factory = std::shared_ptr<Base> (*)(const Config& config);
  struct Entry {
    std::string class_name;
    std::vector<std::string> aliases;  // other names that create it ("adam" for "Adam")
    Factory make;
    // Every field's default (a required field's placeholder too), and the fields without a default.
    // Functions, called when asked: defaults may name other registered types (Dense's
    // "glorot_uniform"), which need not be registered yet while registrations run.
    Config (*defaults)();
    std::vector<std::string> (*required)();
  };

  // Never destroyed: a thread that the program leaves running when it exits (a Python daemon
  // thread inside fit or save) may still read it while static objects are destroyed, which
  // ThreadSanitizer caught as a use of freed memory.
  static Registry& instance() {
    static Registry* const registry = new Registry();
    return *registry;
  }

  void add(Entry entry) {
    for (const std::string& name : all_names(entry))
      if (find(name) != nullptr)
        throw std::logic_error(std::string(Base::kKind) + " '" + name + "' is registered twice");
    entries_.push_back(std::move(entry));
  }

  // By class name or alias; null when unknown.
  const Entry* find(std::string_view name) const {
    for (const Entry& entry : entries_)
      for (const std::string& candidate : all_names(entry))
        if (candidate == name) return &entry;
    return nullptr;
  }

  const Entry& at(std::string_view name) const {
    if (const Entry* entry = find(name)) return *entry;
    std::string valid;
    for (const std::string& candidate : names()) valid += (valid.empty() ? "" : ", ") + candidate;
    throw ConfigError("unknown " + std::string(Base::kKind) + " '" + std::string(name) + "'; valid names are: " + valid);
  }

  std::shared_ptr<Base> create(std::string_view name, const Config& config = {}) const { return at(name).make(config); }

  // {"class_name": name, "config": {...}}, or just the name for the defaults.
  std::shared_ptr<Base> deserialize(const Config& value, const std::string& what) const {
    if (value.is_string()) return create(value.as_string(what));
    const Config::Object& members = value.as_object(what);
    for (const auto& [key, unused] : members)
      if (key != "class_name" && key != "config" && key != "module" && key != "registered_name")
        throw ConfigError(what + " has an unknown member '" + key + "'; expected class_name and config");
    const Config* config = value.find("config");
    return create(value.at("class_name").as_string(what + " class_name"), config ? *config : Config());
  }

  // Class names and aliases, in registration order.
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const Entry& entry : entries_)
      for (const std::string& name : all_names(entry)) out.push_back(name);
    return out;
  }
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  static std::vector<std::string> all_names(const Entry& entry) {
    std::vector<std::string> names{entry.class_name};
    names.insert(names.end(), entry.aliases.begin(), entry.aliases.end());
    return names;
  }

  std::vector<Entry> entries_;
};

// Registration of T in its base's registry, from T's own .cpp file (FASTMLP_REGISTER). The base
// class says how a config becomes an object and what a default config is, so that what all its
// types share (a layer's name and trainable flag) is handled once:
//   template <class T> static std::shared_ptr<Base> from_config_of(const Config&);
//   template <class T> static Config default_config_of();
template <class T>
struct Registration {
  using Base = typename T::Base;

  static std::shared_ptr<Base> make(const Config& config) { return Base::template from_config_of<T>(config); }

  explicit Registration(std::vector<std::string> aliases = {}) {
    Registry<Base>::instance().add({T::kClassName, std::move(aliases), &make, &Base::template default_config_of<T>,
                                    &required_fields<typename T::Options>});
  }
};

template <class Base>
Config serialize(const Base& object) {
  Config config = object.config();
  if constexpr (Base::kNameWhenDefault) {
    if (config == Registry<Base>::instance().at(object.class_name()).defaults()) return object.class_name();
  }
  return Config::Object{{"class_name", object.class_name()}, {"config", std::move(config)}};
}

// What the base class of every kind (Activation, Loss, Optimizer, ...) has: a class name, a config
// made from the type's options, and how the registry makes one from a config (its options read and
// passed to its constructor) and what its defaults are. A kind whose types share more (a layer's
// name and trainable flag) replaces the two static functions.
class Configurable {
 public:
  static constexpr bool kNameWhenDefault = false;  // Keras writes {"class_name": ..., "config": ...}

  virtual ~Configurable() = default;
  virtual std::string class_name() const = 0;
  Config config() const { return options_config(); }

  template <class T>
  static std::shared_ptr<T> from_config_of(const Config& config) {
    return make_from_options<T>(config);
  }
  template <class T>
  static Config default_config_of() {
    return options_to_config(typename T::Options{});
  }

 protected:
  virtual Config options_config() const = 0;
};

// What every registered type has in common: its options, kept as given, its class name and its
// config derived from them. `KindBase` is its kind's base class (Activation, Optimizer, ...), whose
// constructor receives `base_arguments`.
template <class Derived, class KindBase, class OptionsT>
class Described : public KindBase {
 public:
  using Options = OptionsT;
  const Options& options() const { return options_; }
  std::string class_name() const override { return Derived::kClassName; }

 protected:
  template <class... BaseArguments>
  explicit Described(const Options& options, BaseArguments&&... base_arguments)
      : KindBase(std::forward<BaseArguments>(base_arguments)...), options_(options) {}
  Config options_config() const override { return options_to_config(options_); }

  Options options_;
};

// The options of a type that has none.
struct NoOptions {
  template <class Self, class Visit>
  static void fields(Self&, Visit&) {}
};

#define FASTMLP_REGISTRATION_NAME2(line) fastmlp_registration_##line
#define FASTMLP_REGISTRATION_NAME(line) FASTMLP_REGISTRATION_NAME2(line)
// In the type's own .cpp: FASTMLP_REGISTER(Adam, "adam"); the extra names are aliases.
#define FASTMLP_REGISTER(Type, ...) \
  static const ::fastmlp::Registration<Type> FASTMLP_REGISTRATION_NAME(__COUNTER__){{__VA_ARGS__}}

}  // namespace fastmlp
