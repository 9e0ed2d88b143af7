// Two functional models built in C++: a residual MLP (y = x + f(x) blocks) fitting a smooth function,
// and a wide-and-deep network with two inputs (a wide linear part on one, a deep MLP on the other,
// concatenated) classifying points. Each is trained, saved and loaded back, and the loaded model must
// predict exactly what the trained one does.
//
//   ./functional     prints each model's loss before and after training, and "round trip: exact"
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>

#include "fastmlp/fastmlp.hpp"
#include "fastmlp/io.hpp"

using namespace fastmlp;

namespace {

ActivationPtr relu() { return make_activation("relu"); }
ConstMatrixMap view(const RowMatrix& m) { return map_of(m); }

// x (16 features) -> Dense 32 -> two residual blocks (h + Dense(relu(Dense(h)))) -> Dense 1.
Model residual_mlp() {
  Model model(/*seed=*/7);
  model.set_name("residual_mlp");
  Tensor x = model.input({16}, "features");
  Tensor h = model.call(std::make_shared<Dense>(32, relu()), x);
  for (int block = 0; block < 2; ++block) {
    Tensor inner = model.call(std::make_shared<Dense>(32, relu()), h);
    Tensor update = model.call(std::make_shared<Dense>(32), inner);
    h = model.call(std::make_shared<Add>(), {h, update});
  }
  model.set_outputs({model.call(std::make_shared<Dense>(1), h)});
  return model;
}

// wide (8 features) and deep (4 features) inputs: concatenate(wide, MLP(deep)) -> Dense 3 softmax.
Model wide_and_deep() {
  Model model(/*seed=*/11);
  model.set_name("wide_and_deep");
  Tensor wide = model.input({8}, "wide");
  Tensor deep = model.input({4}, "deep");
  Tensor d = model.call(std::make_shared<Dense>(16, relu()), deep);
  d = model.call(std::make_shared<Dense>(16, relu()), d);
  Tensor both = model.call(std::make_shared<Concatenate>(), {wide, d});
  model.set_outputs({model.call(std::make_shared<Dense>(3, make_activation("softmax")), both)});
  return model;
}

bool same_predictions(const Model& a, const Model& b, const std::vector<InputMatrix>& x) {
  const std::vector<RowMatrix> pa = a.predict(x), pb = b.predict(x);
  for (size_t o = 0; o < pa.size(); ++o)
    if (pa[o] != pb[o]) return false;
  return true;
}

// Trains, saves and reloads `model`; returns whether it learnt and came back exactly.
bool train_and_round_trip(Model& model, const Datasets& data, const char* loss, const std::filesystem::path& file) {
  model.compile(make_loss(loss), make_optimizer("adam", Config::Object{{"learning_rate", 0.01}}));
  const double before = model.evaluate(data)[0].second.number();
  FitOptions options;
  options.epochs = 60;
  model.fit(data, options);
  const double after = model.evaluate(data)[0].second.number();
  std::printf("%s: loss %.4f -> %.4f\n", model.name().c_str(), before, after);
  save_model(model, file);
  const Model loaded = load_model(file);
  const bool exact = same_predictions(model, loaded, data.x);
  std::printf("%s round trip: %s\n", model.name().c_str(), exact ? "exact" : "DIFFERENT");
  return after < 0.5 * before && exact;
}

}  // namespace

int main() {
  std::mt19937 rng(3);
  std::normal_distribution<float> normal;
  const Index rows = 512;

  RowMatrix x(rows, 16), y(rows, 1);
  for (Index i = 0; i < rows; ++i) {
    for (Index j = 0; j < 16; ++j) x(i, j) = normal(rng);
    y(i, 0) = std::sin(x(i, 0)) + 0.5f * x(i, 1) * x(i, 2);
  }
  RowMatrix wide(rows, 8), deep(rows, 4), labels(rows, 3);
  labels.setZero();
  for (Index i = 0; i < rows; ++i) {
    for (Index j = 0; j < 8; ++j) wide(i, j) = normal(rng);
    for (Index j = 0; j < 4; ++j) deep(i, j) = normal(rng);
    const float score = wide(i, 0) + deep(i, 0) * deep(i, 1);
    labels(i, score < -0.5f ? 0 : score < 0.5f ? 1 : 2) = 1;
  }

  const auto dir = std::filesystem::temp_directory_path();
  Model residual = residual_mlp();
  Model classifier = wide_and_deep();
  const bool ok = train_and_round_trip(residual, Datasets{{view(x)}, {view(y)}}, "mse", dir / "residual.fmlp") &&
                  train_and_round_trip(classifier, Datasets{{view(wide), view(deep)}, {view(labels)}},
                                       "categorical_crossentropy", dir / "wide_and_deep.fmlp");
  std::filesystem::remove(dir / "residual.fmlp");
  std::filesystem::remove(dir / "wide_and_deep.fmlp");
  return ok ? 0 : 1;
}
