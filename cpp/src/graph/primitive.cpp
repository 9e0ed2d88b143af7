#include "fastmlp/graph/primitive.hpp"

#include <algorithm>

namespace fastmlp::graph {

template <class Scalar>
std::map<std::string, PrimitiveFactoryOf<Scalar>>& primitive_table() {
  // Never destroyed, as the registries: a daemon thread may still read it while the program exits.
  static auto* const table = new std::map<std::string, PrimitiveFactoryOf<Scalar>>();
  return *table;
}

template <class Scalar>
PrimitivePtrOf<Scalar> make_primitive(const std::string& name, const Config& attrs) {
  const auto& table = primitive_table<Scalar>();
  const auto found = table.find(name);
  if (found == table.end()) {
    std::string valid;
    for (const auto& [known, factory] : table) valid += (valid.empty() ? "" : ", ") + known;
    throw ConfigError("unknown graph op '" + name + "'; valid ops are: " + valid);
  }
  return found->second(attrs);
}

std::vector<std::string> primitive_names() {
  std::vector<std::string> names;
  for (const auto& [name, factory] : primitive_table<float>()) names.push_back(name);
  return names;
}

template std::map<std::string, PrimitiveFactoryOf<float>>& primitive_table<float>();
template std::map<std::string, PrimitiveFactoryOf<double>>& primitive_table<double>();
template PrimitivePtrOf<float> make_primitive<float>(const std::string&, const Config&);
template PrimitivePtrOf<double> make_primitive<double>(const std::string&, const Config&);

Attributes::Attributes(const Config& attrs, std::string op) : attrs_(attrs), op_(std::move(op)) {
  if (!attrs_.is_null()) attrs_.as_object(op_ + " attributes");
}

const Config* Attributes::find(const char* key) {
  read_.emplace_back(key);
  return attrs_.is_null() ? nullptr : attrs_.find(key);
}

const Config& Attributes::at(const char* key) {
  const Config* found = find(key);
  if (found == nullptr) throw ConfigError(op_ + " needs the attribute '" + key + "'");
  return *found;
}

double Attributes::number(const char* key) { return at(key).as_number(op_ + " " + key); }

bool Attributes::flag(const char* key, bool fallback) {
  const Config* found = find(key);
  return found == nullptr ? fallback : found->as_bool(op_ + " " + key);
}

std::vector<Index> Attributes::integers(const char* key) {
  std::vector<Index> out;
  for (const Config& item : at(key).as_array(op_ + " " + key))
    out.push_back(static_cast<Index>(item.as_integer(op_ + " " + key, -(std::int64_t{1} << 53))));
  return out;
}

void Attributes::done() const {
  if (attrs_.is_null()) return;
  for (const auto& [key, value] : attrs_.as_object(op_ + " attributes"))
    if (std::find(read_.begin(), read_.end(), key) == read_.end())
      throw ConfigError(op_ + " has no attribute '" + key + "'");
}

}  // namespace fastmlp::graph
