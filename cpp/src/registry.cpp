#include "fastmlp/registry.hpp"

namespace fastmlp::options {

void Reader::reject_unknown(const std::vector<std::string>& also_allowed) const {
  const auto listed = [](const std::vector<std::string>& names, const std::string& name) {
    for (const std::string& candidate : names)
      if (candidate == name) return true;
    return false;
  };
  for (const auto& [name, unused] : in_) {
    if (listed(known_, name) || listed(also_allowed, name)) continue;
    std::string valid;
    for (const std::string& candidate : known_) valid += (valid.empty() ? "" : ", ") + candidate;
    for (const std::string& candidate : also_allowed) valid += (valid.empty() ? "" : ", ") + candidate;
    throw ConfigError(owner_ + " has no parameter '" + name + "'" +
                      (valid.empty() ? std::string("; it takes none") : "; its parameters are: " + valid));
  }
}

}  // namespace fastmlp::options
