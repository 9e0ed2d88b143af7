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

}  // namespace

int main() {
  test_lock();
  test_changes_from_a_fit_callback_are_refused();
  test_pop_while_another_thread_predicts();
  return check::report("test_model_lock");
}
