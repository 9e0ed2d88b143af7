// Loads a model file and predicts each line of CSV read from standard input, printing one line of
// comma-separated outputs per input line (blank lines are skipped). Works with files saved from
// Python (model.save, including models imported from Keras, scikit-learn or PyTorch) or from C++
// (fastmlp::save_model), Sequential or functional: a line holds the model's inputs one after the
// other, in the model's input order, and the output line its outputs the same way. A float64 model
// reads and predicts in double precision; a float32 one in float.
//
//   ./predict_csv model.fmlp < inputs.csv > outputs.csv
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "fastmlp/io.hpp"

namespace {

// Parses one line of comma-separated numbers into `row`, which has as many columns as the model has
// inputs. strtof and strtod read with the "C" locale, which a program has until it calls setlocale.
template <class Scalar>
void parse_line(const std::string& line, long line_number, fastmlp::RowMatrixOf<Scalar>& row) {
  const std::string where = "line " + std::to_string(line_number);
  const char* cursor = line.c_str();
  fastmlp::Index column = 0;
  while (true) {
    char* end = nullptr;
    errno = 0;
    Scalar value;
    if constexpr (std::is_same_v<Scalar, float>)
      value = std::strtof(cursor, &end);
    else
      value = std::strtod(cursor, &end);
    while (end != cursor && (*end == ' ' || *end == '\t')) ++end;
    if (end == cursor || (*end != ',' && *end != '\0') || errno == ERANGE)
      throw std::invalid_argument(where + ", value " + std::to_string(column + 1) + " is not a " +
                                  fastmlp::dtype_name<Scalar>() + " number");
    if (column < row.cols()) row(0, column) = value;
    ++column;
    if (*end == '\0') break;
    cursor = end + 1;
  }
  if (column != row.cols())
    throw std::invalid_argument(where + " has " + std::to_string(column) + " values; the model expects " +
                                std::to_string(row.cols()));
}

// Predicts every line of standard input with `model`, in its scalar type.
template <class Scalar>
void predict_lines(const fastmlp::ModelOf<Scalar>& model) {
  fastmlp::Index columns = 0;
  for (std::size_t i = 0; i < model.input_count(); ++i) columns += model.input_dim(i);
  fastmlp::RowMatrixOf<Scalar> row(1, columns);
  // Nine significant digits identify a float32 exactly, seventeen a float64: the outputs read back
  // bit for bit.
  const char* const first_format = std::is_same_v<Scalar, float> ? "%.9g" : "%.17g";
  const char* const next_format = std::is_same_v<Scalar, float> ? ",%.9g" : ",%.17g";
  std::string line;
  long line_number = 0;
  while (std::getline(std::cin, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();  // files written on Windows
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    parse_line(line, line_number, row);
    // Each input is its run of columns of the row, seen in place.
    std::vector<fastmlp::ConstMatrixMapOf<Scalar>> inputs;
    fastmlp::Index first = 0;
    for (std::size_t i = 0; i < model.input_count(); ++i) {
      inputs.emplace_back(row.data() + first, 1, model.input_dim(i));
      first += model.input_dim(i);
    }
    const std::vector<fastmlp::RowMatrixOf<Scalar>> outputs = model.predict(inputs);
    bool first_value = true;
    for (const fastmlp::RowMatrixOf<Scalar>& output : outputs)
      for (fastmlp::Index j = 0; j < output.cols(); ++j) {
        std::printf(first_value ? first_format : next_format, double(output(0, j)));
        first_value = false;
      }
    std::printf("\n");
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s MODEL_FILE < inputs.csv\n", argv[0]);
    return 2;
  }
  try {
    const fastmlp::AnyModel model = fastmlp::load_any_model(argv[1]);
    std::visit([](const auto& loaded) { predict_lines(loaded); }, model);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "predict_csv: %s\n", error.what());
    return 1;
  }
  return 0;
}
