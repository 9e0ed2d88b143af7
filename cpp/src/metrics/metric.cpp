#include "fastmlp/metric.hpp"

#include <stdexcept>

namespace fastmlp {

MetricPtr Metric::resolved_for(const MetricPtr& self, const Loss& loss, Index output_units) const {
  // Every metric but the sparse ones compares each output with its own target, so it needs one
  // target column per output; the sparse ones need a single label column.
  const bool labels = loss.target_columns(output_units) == 1 && output_units != 1;
  if (!reads_labels() && labels)
    throw std::invalid_argument("metric '" + name() + "' needs one target per output, but " + loss.class_name() +
                                " takes a single label column; use 'accuracy' or 'sparse_categorical_accuracy'");
  if (reads_labels() && loss.target_columns(output_units) != 1)
    throw std::invalid_argument("metric '" + name() + "' needs integer labels (one target column); with " +
                                loss.class_name() + " use 'accuracy' or 'categorical_accuracy'");
  return self;
}

void Metric::result(const double* state, double samples, double* values) const {
  values[0] = samples > 0 ? state[0] / samples : 0.0;
}

MetricPtr make_metric(const std::string& name, Config config) {
  if (config.find("name") == nullptr) config.set("name", name);
  return Registry<Metric>::instance().create(name, config);
}

}  // namespace fastmlp
