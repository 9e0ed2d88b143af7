// The README's C++ snippet, plus a line of output: build, train, save, reload and predict.
#include <fastmlp/fastmlp.hpp>
#include <fastmlp/io.hpp>

#include <cstdio>
#include <memory>
#include <vector>

int main() {
  using namespace fastmlp;
  const std::vector<float> x = {0, 0, 1, 0, 0, 1, 1, 1, 2, 1, 1, 2};  // 6 samples, 2 features, row-major
  const std::vector<float> y = {0, 1, -2, -1, 0, -3};

  Sequential model(/*seed=*/1);
  model.add(std::make_shared<Dense>(16, make_activation("relu")));
  model.add(std::make_shared<Dense>(1));
  model.build(/*input_dim=*/2);
  model.compile(make_loss("mse"), make_optimizer("adam", Config::Object{{"learning_rate", 0.01}}));
  FitOptions options;
  options.epochs = 500;
  model.fit(x.data(), /*rows=*/6, /*cols=*/2, y.data(), /*y_cols=*/1, options);

  save_model(model, "model.fmlp");                      // the same file format as Python's model.save
  const Sequential loaded = load_model("model.fmlp");   // throws fastmlp::ModelFileError if damaged
  const RowMatrix prediction = loaded.predict(x.data(), /*rows=*/6, /*cols=*/2);

  std::printf("y = x0 - 2 x1 at (2, 1): %.3f (expected 0); training loss %.5f\n", double(prediction(4, 0)),
              loaded.evaluate(x.data(), 6, 2, y.data(), 1)[0].second.number());
  return 0;
}
