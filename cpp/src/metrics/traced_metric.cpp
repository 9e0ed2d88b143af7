// TracedMetric: a user's metric function fn(y_true, y_pred) traced into a graph; as Keras wraps such
// a function (MeanMetricWrapper), the metric is the mean of its values over every sample of the
// epoch, each sample's value being the mean over the axes after the batch.
#include <stdexcept>

#include "fastmlp/graph/traced_function.hpp"
#include "fastmlp/layers/traced_layer.hpp"
#include "fastmlp/metric.hpp"

namespace fastmlp {
namespace {

struct TracedMetricOptions : MetricName {
  TracedMetricOptions() : MetricName("traced_metric") {}
  GraphField graph;
  bool higher_is_better = false;
  OpaqueConfig keras_class;

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    MetricName::fields(self, visit);
    visit("graph", self.graph, options::required);
    visit("higher_is_better", self.higher_is_better);
    visit("keras_class", self.keras_class);
  }
};

class TracedMetric : public NamedMetric<TracedMetric, TracedMetricOptions> {
 public:
  static constexpr const char* kClassName = "TracedMetric";

  explicit TracedMetric(const Options& options) : NamedMetric(options), function_(options.graph.spec) {
    const graph::GraphSpec& spec = function_.spec();
    if (spec.inputs().size() != 2 || spec.outputs().size() != 1)
      throw std::invalid_argument("TracedMetric: the graph takes (y_true, y_pred) and returns the metric's values");
    const graph::Dims& out = spec.shape(spec.outputs()[0]);
    if (out.rank < 1 || out.d[0] != -1)
      throw std::invalid_argument("TracedMetric: a metric function returns a value per sample (batch first), got " +
                                  out.str());
  }

  bool higher_is_better() const override { return options_.higher_is_better; }

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
      const graph::ConstTensorOf<Scalar> values = g.output(0);
      const Index per_row = y_pred.rows() > 0 ? values.dims.size() / y_pred.rows() : 1;
      double total = 0;
      for (Index i = 0, n = values.dims.size(); i < n; ++i) total += values.data[i];
      state[0] += total / static_cast<double>(per_row);
      return 0;
    });
  }

 private:
  graph::TracedFunction function_;
};

FASTMLP_REGISTER(TracedMetric);

}  // namespace
}  // namespace fastmlp
