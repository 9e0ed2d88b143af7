// Trains a 2-8-1 network on XOR in C++ and prints its four predictions and its accuracy.
//
//   ./xor            prints "0 0 -> 0.0123" ... and "accuracy: 1"
//   ./xor model.fmlp also saves the trained model there (read it back with predict_csv)
#include <cstdio>
#include <exception>
#include <memory>

#include "fastmlp/fastmlp.hpp"
#include "fastmlp/io.hpp"

int main(int argc, char** argv) {
  using namespace fastmlp;

  // The four cases of XOR, one per row: inputs (4, 2), targets (4, 1).
  RowMatrix x(4, 2), y(4, 1);
  x << 0, 0,  0, 1,  1, 0,  1, 1;
  y << 0, 1, 1, 0;

  // A fixed seed makes every run identical; eight hidden units (rather than the minimal two)
  // make convergence independent of the seed in practice.
  Sequential model(/*seed=*/42);
  model.add(std::make_shared<Dense>(8, make_activation("tanh")));
  model.add(std::make_shared<Dense>(1, make_activation("sigmoid")));
  model.build(/*input_dim=*/2);
  model.compile(make_loss("binary_crossentropy"), make_optimizer("adam", Config::Object{{"learning_rate", 0.05}}),
                {make_metric("accuracy")});

  FitOptions options;
  options.batch_size = 4;
  options.epochs = 300;
  model.fit(x, y, options);

  const RowMatrix predictions = model.predict(x);
  for (Index i = 0; i < x.rows(); ++i)
    std::printf("%g %g -> %.4f\n", double(x(i, 0)), double(x(i, 1)), double(predictions(i, 0)));
  const Logs logs = model.evaluate(x, y);  // {"loss", ...}, {"accuracy", ...}
  std::printf("accuracy: %g\n", logs[1].second.number());

  if (argc > 1) {
    try {
      save_model(model, argv[1]);
    } catch (const std::exception& error) {  // ModelFileError: the message says what went wrong
      std::fprintf(stderr, "xor: %s\n", error.what());
      return 2;
    }
  }
  return logs[1].second.number() == 1.0 ? 0 : 1;
}
