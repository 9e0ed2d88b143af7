// TracedMetric: a user's metric traced into graphs. Either a function fn(y_true, y_pred) ("graph"
// alone): as Keras wraps such a function (MeanMetricWrapper), the metric is the mean of its values over
// every sample of the epoch, each sample's value being the mean over the axes after the batch. Or a
// Metric subclass ("graph" and "result"): "graph" is its update_state traced to the increments it adds
// to each of its variables for one batch (the loop sums them, over batches and ranks, as every metric's
// state is summed), and "result" is its result() as a function of the variables' totals.
#include <algorithm>
#include <stdexcept>

#include "fastmlp/graph/traced_function.hpp"
#include "fastmlp/layers/traced_layer.hpp"
#include "fastmlp/metric.hpp"

namespace fastmlp {
namespace {

struct TracedMetricOptions : MetricName {
  TracedMetricOptions() : MetricName("traced_metric") {}
  GraphField graph;
  GraphField result;
  bool higher_is_better = false;
  OpaqueConfig keras_class;

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    MetricName::fields(self, visit);
    visit("graph", self.graph, options::required);
    visit("result", self.result);
    visit("higher_is_better", self.higher_is_better);
    visit("keras_class", self.keras_class);
  }
};

class TracedMetric : public NamedMetric<TracedMetric, TracedMetricOptions> {
 public:
  static constexpr const char* kClassName = "TracedMetric";

  explicit TracedMetric(const Options& options)
      : NamedMetric(options), stateful_(!options.result.spec.nodes().empty()), function_(options.graph.spec),
        result_(options.result.spec) {
    const graph::GraphSpec& spec = function_.spec();
    if (spec.inputs().size() != 2)
      throw std::invalid_argument("TracedMetric: the graph takes (y_true, y_pred)");
    if (!stateful_) {
      if (spec.outputs().size() != 1 || spec.shape(spec.outputs()[0]).rank < 1 || spec.shape(spec.outputs()[0]).d[0] != -1)
        throw std::invalid_argument("TracedMetric: a metric function returns a value per sample (batch first)");
      return;
    }
    // The increments are the state: one tensor per variable, none of them per sample.
    for (int output : spec.outputs()) {
      if (spec.shape(output).batched())
        throw std::invalid_argument("TracedMetric: update_state's increments cannot depend on the batch size");
      state_size_ += static_cast<int>(spec.shape(output).size());
    }
    const graph::GraphSpec& result = result_.spec();
    if (!result.inputs().empty() || result.outputs().size() != 1 || result.weights().size() != spec.outputs().size())
      throw std::invalid_argument("TracedMetric: result() reads the metric's variables and returns one tensor");
    for (size_t w = 0; w < result.weights().size(); ++w)
      if (result.weights()[w].shape.size() != spec.shape(spec.outputs()[w]).size())
        throw std::invalid_argument("TracedMetric: result()'s variables do not match update_state's");
    const graph::Dims& value = result.shape(result.outputs()[0]);
    if (value.batched()) throw std::invalid_argument("TracedMetric: result() returns a value, not one per sample");
    result_size_ = static_cast<int>(value.size());
  }

  bool higher_is_better() const override { return options_.higher_is_better; }
  // Traced for one target column next to several outputs: the loss's integer labels, which the
  // traced code reads as they are (Keras hands a metric the targets the loss takes).
  bool reads_labels() const override {
    const graph::GraphSpec& spec = function_.spec();
    return spec.shape(spec.inputs()[0]).d[1] == 1 && spec.shape(spec.inputs()[1]).d[1] != 1;
  }
  int state_size() const override { return stateful_ ? state_size_ : 1; }
  int result_size() const override { return stateful_ ? result_size_ : 1; }

  template <class Scalar>
  void accumulate_of(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true, double* state) const {
    const graph::GraphSpec& spec = function_.spec();
    const Index true_width = spec.shape(spec.inputs()[0]).d[1], pred_width = spec.shape(spec.inputs()[1]).d[1];
    if (y_true.cols() != true_width || y_pred.cols() != pred_width)
      throw std::invalid_argument("metric '" + name() + "' was traced for y_true of " + std::to_string(true_width) +
                                  " columns and y_pred of " + std::to_string(pred_width));
    function_.with_graph<Scalar>([&](graph::GraphOf<Scalar>& g) {
      const Scalar* inputs[] = {y_true.data(), y_pred.data()};
      g.forward(inputs, y_pred.rows());
      if (stateful_) {  // each variable's increment, added to its total
        double* total = state;
        for (size_t k = 0; k < spec.outputs().size(); ++k) {
          const graph::ConstTensorOf<Scalar> increment = g.output(k);
          for (Index i = 0, n = increment.dims.size(); i < n; ++i) *total++ += increment.data[i];
        }
        return 0;
      }
      const graph::ConstTensorOf<Scalar> values = g.output(0);
      const Index per_row = y_pred.rows() > 0 ? values.dims.size() / y_pred.rows() : 1;
      double total = 0;
      for (Index i = 0, n = values.dims.size(); i < n; ++i) total += values.data[i];
      state[0] += total / static_cast<double>(per_row);
      return 0;
    });
  }

  void result(const double* state, double samples, double* values) const override {
    if (!stateful_) return Metric::result(state, samples, values);
    result_.with_graph<double>([&](graph::GraphOf<double>& g) {
      const double* variable = state;
      for (size_t w = 0; w < result_.spec().weights().size(); ++w) {
        g.bind_weight(w, variable, nullptr);
        variable += result_.spec().weights()[w].shape.size();
      }
      g.forward(nullptr, 1);
      const graph::ConstTensorOf<double> value = g.output(0);
      std::copy(value.data, value.data + value.dims.size(), values);
      return 0;
    });
  }

 private:
  bool stateful_;
  graph::TracedFunction function_;  // the function's graph, or update_state's
  graph::TracedFunction result_;    // result()'s (stateful metrics)
  int state_size_ = 0, result_size_ = 1;
};

FASTMLP_REGISTER(TracedMetric);

}  // namespace
}  // namespace fastmlp
