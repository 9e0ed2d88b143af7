// The model graph: gradients of a DAG with every merge layer, a shared layer and a nested model
// against finite differences; a functional chain equal to the same Sequential bit for bit; Keras's
// layer order; save/load of a functional model; the graph's errors.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
#include <stdexcept>
#include <vector>

#include "check.hpp"
#include "fastmlp/fastmlp.hpp"
#include "fastmlp/io.hpp"

using namespace fastmlp;
using Scalar = float;  // these tests run float models

namespace {

RowMatrix random_matrix(Index rows, Index cols, std::mt19937& rng) {
  std::normal_distribution<float> normal;
  RowMatrix m(rows, cols);
  for (Index i = 0; i < m.size(); ++i) m.data()[i] = normal(rng);
  return m;
}

ActivationPtr tanh_() { return make_activation("tanh"); }

// Two inputs, two outputs; Add, Subtract, Multiply, Average, Maximum, Minimum and Concatenate; a Dense
// called twice (shared weights); a nested Sequential; a tensor read by several calls.
Model dag(std::shared_ptr<Dense>& shared) {
  Model model(/*seed=*/5);
  const Tensor a = model.input({3}, "a");
  const Tensor b = model.input({4}, "b");
  shared = std::make_shared<Dense>(5, tanh_());
  const Tensor ha = model.call(std::make_shared<Dense>(4, tanh_()), a);
  const Tensor s1 = model.call(shared, ha);
  const Tensor s2 = model.call(shared, b);  // the same layer on another tensor of the same width
  const Tensor sum = model.call(std::make_shared<Add>(), {s1, s2});
  const Tensor diff = model.call(std::make_shared<Subtract>(), {s1, sum});
  const Tensor prod = model.call(std::make_shared<Multiply>(), {sum, diff, s2});
  const Tensor avg = model.call(std::make_shared<Average>(), {prod, s1});
  const Tensor high = model.call(std::make_shared<Maximum>(), {avg, diff});
  const Tensor low = model.call(std::make_shared<Minimum>(), {high, s2});
  auto inner = std::make_shared<Sequential>(/*seed=*/6);
  inner->add(std::make_shared<Dense>(3, tanh_()));
  inner->add(std::make_shared<Dense>(2));
  const Tensor nested = model.call(std::make_shared<ModelLayer>(inner), low);
  const Tensor joined = model.call(std::make_shared<Concatenate>(), {nested, ha, b});
  const Tensor out1 = model.call(std::make_shared<Dense>(2), joined);
  const Tensor out2 = model.call(std::make_shared<Dense>(1, tanh_()), {high});
  model.set_outputs({out1, out2});
  return model;
}

// L = Σ_o Σ c_o ∘ y_o: a linear functional of the outputs, whose gradient with respect to y_o is c_o.
double functional_value(const Model& model, const std::vector<ConstMatrixMap>& x, const std::vector<RowMatrix>& c) {
  const std::vector<RowMatrix> y = model.predict(x);
  double total = 0;
  for (size_t o = 0; o < y.size(); ++o) total += (y[o].cast<double>().array() * c[o].cast<double>().array()).sum();
  return total;
}

void test_dag_gradients_match_finite_differences() {
  std::mt19937 rng(1);
  std::shared_ptr<Dense> shared;
  Model model = dag(shared);
  const Index n = 6;
  const RowMatrix xa = random_matrix(n, 3, rng), xb = random_matrix(n, 4, rng);
  const std::vector<ConstMatrixMap> x{map_of(xa), map_of(xb)};
  const std::vector<RowMatrix> c{random_matrix(n, 2, rng), random_matrix(n, 1, rng)};
  model.prepare_passes(n);
  const Scalar* inputs[] = {xa.data(), xb.data()};
  model.forward_pass(inputs, n, /*training=*/true);
  const Scalar* grads[] = {c[0].data(), c[1].data()};
  model.backward_pass(grads, n, {GradientAt::Output, GradientAt::Output}, /*input_gradients=*/false);

  double worst = 0;
  int compared = 0;
  for (const Parameter& p : model.trainable_parameters()) {
    for (Index i = 0; i < p.value->size(); i += 3) {  // every third entry: enough, and fast
      Scalar& w = p.value->data()[i];
      const Scalar saved = w;
      const double h = 1e-3;
      w = saved + static_cast<Scalar>(h);
      const double up = functional_value(model, x, c);
      w = saved - static_cast<Scalar>(h);
      const double down = functional_value(model, x, c);
      w = saved;
      const double numeric = (up - down) / (2 * h), analytic = p.gradient->data()[i];
      const double error = std::abs(numeric - analytic) / std::max(1.0, std::abs(numeric));
      worst = std::max(worst, error);
      ++compared;
      CHECK_CLOSE(analytic, numeric, 2e-2 * std::max(1.0, std::abs(numeric)));
    }
  }
  std::printf("DAG gradients: %d entries against central differences, worst relative error %.2e\n", compared, worst);
  CHECK(compared > 25);
}

void test_functional_chain_equals_sequential() {
  std::mt19937 rng(2);
  const RowMatrix x = random_matrix(40, 5, rng), y = random_matrix(40, 2, rng);
  Sequential sequential(/*seed=*/9);
  sequential.add(std::make_shared<Dense>(8, make_activation("relu")));
  sequential.add(std::make_shared<Dropout>(0.2));
  sequential.add(std::make_shared<Dense>(2));
  sequential.build(5);

  Model functional(/*seed=*/9);
  Tensor t = functional.input({5});
  for (const auto& layer : sequential.layers()) t = functional.call(layer->fresh_copy(), t);
  functional.set_outputs({t});
  // Same weights and the same seeds for shuffling and Dropout's masks: the same training, bit for bit.
  for (size_t i = 0; i < sequential.layers().size(); ++i) {
    const auto from = sequential.layers()[i]->parameters(), to = functional.layers()[i]->parameters();
    for (size_t p = 0; p < from.size(); ++p) *to[p].value = *from[p].value;
    if (Rng* g = sequential.layers()[i]->generator()) *functional.layers()[i]->generator() = *g;
  }
  for (Model* m : {static_cast<Model*>(&sequential), &functional})
    m->compile(make_loss("mse"), make_optimizer("adam"), {make_metric("mae")});
  FitOptions options;
  options.epochs = 3;
  options.batch_size = 7;
  const History hs = sequential.fit(x, y, options), hf = functional.fit(x, y, options);
  CHECK(hs.history == hf.history);
  CHECK(sequential.predict(x) == functional.predict(x));
  std::printf("functional chain: loss %.9g after 3 epochs, as the Sequential's\n", hf.history.at("loss").back().number());
}

void test_keras_layer_order() {
  // Keras orders a functional model's layers by depth from the outputs: the deep branch's input
  // first, then its layers, the wide input, the merge and the output (not the order of the calls).
  Model model;
  const Tensor wide = model.input({2}, "wide");
  const Tensor deep = model.input({3}, "deep");
  auto d1 = std::make_shared<Dense>(4);
  d1->set_name("d1");
  auto d2 = std::make_shared<Dense>(4);
  d2->set_name("d2");
  auto cat = std::make_shared<Concatenate>();
  cat->set_name("cat");
  auto out = std::make_shared<Dense>(1);
  out->set_name("out");
  const Tensor h = model.call(d2, model.call(d1, deep));
  model.set_outputs({model.call(out, model.call(cat, {wide, h}))});
  std::vector<std::string> names;
  for (const auto& entry : model.entries())
    names.push_back(entry.is_input ? model.input_name(entry.index) : model.layers()[entry.index]->name());
  CHECK((names == std::vector<std::string>{"deep", "d1", "wide", "d2", "cat", "out"}));
}

void test_save_and_load_functional() {
  std::mt19937 rng(3);
  std::shared_ptr<Dense> shared;
  Model model = dag(shared);
  model.compile({make_loss("mse"), make_loss("mae")}, make_optimizer("adam"), {{make_metric("mae")}, {}},
                {1.0, 0.5});
  const RowMatrix xa = random_matrix(20, 3, rng), xb = random_matrix(20, 4, rng);
  const RowMatrix ya = random_matrix(20, 2, rng), yb = random_matrix(20, 1, rng);
  const Datasets data{{map_of(xa), map_of(xb)}, {map_of(ya), map_of(yb)}};
  FitOptions options;
  options.epochs = 2;
  options.batch_size = 5;
  model.fit(data, options);
  const auto file = std::filesystem::temp_directory_path() / "fastmlp_test_functional.fmlp";
  save_model(model, file);
  Model loaded = load_model(file);
  std::filesystem::remove(file);
  CHECK(std::string(loaded.class_name()) == "Functional");
  CHECK(loaded.log_names() == model.log_names());
  const std::vector<RowMatrix> a = model.predict(data.x), b = loaded.predict(data.x);
  CHECK(a[0] == b[0] && a[1] == b[1]);
  // Training goes on identically: the optimizer's state and the generators came back with it.
  model.fit(data, options);
  loaded.fit(data, options);
  CHECK(model.predict(data.x)[0] == loaded.predict(data.x)[0]);
  const Logs logs = loaded.evaluate(data);
  const std::string first_output = model.output_name(0);
  CHECK(logs.size() == 4 && logs[1].first == first_output + "_loss" && logs[3].first == first_output + "_mae");
}

void test_graph_errors() {
  Model model;
  model.call(std::make_shared<Dense>(2), model.input({3}));
  CHECK_THROWS(std::invalid_argument, model.input({4}), "declare every input before the first call");
  Model other;
  const Tensor x = other.input({3}), y = other.input({4});
  CHECK_THROWS(std::invalid_argument, other.call(std::make_shared<Add>(), {x, y}), "of one width");
  CHECK_THROWS(std::invalid_argument, other.call(std::make_shared<Dense>(2), {x, y}), "takes one input");
  CHECK_THROWS(std::invalid_argument, other.call(std::make_shared<Subtract>(), {x, x, x}), "exactly 2 inputs");
  CHECK_THROWS(std::invalid_argument, other.set_outputs({x}), "not an input");
  Sequential chain;
  CHECK_THROWS(std::invalid_argument, chain.add(std::make_shared<Concatenate>()), "list of tensors");
}

}  // namespace

int main() {
  test_dag_gradients_match_finite_differences();
  test_functional_chain_equals_sequential();
  test_keras_layer_order();
  test_save_and_load_functional();
  test_graph_errors();
  return check::report("test_model");
}
