// The model lock: structure changes (add, pop, build, compile) are refused while predict, evaluate,
// fit or a saver holds the model, in other threads or from a fit's own callback, and readers wait
// only for a change in progress.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <thread>

#include "check.hpp"
#include "fastmlp/fastmlp.hpp"

using namespace fastmlp;

namespace {

void test_lock() {
  const ModelLock lock;
  {
    const auto first = lock.read();
    const auto second = lock.read();  // shared holds nest, on one thread or several
    CHECK_THROWS(std::invalid_argument, lock.write("pop"), "pop() cannot change the model while it is in use");
  }
  std::atomic<bool> read{false};
  std::thread reader;
  {
    const auto writing = lock.write("add");
    CHECK_THROWS(std::invalid_argument, lock.write("add"), "add() cannot change");
    reader = std::thread([&] {
      const auto reading = lock.read();
      read = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    CHECK(!read);  // the reader waits for the change to end
    ModelLock copy = lock;
    { const auto writing_copy = copy.write("add"); }  // a copied model's lock is its own, and free
  }
  reader.join();
  CHECK(read);
  { const auto writing = lock.write("compile"); }  // every hold was released
}

Sequential make_model(Index hidden) {
  Sequential model(/*seed=*/3);
  model.add(std::make_shared<Dense>(hidden, make_activation("relu")));
  model.add(std::make_shared<Dense>(2));
  model.build(8);
  model.compile(make_loss("mse"), make_optimizer("sgd", Config::Object{{"learning_rate", 0.01}}));
  return model;
}

void test_changes_from_a_fit_callback_are_refused() {
  Sequential model = make_model(4);
  const RowMatrix x = RowMatrix::Random(64, 8), y = RowMatrix::Random(64, 2);
  int refused = 0;
  FitCallbacks callbacks;
  callbacks.progress_interval = 0;
  callbacks.on_batch_end = [&](int, Index, Index, const Logs&) {
    for (auto change : {+[](Sequential& m) { m.add(std::make_shared<Dense>(3)); }, +[](Sequential& m) { m.pop(); },
                        +[](Sequential& m) { m.compile(make_loss("mae"), make_optimizer("sgd", Config::Object{{"learning_rate", 0.1}})); }}) {
      try {
        change(model);
      } catch (const std::invalid_argument& error) {
        refused += std::string(error.what()).find("while it is in use") != std::string::npos;
      }
    }
    CHECK(model.predict(x).cols() == 2);  // reading from the callback is allowed
    return false;
  };
  FitOptions options;
  options.batch_size = 16;
  options.epochs = 2;
  const History history = model.fit(x, y, options, std::nullopt, callbacks);
  CHECK(refused == 3 * 8);
  CHECK(model.layers().size() == 2 && model.loss()->class_name() == "MeanSquaredError");
  CHECK(history.epochs.size() == 2);
  model.pop();  // and afterwards changes go through
  CHECK(model.layers().size() == 1);
}

void test_pop_while_another_thread_predicts() {
  // A pop under a running predict freed the layer it read. Now each pop either finds the model free
  // or is refused; the predictions always have a width the model had.
  Sequential model = make_model(256);
  const RowMatrix x = RowMatrix::Random(2000, 8);
  std::atomic<bool> stop{false};
  std::atomic<int> predictions{0}, bad_widths{0};
  std::thread reader([&] {
    while (!stop) {
      const Index width = model.predict(x).cols();
      bad_widths += width != 2 && width != 256;
      ++predictions;
    }
  });
  int refused = 0, done = 0;
  while (predictions < 20) {
    try {
      model.pop();
    } catch (const std::invalid_argument&) {
      ++refused;
      continue;
    }
    ++done;
    for (bool added = false; !added;) {  // put it back, however often a predict gets in first
      try {
        model.add(std::make_shared<Dense>(2));
        added = true;
      } catch (const std::invalid_argument&) {
        ++refused;
      }
    }
  }
  stop = true;
  reader.join();
  std::printf("pop under predict: %d refused, %d done, %d predictions\n", refused, done, predictions.load());
  CHECK(bad_widths == 0);
  CHECK(refused > 0);
  CHECK(model.layers().size() == 2 && model.output_dim() == 2);
}

void test_a_functional_model_and_the_model_it_uses_as_a_layer() {
  // The graph Model takes the same lock, and its readers hold the models it uses as layers too: a pop
  // of the inner Sequential under the outer's predict would free a layer the predict reads.
  auto inner = std::make_shared<Sequential>(make_model(256));
  Model outer(/*seed=*/5);
  const Tensor a = outer.input({8}, "a"), b = outer.input({8}, "b");
  const Tensor merged = outer.call(std::make_shared<Concatenate>(),
                                   {outer.call(std::make_shared<ModelLayer>(inner), a), outer.call(std::make_shared<Dense>(2), b)});
  outer.set_outputs({outer.call(std::make_shared<Dense>(1), merged)});
  {
    const auto reading = outer.hold_structure();
    CHECK_THROWS(std::invalid_argument, inner->pop(), "pop() cannot change the model while it is in use");
    CHECK_THROWS(std::invalid_argument, inner->add(std::make_shared<Dense>(3)), "add() cannot change");
    CHECK_THROWS(std::invalid_argument, outer.compile(make_loss("mse"), make_optimizer("sgd")), "compile() cannot change");
    CHECK_THROWS(std::invalid_argument, outer.set_outputs({merged}), "set_outputs() cannot change");
  }
  const RowMatrix x = RowMatrix::Random(2000, 8);
  const std::vector<ConstMatrixMap> xs{ConstMatrixMap(x.data(), x.rows(), x.cols()),
                                       ConstMatrixMap(x.data(), x.rows(), x.cols())};
  const RowMatrix expected = outer.predict(xs)[0];
  std::atomic<bool> stop{false};
  std::atomic<int> predictions{0}, wrong{0};
  std::thread reader([&] {
    while (!stop) {
      wrong += !(outer.predict(xs)[0] == expected);
      ++predictions;
    }
  });
  // Compiling changes no width, so a change that gets in between two predicts leaves the graph valid.
  int refused = 0;
  while (predictions < 20) {
    for (Model* model : {static_cast<Model*>(inner.get()), &outer}) {
      try {
        model->compile(make_loss("mae"), make_optimizer("sgd"));
      } catch (const std::invalid_argument& error) {
        CHECK(std::string(error.what()).find("while it is in use") != std::string::npos);
        ++refused;
      }
    }
  }
  stop = true;
  reader.join();
  std::printf("compiles under a functional predict: %d refused, %d predictions\n", refused, predictions.load());
  CHECK(wrong == 0);
  CHECK(refused > 0);
  CHECK(inner->layers().size() == 2);
  outer.compile(make_loss("mse"), make_optimizer("sgd"));  // free again: changes go through
}

}  // namespace

int main() {
  test_lock();
  test_changes_from_a_fit_callback_are_refused();
  test_pop_while_another_thread_predicts();
  test_a_functional_model_and_the_model_it_uses_as_a_layer();
  return check::report("test_model_lock");
}
