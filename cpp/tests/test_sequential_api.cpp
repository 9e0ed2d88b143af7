// The conveniences of the C++ API: raw-buffer and RowMatrix overloads of fit/evaluate/predict,
// layer and model names, the per-epoch callback, and the exceptions for bad arguments.
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <vector>

#include "check.hpp"
#include "fastmlp/fastmlp.hpp"

using namespace fastmlp;

namespace {

Sequential make_model() {
  Sequential model(/*seed=*/9);
  model.add(std::make_shared<Dense>(4, make_activation("relu")));
  model.add(std::make_shared<Dense>(1));
  model.build(2);
  model.compile(make_loss("mse"), make_optimizer("sgd", Config::Object{{"learning_rate", 0.05}}), {make_metric("mae")});
  return model;
}

void test_buffer_overloads_match_maps() {
  const std::vector<float> x = {0, 0, 1, 0, 0, 1, 1, 1, 0.5f, 0.25f};
  const std::vector<float> y = {0, 1, -1, 0, 0.5f};
  const ConstMatrixMap xm(x.data(), 5, 2), ym(y.data(), 5, 1);
  FitOptions options;
  options.epochs = 3;
  options.batch_size = 2;

  Sequential a = make_model(), b = make_model(), c = make_model();
  a.fit(xm, ym, options);
  b.fit(x.data(), 5, 2, y.data(), 1, options);
  c.fit(RowMatrix(xm), RowMatrix(ym), options);
  const RowMatrix pa = a.predict(xm);
  CHECK(pa == b.predict(x.data(), 5, 2));
  CHECK(pa == c.predict(RowMatrix(xm)));
  const Logs la = a.evaluate(xm, ym), lb = b.evaluate(x.data(), 5, 2, y.data(), 1), lc = c.evaluate(RowMatrix(xm), RowMatrix(ym));
  CHECK(la.size() == 2 && la[1].first == "mae");
  CHECK(la == lb && la == lc);
  std::printf("buffer overloads: loss %.6f on all three paths\n", la[0].second.number());
}

void test_bad_arguments() {
  Sequential model = make_model();
  const std::vector<float> y = {0};
  CHECK_THROWS(std::invalid_argument, model.predict(nullptr, 1, 2), "x is a null pointer");
  CHECK_THROWS(std::invalid_argument, model.predict(y.data(), -1, 2), "x must have a non-negative shape, got (-1, 2)");
  CHECK_THROWS(std::invalid_argument, model.fit(y.data(), 1, 1, y.data(), 1), "the model expects 2 input features, x has shape (1, 1)");
  CHECK_THROWS(std::invalid_argument, model.evaluate(y.data(), 1, 2, nullptr, 1), "y is a null pointer");
  CHECK(model.predict(nullptr, 0, 2).rows() == 0);  // an empty batch needs no memory
}

void test_names_and_callbacks() {
  Sequential model = make_model();
  CHECK(model.name().empty() && model.layers()[0]->name().empty());
  model.set_name("regressor");
  model.layers()[0]->set_name("hidden");
  CHECK(model.name() == "regressor" && model.layers()[0]->name() == "hidden");

  const RowMatrix x = RowMatrix::Random(8, 2), y = RowMatrix::Random(8, 1);
  FitCallbacks callbacks;
  int epochs_seen = 0;
  callbacks.on_epoch_end = [&](int, const Logs& logs) {
    ++epochs_seen;
    CHECK(logs[0].first == "loss");
    return epochs_seen == 2;  // stop after the second epoch
  };
  FitOptions options;
  options.epochs = 10;
  const History history = model.fit(x, y, options, std::nullopt, callbacks);
  CHECK(epochs_seen == 2 && history.epochs.size() == 2);
}

}  // namespace

int main() {
  test_buffer_overloads_match_maps();
  test_bad_arguments();
  test_names_and_callbacks();
  return check::report("test_sequential_api");
}
