// The first optimizer steps against Keras's update formulas, worked out by hand for one parameter
// w = [1, -2] with the constant gradient g = [0.5, -1].
#include <cmath>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <vector>

#include "check.hpp"
#include "fastmlp/optimizer.hpp"

using namespace fastmlp;

namespace {

// One parameter and its gradient, as a layer would own them.
struct Weights {
  RowMatrix value{1, 2};
  RowMatrix gradient{1, 2};
  std::vector<Parameter> params;

  Weights() {
    value << 1.0f, -2.0f;
    gradient << 0.5f, -1.0f;
    params.push_back({"kernel", &value, &gradient});
  }
};

// Runs one optimizer step per row of `expected` and checks w after each, to float32 rounding
// (an ulp of 2 is 2.4e-7).
OptimizerPtr make(const char* name, Config config) { return make_optimizer(name, config); }

void check_steps(const char* label, Optimizer& optimizer, const std::vector<std::vector<double>>& expected) {
  Weights w;
  optimizer.build(w.params);
  for (size_t t = 0; t < expected.size(); ++t) {
    optimizer.step(w.params);
    for (Index k = 0; k < 2; ++k) CHECK_CLOSE(w.value(0, k), expected[t][static_cast<size_t>(k)], 5e-7);
    std::printf("%s step %zu: w = [%.9g, %.9g]\n", label, t + 1, double(w.value(0, 0)), double(w.value(0, 1)));
  }
  CHECK(optimizer.iterations() == static_cast<std::int64_t>(expected.size()));
}

void test_sgd() {
  OptimizerPtr plain_ptr = make("sgd", Config::Object{{"learning_rate", 0.1}});
  Optimizer& plain = *plain_ptr;  // w <- w - lr g
  check_steps("sgd", plain, {{0.95, -1.9}, {0.90, -1.8}});
  CHECK(plain.slot_names().empty());

  // m <- 0.9 m - 0.1 g: m1 = [-0.05, 0.1], w1 = [0.95, -1.9]; m2 = [-0.095, 0.19], w2 = [0.855, -1.71]
  OptimizerPtr momentum_ptr = make("sgd", Config::Object{{"learning_rate", 0.1}, {"momentum", 0.9}});
  Optimizer& momentum = *momentum_ptr;
  check_steps("sgd momentum", momentum, {{0.95, -1.9}, {0.855, -1.71}});
  CHECK(momentum.slot_names() == std::vector<std::string>{"momentum"});

  // Nesterov: w <- w + 0.9 m - 0.1 g with the new m: w1 = 1 - 0.045 - 0.05 = 0.905,
  // w2 = 0.905 + 0.9 (-0.095) - 0.05 = 0.7695 (and -2 + 0.19 = -1.81, -1.81 + 0.171 + 0.1 = -1.539)
  OptimizerPtr nesterov_ptr =
      make("sgd", Config::Object{{"learning_rate", 0.1}, {"momentum", 0.9}, {"nesterov", true}});
  Optimizer& nesterov = *nesterov_ptr;
  check_steps("sgd nesterov", nesterov, {{0.905, -1.81}, {0.7695, -1.539}});
}

void test_adam() {
  // Keras: m <- m + (g - m)(1 - b1), v <- v + (g² - v)(1 - b2),
  //        w <- w - lr sqrt(1 - b2^t) / (1 - b1^t) m / (sqrt(v) + eps).
  // Step 1: m = [0.05, -0.1], v = [0.00025, 0.001], alpha = 0.001 sqrt(0.001) / 0.1 = 3.16227766e-4,
  //   update = alpha m / (sqrt(v) + 1e-7) = [9.99993675e-4, -9.99996838e-4].
  // Step 2: m = [0.095, -0.19], v = [4.9975e-4, 1.999e-3], alpha = 0.001 sqrt(1.999e-3) / 0.19 = 2.35316725e-4,
  //   update = [9.99995527e-4, -9.99997763e-4].
  OptimizerPtr adam_ptr = make("adam", Config::Object{{"learning_rate", 0.001}});
  Optimizer& adam = *adam_ptr;
  check_steps("adam", adam, {{1 - 9.99993675e-4, -2 + 9.99996838e-4},
                             {1 - 9.99993675e-4 - 9.99995527e-4, -2 + 9.99996838e-4 + 9.99997763e-4}});
  CHECK_CLOSE(adam.slots(0)[0](0, 0), 0.095, 1e-7);   // m after two steps
  CHECK_CLOSE(adam.slots(0)[1](0, 1), 1.999e-3, 1e-9);  // v after two steps

  // The step count advances once per step, shared by every parameter: with two parameters, the
  // second still gets step 1's bias correction (an update of about lr), not step 2's.
  Weights a, b;
  std::vector<Parameter> both{a.params[0], b.params[0]};
  OptimizerPtr shared_ptr = make("adam", Config::Object{{"learning_rate", 0.001}});
  Optimizer& shared = *shared_ptr;
  shared.build(both);
  shared.step(both);
  CHECK(shared.iterations() == 1);
  CHECK_CLOSE(b.value(0, 0), 1 - 9.99993675e-4, 5e-7);
}

void test_rmsprop() {
  // v <- 0.9 v + 0.1 g²; w <- w - lr g / sqrt(v + eps).
  // Step 1: v = [0.025, 0.1], update = [0.0005 / 0.158114199, -0.001 / 0.316227924] = [3.16227134e-3, -3.16227608e-3]
  OptimizerPtr rmsprop_ptr = make("rmsprop", Config::Object{{"learning_rate", 0.001}});
  Optimizer& rmsprop = *rmsprop_ptr;
  check_steps("rmsprop", rmsprop, {{1 - 3.16227134e-3, -2 + 3.16227608e-3}});
  OptimizerPtr centered = make("rmsprop", Config::Object{{"momentum", 0.5}, {"centered", true}});
  CHECK((centered->slot_names() == std::vector<std::string>{"velocity", "momentum", "average_gradient"}));
}

void test_restore_state() {
  Weights w;
  OptimizerPtr adam_ptr = make("adam", Config::Object{});
  Optimizer& adam = *adam_ptr;
  std::vector<std::vector<RowMatrix>> slots{{RowMatrix::Constant(1, 2, 0.5f), RowMatrix::Constant(1, 2, 0.25f)}};
  adam.restore_state(w.params, 12, slots);
  CHECK(adam.iterations() == 12);
  CHECK(adam.built_for(w.params));
  CHECK(adam.slots(0)[1](0, 1) == 0.25f);
  CHECK_THROWS(std::invalid_argument, adam.restore_state(w.params, 3, {{RowMatrix::Zero(1, 2)}}), "2 slot(s)");
  CHECK_THROWS(std::invalid_argument,
               adam.restore_state(w.params, 3, {{RowMatrix::Zero(2, 2), RowMatrix::Zero(1, 2)}}), "shape (2, 2)");
  CHECK_THROWS(std::invalid_argument, adam.restore_state(w.params, -1, {}), "iterations must be >= 0");
  CHECK(adam.iterations() == 12);  // refused restores change nothing
}

}  // namespace

int main() {
  test_sgd();
  test_adam();
  test_rmsprop();
  test_restore_state();
  return check::report("test_optimizers");
}
