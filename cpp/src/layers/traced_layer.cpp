#include "fastmlp/layers/traced_layer.hpp"

#include <algorithm>
#include <stdexcept>

#include "fastmlp/initializer.hpp"

namespace fastmlp {

namespace {

// A weight of Keras shape (d0, d1, ...) is stored as a (d0, d1 * ...) matrix (a vector as one row,
// as Dense keeps its bias), so its elements sit row-major exactly as the graph reads them.
TensorShape stored_shape(const graph::WeightSpec& weight) {
  const graph::Dims& s = weight.shape;
  if (s.rank == 0) return {weight.name, 1, 1};
  if (s.rank == 1) return {weight.name, 1, s.d[0]};
  return {weight.name, s.d[0], s.size() / s.d[0]};
}

// Keras's fans (compute_fans): a matrix's (rows, columns); a vector's length for both; higher ranks
// multiply the leading axes into a receptive field.
std::pair<Index, Index> fans(const graph::Dims& s) {
  if (s.rank == 0) return {1, 1};
  if (s.rank == 1) return {s.d[0], s.d[0]};
  if (s.rank == 2) return {s.d[0], s.d[1]};
  Index receptive = 1;
  for (int i = 0; i < s.rank - 2; ++i) receptive *= s.d[i];
  return {s.d[s.rank - 2] * receptive, s.d[s.rank - 1] * receptive};
}

}  // namespace

template <class Scalar>
TracedLayerOf<Scalar>::TracedLayerOf(const Options& options) : DescribedBase(options) {
  const graph::GraphSpec& spec = options.graph.spec;
  if (spec.inputs().empty()) throw std::invalid_argument("TracedLayer: the graph has no input");
  if (spec.outputs().empty()) throw std::invalid_argument("TracedLayer: the graph has no output");
  for (size_t k = 1; k < spec.outputs().size(); ++k)
    if (spec.shape(spec.outputs()[k]).batched() || spec.shape(spec.outputs()[k]).size() != 1)
      throw std::invalid_argument("TracedLayer: a loss added with add_loss must be one number");
  const graph::Dims& out = spec.shape(spec.outputs()[0]);
  if (out.rank < 1 || out.d[0] != -1)
    throw std::invalid_argument("TracedLayer: the output's first axis must be the batch, got " + out.str());
  for (int i = 1; i < out.rank; ++i)
    if (out.d[i] < 0) throw std::invalid_argument("TracedLayer: only the output's first axis may be the batch");
  for (const graph::WeightSpec& weight : spec.weights()) {
    Registry<Initializer>::instance().deserialize(weight.initializer, "TracedLayer weight initializer");
    regularizers_.push_back(weight.regularizer.is_null()
                                ? nullptr
                                : Registry<Regularizer>::instance().deserialize(weight.regularizer, "TracedLayer regularizer"));
    constraints_.push_back(weight.constraint.is_null()
                               ? nullptr
                               : Registry<Constraint>::instance().deserialize(weight.constraint, "TracedLayer constraint"));
    // A constraint's axes count the weight's Keras axes, which the stored matrix keeps up to two of.
    if (constraints_.back() && weight.shape.rank > 2)
      throw std::invalid_argument("TracedLayer weight '" + weight.name + "': constraints take weights of at most 2 axes");
    check_constraint(constraints_.back(), std::max(weight.shape.rank, 1), "TracedLayer weight '" + weight.name + "'");
  }
  output_width_ = out.concrete(1).size();
}

template <class Scalar>
Index TracedLayerOf<Scalar>::width_of(const graph::Dims& dims) const {
  return dims.concrete(1).size();
}

template <class Scalar>
Index TracedLayerOf<Scalar>::input_dim_of(size_t input) const {
  if (!built()) return 0;
  const graph::GraphSpec& spec = options_.graph.spec;
  return width_of(spec.shape(spec.inputs().at(input)));
}

template <class Scalar>
Index TracedLayerOf<Scalar>::output_dim_for(Index input_dim) const {
  check_widths({input_dim});
  return output_width_;
}

template <class Scalar>
void TracedLayerOf<Scalar>::check_widths(const std::vector<Index>& input_dims) const {
  const graph::GraphSpec& spec = options_.graph.spec;
  if (input_dims.size() != spec.inputs().size())
    throw std::invalid_argument("layer '" + this->name() + "' takes " + std::to_string(spec.inputs().size()) +
                                " input(s), got " + std::to_string(input_dims.size()));
  for (size_t i = 0; i < input_dims.size(); ++i) {
    const Index expected = width_of(spec.shape(spec.inputs()[i]));
    if (input_dims[i] != expected)
      throw std::invalid_argument("layer '" + this->name() + "' was traced for inputs of shape " +
                                  spec.shape(spec.inputs()[i]).str() + " (" + std::to_string(expected) +
                                  " features), got " + std::to_string(input_dims[i]) + " features");
  }
}

template <class Scalar>
std::vector<TensorShape> TracedLayerOf<Scalar>::tensor_shapes(Index) const {
  std::vector<TensorShape> shapes;
  for (bool trainable : {true, false})
    for (const graph::WeightSpec& weight : options_.graph.spec.weights())
      if (weight.trainable == trainable) shapes.push_back(stored_shape(weight));
  return shapes;
}

template <class Scalar>
void TracedLayerOf<Scalar>::build(Index input_dim, Rng& rng) {
  build_inputs({input_dim}, rng);
}

template <class Scalar>
void TracedLayerOf<Scalar>::build_inputs(const std::vector<Index>& input_dims, Rng& rng) {
  check_widths(input_dims);
  const graph::GraphSpec& spec = options_.graph.spec;
  std::vector<RowMatrixOf<Scalar>> weights, gradients;
  for (const graph::WeightSpec& weight : spec.weights()) {
    const TensorShape stored = stored_shape(weight);
    weights.emplace_back(stored.rows, stored.cols);
    gradients.emplace_back(RowMatrixOf<Scalar>::Zero(stored.rows, stored.cols));
    const auto [fan_in, fan_out] = fans(weight.shape);
    Registry<Initializer>::instance()
        .deserialize(weight.initializer, "TracedLayer weight initializer")
        ->fill(weights.back(), fan_in, fan_out, rng);
  }
  auto training = std::make_unique<graph::GraphOf<Scalar>>(spec);
  auto inference = std::make_unique<graph::GraphOf<Scalar>>(spec);
  weights_ = std::move(weights);
  gradients_ = std::move(gradients);
  for (size_t w = 0; w < weights_.size(); ++w) {
    training->bind_weight(w, weights_[w].data(), spec.weights()[w].trainable ? gradients_[w].data() : nullptr);
    inference->bind_weight(w, weights_[w].data(), nullptr);
  }
  input_pointers_.assign(spec.inputs().size(), nullptr);
  graph_ = std::move(training);
  inference_ = std::move(inference);
}

template <class Scalar>
std::vector<ParameterOf<Scalar>> TracedLayerOf<Scalar>::weights_of(bool trainable) {
  std::vector<ParameterOf<Scalar>> out;
  const auto& specs = options_.graph.spec.weights();
  for (size_t w = 0; w < weights_.size(); ++w)
    if (specs[w].trainable == trainable)
      out.push_back({specs[w].name, &weights_[w], &gradients_[w], constraints_[w], std::max(specs[w].shape.rank, 1)});
  return out;
}

template <class Scalar>
double TracedLayerOf<Scalar>::weight_penalty() const {
  double total = 0;
  for (size_t w = 0; w < weights_.size(); ++w) total += penalty_of(regularizers_[w], map_of(weights_[w]));
  return total;
}

template <class Scalar>
double TracedLayerOf<Scalar>::activity_penalty(ConstMatrixMapOf<Scalar> output) const {
  // The added losses of the pass that produced `output`: a training forward's (its own buffer) or the
  // last infer()'s (an evaluation writes into memory of its own).
  if (output.data() != graph_->output(0).data) return inferred_penalty_;
  double total = 0;
  for (size_t k = 1; k < options_.graph.spec.outputs().size(); ++k) total += graph_->output(k).data[0];
  return total;
}

template <class Scalar>
void TracedLayerOf<Scalar>::reserve_batch(Index max_batch) {
  graph_->reserve(max_batch);
}

template <class Scalar>
ConstMatrixMapOf<Scalar> TracedLayerOf<Scalar>::forward(ConstMatrixMapOf<Scalar> input, bool training) {
  const Scalar* data[] = {input.data()};
  return forward_inputs({data, 1, input.rows()}, training);
}

template <class Scalar>
ConstMatrixMapOf<Scalar> TracedLayerOf<Scalar>::forward_inputs(const LayerInputsOf<Scalar>& inputs, bool) {
  graph_->forward(inputs.data, inputs.rows);
  return ConstMatrixMapOf<Scalar>(graph_->output(0).data, inputs.rows, output_width_);
}

template <class Scalar>
ConstMatrixMapOf<Scalar> TracedLayerOf<Scalar>::backward(ConstMatrixMapOf<Scalar> input, ConstMatrixMapOf<Scalar> grad,
                                                        GradientAt at, bool need_grad_input) {
  const Scalar* data[] = {input.data()};
  const Scalar* grad_input = nullptr;
  backward_inputs({data, 1, input.rows()}, grad, at, {need_grad_input}, &grad_input);
  return ConstMatrixMapOf<Scalar>(grad_input, need_grad_input ? input.rows() : 0, input_dim());
}

template <class Scalar>
void TracedLayerOf<Scalar>::backward_inputs(const LayerInputsOf<Scalar>& inputs, ConstMatrixMapOf<Scalar> grad,
                                            GradientAt at, const std::vector<bool>& need_grad,
                                            const Scalar** grad_inputs) {
  if (at != GradientAt::Output)
    throw std::logic_error("TracedLayer has no final activation to fuse a loss gradient with");
  (void)inputs;
  output_grads_.assign(options_.graph.spec.outputs().size(), &one_);
  output_grads_[0] = grad.data();
  graph_->backward(output_grads_.data(), need_grad);
  for (size_t w = 0; w < weights_.size(); ++w)
    if (options_.graph.spec.weights()[w].trainable)
      add_gradient_of(regularizers_[w], map_of(std::as_const(weights_[w])), map_of(gradients_[w]));
  for (size_t i = 0; i < need_grad.size(); ++i)
    if (need_grad[i]) grad_inputs[i] = graph_->input_gradient(i);
}

template <class Scalar>
void TracedLayerOf<Scalar>::infer(ConstMatrixMapOf<Scalar> input, MatrixMapOf<Scalar> output) const {
  const Scalar* data[] = {input.data()};
  infer_inputs({data, 1, input.rows()}, output);
}

template <class Scalar>
void TracedLayerOf<Scalar>::infer_inputs(const LayerInputsOf<Scalar>& inputs, MatrixMapOf<Scalar> output) const {
  std::lock_guard<std::mutex> lock(inference_lock_);
  inference_->forward(inputs.data, inputs.rows);
  output = ConstMatrixMapOf<Scalar>(inference_->output(0).data, inputs.rows, output_width_);
  inferred_penalty_ = 0;
  for (size_t k = 1; k < options_.graph.spec.outputs().size(); ++k) inferred_penalty_ += inference_->output(k).data[0];
}

template class TracedLayerOf<float>;
template class TracedLayerOf<double>;

FASTMLP_REGISTER(TracedLayerOf<float>);
FASTMLP_REGISTER(TracedLayerOf<double>);

}  // namespace fastmlp
