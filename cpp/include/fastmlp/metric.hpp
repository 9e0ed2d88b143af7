// Metrics with Keras's names, accumulated over an epoch (or an evaluation) batch by batch.
//
// Each metric keeps a few running totals ("state") in a buffer its caller owns, so that one metric
// object serves any number of concurrent evaluations: a sum of per-sample scores for the means,
// true/false positive counts for precision and recall, a confusion count per threshold for AUC.
// A metric is not a template either: one object serves models in float and in double, its state
// being double for both.
#pragma once

#include <memory>
#include <string>

#include "fastmlp/loss.hpp"
#include "fastmlp/registry.hpp"
#include "fastmlp/types.hpp"

namespace fastmlp {

class Metric;
using MetricPtr = std::shared_ptr<const Metric>;

class Metric : public Configurable {
 public:
  using Base = Metric;
  static constexpr const char* kKind = "metric";

  // The key under which logs and histories show the metric.
  virtual const std::string& name() const = 0;
  // Whether larger values are better (accuracy) or worse (errors): what Keras's "auto" monitoring
  // mode (EarlyStopping, ModelCheckpoint) reads.
  virtual bool higher_is_better() const { return true; }

  // The metric that computes this one for a model trained with `loss` and `output_units` outputs:
  // itself, or, for "accuracy", the binary, categorical or sparse accuracy the loss calls for (as
  // Keras resolves it). Throws std::invalid_argument when the metric cannot read the loss's targets.
  virtual MetricPtr resolved_for(const MetricPtr& self, const Loss& loss, Index output_units) const;

  virtual int state_size() const { return 1; }
  // How many numbers the metric reports: 1 (a number) for most; one per threshold for a confusion
  // metric given a list of two or more thresholds, whose value Keras reports as a vector.
  virtual int result_size() const { return 1; }
  // Adds a batch to `state` (state_size() numbers, in double whatever the model's scalar type).
  virtual void accumulate(ConstMatrixMapOf<float> y_pred, ConstMatrixMapOf<float> y_true, double* state) const = 0;
  virtual void accumulate(ConstMatrixMapOf<double> y_pred, ConstMatrixMapOf<double> y_true, double* state) const = 0;
  // Writes the metric's result_size() values from its state after `samples` samples (Keras's
  // divide_no_nan: 0 for 0/0). The default: the mean of a sum of per-sample scores.
  virtual void result(const double* state, double samples, double* values) const;
  // Whether y_true is a single column of class labels (sparse) rather than one target per output
  // (public so that a caller outside a model, the Python binding, can check the shapes it is given).
  virtual bool reads_labels() const { return false; }
};

// What a metric derives from (through Described): it gives accumulate for both scalar types by
// calling Derived's template accumulate_of, which therefore is public.
template <class Derived>
class MetricImpl : public Metric {
 public:
  void accumulate(ConstMatrixMapOf<float> y_pred, ConstMatrixMapOf<float> y_true, double* state) const override {
    self().accumulate_of(y_pred, y_true, state);
  }
  void accumulate(ConstMatrixMapOf<double> y_pred, ConstMatrixMapOf<double> y_true, double* state) const override {
    self().accumulate_of(y_pred, y_true, state);
  }

 private:
  const Derived& self() const { return static_cast<const Derived&>(*this); }
};

// A metric by name or alias ("accuracy", "mse", "AUC", ...) with parameters from `config`. Unless
// the config names it otherwise, the metric is shown under the name it was asked for ("mse"), as in
// Keras. Throws ConfigError listing the valid names or naming a bad parameter.
MetricPtr make_metric(const std::string& name, Config config = {});

// The options every metric has: its name, Keras's default for each class.
struct MetricName {
  std::string name;
  explicit MetricName(std::string default_name) : name(std::move(default_name)) {}

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("name", self.name);
  }
};

// The options of a metric whose only parameter is its name (DefaultName: Keras's default for it).
template <const char* DefaultName>
struct NameOnly : MetricName {
  NameOnly() : MetricName(DefaultName) {}
};

// What every metric shares: Described, and its name from its options.
template <class Derived, class OptionsT>
class NamedMetric : public Described<Derived, MetricImpl<Derived>, OptionsT> {
 public:
  const std::string& name() const override { return this->options_.name; }

 protected:
  explicit NamedMetric(const OptionsT& options) : Described<Derived, MetricImpl<Derived>, OptionsT>(options) {
    if (options.name.empty()) throw std::invalid_argument(std::string(Derived::kClassName) + " name must not be empty");
  }
};

}  // namespace fastmlp
