// TracedLoss: a user's loss (a function of (y_true, y_pred) or a Loss subclass's call) traced into
// a graph. The graph returns a value per sample (shape (batch,) or (batch, ...), averaged over the
// axes after the batch, as Keras's reduction averages them) or one value for the batch; its
// gradient with respect to y_pred comes from running the graph backward.
#include <stdexcept>

#include "fastmlp/graph/traced_function.hpp"
#include "fastmlp/layers/traced_layer.hpp"
#include "loss_math.hpp"

namespace fastmlp {
namespace {

class TracedLoss : public Described<TracedLoss, LossImpl<TracedLoss>, TracedGraphOptions> {
 public:
  static constexpr const char* kClassName = "TracedLoss";

  explicit TracedLoss(const Options& options) : Described(options), function_(options.graph.spec) {
    const graph::GraphSpec& spec = function_.spec();
    if (spec.inputs().size() != 2 || spec.outputs().size() != 1)
      throw std::invalid_argument("TracedLoss: the graph takes (y_true, y_pred) and returns the loss");
    for (int input : spec.inputs())
      if (spec.shape(input).rank != 2)
        throw std::invalid_argument("TracedLoss: y_true and y_pred are (batch, columns) tensors");
    const graph::Dims& out = spec.shape(spec.outputs()[0]);
    per_sample_output_ = out.rank > 0 && out.d[0] == -1;
    for (int i = per_sample_output_ ? 1 : 0; i < out.rank; ++i)
      if (out.d[i] < 0)
        throw std::invalid_argument("TracedLoss: the loss must be per sample (batch first) or one number, got " +
                                    out.str());
    if (!per_sample_output_ && out.size() != 1)
      throw std::invalid_argument("TracedLoss: a loss that is not per sample must be one number, got " + out.str());
  }

  Index target_columns(Index) const override { return width(0); }

  template <class Scalar>
  void per_sample_of(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true, VectorRefOf<Scalar> out) const {
    function_.with_graph<Scalar>([&](graph::GraphOf<Scalar>& g) {
      run(g, y_pred, y_true);
      const graph::ConstTensorOf<Scalar> values = g.output(0);
      const Index rows = y_pred.rows();
      if (!per_sample_output_) {  // one number for the batch: each sample's share of the mean is it
        out.setConstant(values.data[0]);
        return 0;
      }
      const Index per_row = rows > 0 ? values.dims.size() / rows : 0;
      out = ConstMatrixMapOf<Scalar>(values.data, rows, per_row).rowwise().mean();
      return 0;
    });
  }

  template <class Scalar>
  void gradient_of(ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true, MatrixMapOf<Scalar> grad) const {
    function_.with_graph<Scalar>([&](graph::GraphOf<Scalar>& g) {
      run(g, y_pred, y_true);
      const graph::ConstTensorOf<Scalar> values = g.output(0);
      // The batch loss is the mean of every value (sum_over_batch_size), or the one value itself.
      const Index count = values.dims.size();
      const Scalar share = per_sample_output_ ? Scalar(1) / static_cast<Scalar>(count) : Scalar(1);
      seed<Scalar>().assign(static_cast<size_t>(count), share);
      const Scalar* output_grads[] = {seed<Scalar>().data()};
      g.backward(output_grads, {false, true});
      grad = ConstMatrixMapOf<Scalar>(g.input_gradient(1), y_pred.rows(), y_pred.cols());
      return 0;
    });
  }

  template <class Scalar>
  void check_targets_of(ConstMatrixMapOf<Scalar> y_true, Index output_units) const {
    if (output_units != width(1))
      throw std::invalid_argument("TracedLoss was traced for " + std::to_string(width(1)) +
                                  " outputs, the model has " + std::to_string(output_units));
    Loss::check_targets_of(y_true, output_units);
  }

 private:
  Index width(size_t input) const {
    const graph::GraphSpec& spec = function_.spec();
    return spec.shape(spec.inputs()[input]).d[1];
  }

  template <class Scalar>
  void run(graph::GraphOf<Scalar>& g, ConstMatrixMapOf<Scalar> y_pred, ConstMatrixMapOf<Scalar> y_true) const {
    if (y_true.cols() != width(0) || y_pred.cols() != width(1))
      throw std::invalid_argument("TracedLoss was traced for y_true of " + std::to_string(width(0)) +
                                  " columns and y_pred of " + std::to_string(width(1)) + ", got " +
                                  std::to_string(y_true.cols()) + " and " + std::to_string(y_pred.cols()));
    const Scalar* inputs[] = {y_true.data(), y_pred.data()};
    g.forward(inputs, y_pred.rows());
  }

  // The output gradient, reused between batches (under the function's lock).
  template <class Scalar>
  std::vector<Scalar>& seed() const {
    if constexpr (std::is_same_v<Scalar, float>) {
      return float_seed_;
    } else {
      return double_seed_;
    }
  }

  graph::TracedFunction function_;
  bool per_sample_output_ = true;
  mutable std::vector<float> float_seed_;
  mutable std::vector<double> double_seed_;
};

FASTMLP_REGISTER(TracedLoss);

}  // namespace
}  // namespace fastmlp
