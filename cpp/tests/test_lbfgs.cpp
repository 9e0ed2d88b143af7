// Full-batch L-BFGS (fastmlp/lbfgs.hpp): least squares through a linear Dense layer converges to the
// normal equations' solution, the objective it reports is the model's loss (times scale, plus offset),
// a sparse input gives the dense input's run, and the limits stop it with L-BFGS-B's statuses.
#include <cmath>
#include <cstdio>
#include <memory>
#include <random>
#include <stdexcept>
#include <vector>

#include <Eigen/QR>

#include "check.hpp"
#include "fastmlp/fastmlp.hpp"

using namespace fastmlp;

namespace {

using Matrix = RowMatrixOf<double>;

struct Problem {
  Matrix x{40, 3};  // (rows, features)
  Matrix y{40, 1};  // (rows, 1)
  Problem() {
    std::mt19937_64 rng(7);
    std::normal_distribution<double> normal;
    for (Index i = 0; i < x.rows(); ++i) {
      for (Index j = 0; j < x.cols(); ++j) x(i, j) = normal(rng);
      y(i, 0) = 0.5 * x(i, 0) - 2.0 * x(i, 1) + x(i, 2) + 0.3 + 0.1 * normal(rng);
    }
  }
};

SequentialOf<double> linear_model() {
  SequentialOf<double> model(/*seed=*/3);
  model.add(std::make_shared<DenseOf<double>>(1));
  model.build(3);
  model.compile(make_loss("mse"), make_optimizer("sgd"));
  return model;
}

void test_least_squares_reaches_the_normal_equations() {
  const Problem p;
  SequentialOf<double> model = linear_model();
  const double start = model.evaluate(p.x, p.y).front().second.number();
  LbfgsOptions options;
  options.gtol = 1e-10;
  options.ftol = 0;  // stops at a step that no longer lowers the loss, or at a gradient of 1e-10
  options.scale = 0.5;  // scikit-learn's half squared error
  options.offset = 1.0;
  const LbfgsResult result = minimize_lbfgs(model, DatasetOf<double>{p.x, map_of(p.y)}, options);
  // [x 1] [w; b] = y in the least-squares sense.
  Matrix design(p.x.rows(), 4);
  design << p.x, Matrix::Ones(p.x.rows(), 1);
  const Eigen::VectorXd exact = design.colPivHouseholderQr().solve(Eigen::VectorXd(p.y.col(0)));
  const auto params = model.trainable_parameters();
  for (Index j = 0; j < 3; ++j) CHECK_CLOSE((*params[0].value)(j, 0), exact[j], 1e-8);
  CHECK_CLOSE((*params[1].value)(0, 0), exact[3], 1e-8);
  const double end = model.evaluate(p.x, p.y).front().second.number();
  CHECK_CLOSE(result.loss, 0.5 * end + 1.0, 1e-12);  // the objective is scale * loss + offset
  CHECK(result.losses.size() == static_cast<size_t>(result.iterations) && result.losses.back() == result.loss);
  CHECK(result.status == 0 && result.message.rfind("CONVERGENCE: ", 0) == 0);
  CHECK(result.evaluations >= result.iterations + 1);
  std::printf("least squares: loss %.6g -> %.6g in %d iterations, %d evaluations (%s)\n", start, end,
              result.iterations, result.evaluations, result.message.c_str());
}

void test_sparse_input_runs_as_dense() {
  const Problem p;
  std::vector<SparseIndex> indptr{0}, indices;
  std::vector<double> values;
  for (Index i = 0; i < p.x.rows(); ++i) {
    for (Index j = 0; j < p.x.cols(); ++j)
      if (j != 1 || i % 3 != 0) indices.push_back(static_cast<SparseIndex>(j)), values.push_back(p.x(i, j));
    indptr.push_back(static_cast<SparseIndex>(indices.size()));
  }
  Matrix dense = Matrix::Zero(p.x.rows(), p.x.cols());
  const CsrRowsOf<double> csr{p.x.rows(), p.x.cols(), indptr.data(), indices.data(), values.data()};
  densify(csr, map_of(dense));
  LbfgsOptions options;
  options.max_iter = 6;
  SequentialOf<double> a = linear_model(), b = linear_model();
  const LbfgsResult from_sparse = minimize_lbfgs(a, DatasetOf<double>{csr, map_of(p.y)}, options);
  const LbfgsResult from_dense = minimize_lbfgs(b, DatasetOf<double>{dense, map_of(p.y)}, options);
  CHECK(from_sparse.iterations == 6 && from_dense.iterations == 6);
  CHECK_CLOSE(from_sparse.loss, from_dense.loss, 1e-12);
}

void test_limits_and_bad_options() {
  const Problem p;
  SequentialOf<double> model = linear_model();
  LbfgsOptions options;
  options.max_iter = 2;
  LbfgsResult result = minimize_lbfgs(model, DatasetOf<double>{p.x, map_of(p.y)}, options);
  CHECK(result.status == 1 && result.iterations == 2 && result.message == "STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT");
  options.max_iter = 100;
  options.max_fun = 1;
  result = minimize_lbfgs(model, DatasetOf<double>{p.x, map_of(p.y)}, options);
  CHECK(result.status == 1 && result.iterations == 1 &&
        result.message == "STOP: TOTAL NO. OF F,G EVALUATIONS EXCEEDS LIMIT");
  options.max_fun = 100;
  int calls = 0;
  result = minimize_lbfgs(model, DatasetOf<double>{p.x, map_of(p.y)}, options, [&](int, double) { return ++calls == 1; });
  CHECK(calls == 1 && result.status == 1 && result.message == "STOP: CALLBACK REQUESTED HALT");
  // A callback that throws leaves the model at the last iterate: the weights of a run stopped there.
  SequentialOf<double> stopped = linear_model(), thrown = linear_model();
  options.max_iter = 3;
  minimize_lbfgs(stopped, DatasetOf<double>{p.x, map_of(p.y)}, options);
  options.max_iter = 100;
  CHECK_THROWS(std::runtime_error,
               minimize_lbfgs(thrown, DatasetOf<double>{p.x, map_of(p.y)}, options,
                              [](int iteration, double) -> bool {
                                if (iteration == 3) throw std::runtime_error("interrupted");
                                return false;
                              }),
               "interrupted");
  for (size_t k = 0; k < 2; ++k)
    CHECK(*stopped.trainable_parameters()[k].value == *thrown.trainable_parameters()[k].value);
  options.history = 0;
  CHECK_THROWS(std::invalid_argument, minimize_lbfgs(model, DatasetOf<double>{p.x, map_of(p.y)}, options),
               "history");
  options.history = 10;
  const Matrix wrong(p.x.rows(), 2);
  CHECK_THROWS(std::invalid_argument, minimize_lbfgs(model, DatasetOf<double>{p.x, map_of(wrong)}, options),
               "columns");
  SequentialOf<double> uncompiled(1);
  uncompiled.add(std::make_shared<DenseOf<double>>(1));
  uncompiled.build(3);
  CHECK_THROWS(std::invalid_argument, minimize_lbfgs(uncompiled, DatasetOf<double>{p.x, map_of(p.y)}, options),
               "compiled");
}

}  // namespace

int main() {
  test_least_squares_reaches_the_normal_equations();
  test_sparse_input_runs_as_dense();
  test_limits_and_bad_options();
  return check::report("test_lbfgs");
}
