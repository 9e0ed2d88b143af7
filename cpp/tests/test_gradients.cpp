// Backward pass against central finite differences of the loss, for a two-layer Dense network
// over several activation/loss pairs: fused (softmax or sigmoid with cross-entropy) and not.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <random>
#include <string>

#include "check.hpp"
#include "finite_differences.hpp"
#include "fastmlp/fastmlp.hpp"

using namespace fastmlp;

namespace {

struct Case {
  const char* hidden;
  const char* output;
  const char* loss;
  Index units;
};

template <class Scalar>
RowMatrixOf<Scalar> random_matrix(Index rows, Index cols, double low, double high, Rng& rng) {
  std::uniform_real_distribution<double> uniform(low, high);
  RowMatrixOf<Scalar> m(rows, cols);
  for (Index i = 0; i < m.size(); ++i) m.data()[i] = static_cast<Scalar>(uniform(rng));
  return m;
}

// Targets the loss accepts: class labels, one-hot rows, probabilities or reals.
template <class Scalar>
RowMatrixOf<Scalar> targets_for(const std::string& loss, Index rows, Index units, Rng& rng) {
  std::uniform_int_distribution<Index> label(0, units - 1);
  if (loss == "sparse_categorical_crossentropy") {
    RowMatrixOf<Scalar> y(rows, 1);
    for (Index r = 0; r < rows; ++r) y(r, 0) = static_cast<Scalar>(label(rng));
    return y;
  }
  if (loss == "categorical_crossentropy") {
    RowMatrixOf<Scalar> y = RowMatrixOf<Scalar>::Zero(rows, units);
    for (Index r = 0; r < rows; ++r) y(r, label(rng)) = 1;
    return y;
  }
  if (loss == "binary_crossentropy") return random_matrix<Scalar>(rows, units, 0, 1, rng);
  return random_matrix<Scalar>(rows, units, -1, 1, rng);
}

// Largest |analytic - numeric| over every weight and bias of the model, computing in Scalar.
template <class Scalar>
double check_case(const Case& c) {
  Rng data_rng(11);
  SequentialOf<Scalar> model(/*seed=*/7);
  // Non-zero biases, so that their gradients are tested away from the trivial starting point.
  DenseOptions hidden, output;
  hidden.units = 6;  // even: glu halves it
  hidden.activation = make_activation(c.hidden);
  output.units = c.units;
  output.activation = make_activation(c.output);
  hidden.bias_initializer = output.bias_initializer =
      make_initializer("random_normal", Config::Object{{"mean", 0.0}, {"stddev", 0.3}});
  model.add(std::make_shared<DenseOf<Scalar>>(hidden));
  model.add(std::make_shared<DenseOf<Scalar>>(output));
  model.build(4);
  model.compile(make_loss(c.loss), make_optimizer("sgd", Config::Object{{"learning_rate", 0.0}}));
  const RowMatrixOf<Scalar> x = random_matrix<Scalar>(6, 4, -1, 1, data_rng);
  const RowMatrixOf<Scalar> y = targets_for<Scalar>(c.loss, 6, model.output_dim(), data_rng);  // half of units after glu

  model.train_on_batch(map_of(x), map_of(y));  // fills the gradients; lr 0 keeps the weights
  const auto loss_at = [&] { return model.evaluate(x, y)[0].second.number(); };

  const double worst = check_gradients(model.trainable_parameters(), loss_at);
  std::printf("%s: %-8s -> %-8s with %-32s max |analytic - numeric| = %.3e\n", dtype_name<Scalar>(), c.hidden,
              c.output, c.loss, worst);
  return worst;
}

}  // namespace

int main() {
  set_num_threads(1);  // small matrices; keeps the finite differences free of thread-order noise
  const Case cases[] = {
      {"tanh", "softmax", "categorical_crossentropy", 3},         // fused softmax + CE
      {"relu", "softmax", "sparse_categorical_crossentropy", 3},  // fused, integer labels
      {"sigmoid", "sigmoid", "binary_crossentropy", 2},           // fused sigmoid + BCE
      {"elu", "linear", "mean_squared_error", 2},
      {"softplus", "softmax", "mean_squared_error", 3},           // softmax Jacobian, not fused
      {"tanh", "sigmoid", "mean_squared_error", 2},
      {"glu", "glu", "mean_squared_error", 4},                    // halves 6 to 3, then 4 to 2
      {"glu", "softmax", "categorical_crossentropy", 3},          // fused after a glu layer
  };
  for (const Case& c : cases) {
    check_case<float>(c);
    check_case<double>(c);
  }
  return check::report("test_gradients");
}
