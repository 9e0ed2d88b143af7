// Models imported from Keras, scikit-learn and PyTorch, saved as .fmlp by Python, predict in C++
// what their source predicted: tests/fixtures/cpp_imported holds each model with its inputs and the
// source's predictions (written by make_cpp_imported.py beside them), so no Python runs here.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <sstream>
#include <string>
#include <vector>

#include "check.hpp"
#include "fastmlp/io.hpp"

namespace {

const std::string kDir = std::string(FASTMLP_FIXTURES) + "/cpp_imported/";

// Rows of comma-separated numbers, as the script writes them (nine significant digits).
fastmlp::RowMatrix read_csv(const std::string& path) {
  std::ifstream file(path);
  if (!file) throw std::runtime_error("cannot open " + path);
  std::vector<std::vector<float>> rows;
  std::string line;
  while (std::getline(file, line)) {
    if (line.empty()) continue;
    rows.emplace_back();
    std::stringstream fields(line);
    std::string field;
    while (std::getline(fields, field, ',')) rows.back().push_back(std::stof(field));
  }
  if (rows.empty()) throw std::runtime_error(path + " holds no rows");
  fastmlp::RowMatrix matrix(static_cast<fastmlp::Index>(rows.size()), static_cast<fastmlp::Index>(rows[0].size()));
  for (size_t r = 0; r < rows.size(); ++r) {
    if (rows[r].size() != rows[0].size()) throw std::runtime_error(path + " has rows of different lengths");
    for (size_t c = 0; c < rows[r].size(); ++c) matrix(r, c) = rows[r][c];
  }
  return matrix;
}

// Loads NAME.fmlp, predicts NAME.x.csv and compares with NAME.y.csv within 1e-5 (absolute, and
// relative to the expected value where it is larger than 1).
void check_model(const std::string& name, size_t inputs, size_t outputs) {
  const fastmlp::Model model = fastmlp::load_model(kDir + name + ".fmlp");
  const fastmlp::RowMatrix x = read_csv(kDir + name + ".x.csv");
  const fastmlp::RowMatrix expected = read_csv(kDir + name + ".y.csv");
  CHECK(model.input_count() == inputs);
  CHECK(model.output_count() == outputs);
  std::vector<fastmlp::RowMatrix> columns;  // each input's run of columns, copied out contiguous
  std::vector<fastmlp::ConstMatrixMap> views;
  fastmlp::Index first = 0;
  for (size_t i = 0; i < model.input_count(); ++i) {
    columns.push_back(x.middleCols(first, model.input_dim(i)));
    first += model.input_dim(i);
  }
  CHECK(first == x.cols());
  for (const fastmlp::RowMatrix& block : columns) views.emplace_back(block.data(), block.rows(), block.cols());
  const std::vector<fastmlp::RowMatrix> predicted = model.predict(views);
  fastmlp::Index column = 0;
  double worst = 0;
  for (const fastmlp::RowMatrix& output : predicted) {
    CHECK(output.rows() == expected.rows());
    for (fastmlp::Index j = 0; j < output.cols() && column + j < expected.cols(); ++j)
      for (fastmlp::Index r = 0; r < output.rows(); ++r) {
        const double want = expected(r, column + j), got = output(r, j);
        worst = std::max(worst, std::abs(got - want));
        CHECK_CLOSE(got, want, 1e-5 * std::max(1.0, std::abs(want)));
      }
    column += output.cols();
  }
  CHECK(column == expected.cols());
  std::printf("%-22s %zu input(s), %zu output(s), %ld rows: max |C++ - source| = %.3g\n", name.c_str(), inputs,
              outputs, static_cast<long>(x.rows()), worst);
}

}  // namespace

int main() {
  try {
    check_model("keras_functional_mlp", 1, 1);
    check_model("keras_wide_and_deep", 2, 1);  // from a legacy .h5 file
    check_model("keras_residual", 1, 1);
    check_model("keras_glu", 1, 2);     // glu in a Dense and in an Activation layer
    check_model("keras_glu_op", 1, 1);  // keras.ops.glu between two Dense layers
    check_model("sklearn_classifier", 1, 1);
    check_model("sklearn_regressor", 1, 1);
    check_model("torch_glu", 1, 1);  // nn.GLU, LayerNorm, GELU(tanh), BatchNorm1d
  } catch (const std::exception& error) {
    std::fprintf(stderr, "FAILED: %s\n", error.what());
    return 1;
  }
  return check::report("test_imported_models");
}
