// Float64 models: predictions, training steps and model files keep double precision end to end
// (a value that float32 cannot hold survives every path), a float64 model trains the same network
// as a float32 one, sparse float64 input agrees with dense, and model files say which type they hold.
#include <cmath>
#include <cstdio>
#include <memory>
#include <random>
#include <utility>
#include <variant>

#include "check.hpp"
#include "fastmlp/fastmlp.hpp"
#include "fastmlp/io.hpp"

using namespace fastmlp;

namespace {

template <class Scalar>
RowMatrixOf<Scalar> uniform_matrix(Index rows, Index cols, std::uint64_t seed) {
  Rng rng(seed);
  std::uniform_real_distribution<double> uniform(-1, 1);
  RowMatrixOf<Scalar> m(rows, cols);
  for (Index i = 0; i < m.size(); ++i) m.data()[i] = static_cast<Scalar>(uniform(rng));
  return m;
}

template <class Scalar>
SequentialOf<Scalar> two_layer_model(std::uint64_t seed) {
  SequentialOf<Scalar> model(seed);
  model.add(make_layer<Scalar>("Dense", Config::Object{{"units", 8}, {"activation", "tanh"}}));
  model.add(make_layer<Scalar>("Dense", Config::Object{{"units", 3}, {"activation", "softmax"}}));
  model.build(5);
  return model;
}

// predict() against the forward pass written out in Eigen double: equal to rounding.
void test_predict_matches_a_double_reference() {
  SequentialOf<double> model = two_layer_model<double>(3);
  const RowMatrixOf<double> x = uniform_matrix<double>(7, 5, 1);
  const auto& w1 = *model.layers()[0]->parameters()[0].value;
  const auto& b1 = *model.layers()[0]->parameters()[1].value;
  const auto& w2 = *model.layers()[1]->parameters()[0].value;
  const auto& b2 = *model.layers()[1]->parameters()[1].value;
  RowMatrixOf<double> hidden = ((x * w1).rowwise() + b1.row(0)).array().tanh().matrix();
  RowMatrixOf<double> z = (hidden * w2).rowwise() + b2.row(0);
  for (Index r = 0; r < z.rows(); ++r) {
    z.row(r) = (z.row(r).array() - z.row(r).maxCoeff()).exp().matrix();
    z.row(r) /= z.row(r).sum();
  }
  const RowMatrixOf<double> predicted = model.predict(x);
  const double difference = (predicted - z).cwiseAbs().maxCoeff();
  std::printf("float64 predict vs an Eigen double forward pass: max difference %.3e\n", difference);
  CHECK(difference < 1e-14);
}

// A weight of 1 + 1e-12 is 1 in float32; in a float64 model it changes the output, and an SGD step
// of 1e-10 changes the weight: nothing on either path goes through float.
void test_values_below_float_precision_survive() {
  SequentialOf<double> model(5);
  model.add(make_layer<double>("Dense", Config::Object{{"units", 1}, {"use_bias", false}}));
  model.build(1);
  (*model.layers()[0]->parameters()[0].value)(0, 0) = 1 + 1e-12;
  RowMatrixOf<double> x(1, 1), y(1, 1);
  x(0, 0) = 1;
  y(0, 0) = 0;
  CHECK(model.predict(x)(0, 0) == 1 + 1e-12);

  model.compile(make_loss("mean_squared_error"), make_optimizer("sgd", Config::Object{{"learning_rate", 1e-10}}));
  model.train_on_batch(map_of(std::as_const(x)), map_of(std::as_const(y)));
  // d/dw (w x - 0)^2 = 2 w: one step gives w (1 - 2e-10).
  const double w = (*model.layers()[0]->parameters()[0].value)(0, 0);
  const double expected = (1 + 1e-12) * (1 - 2e-10);
  std::printf("float64 SGD step of 2e-10: weight moved by %.3e (expected %.3e)\n", (1 + 1e-12) - w,
              (1 + 1e-12) - expected);
  CHECK_CLOSE(w, expected, 1e-15);
}

// The same seed draws the same initial weights (float32's are double's rounded), and a few epochs
// of Adam then land close together: the two types train one network.
void test_float32_and_float64_train_the_same_network() {
  const RowMatrixOf<double> x64 = uniform_matrix<double>(64, 5, 2);
  RowMatrixOf<double> y64 = RowMatrixOf<double>::Zero(64, 3);
  for (Index r = 0; r < 64; ++r) y64(r, (x64(r, 0) > 0) + (x64(r, 1) > 0)) = 1;
  const RowMatrixOf<float> x32 = x64.cast<float>(), y32 = y64.cast<float>();

  SequentialOf<double> m64 = two_layer_model<double>(9);
  SequentialOf<float> m32 = two_layer_model<float>(9);
  const RowMatrixOf<double> first64 = *m64.layers()[0]->parameters()[0].value;
  const RowMatrixOf<float> first32 = *m32.layers()[0]->parameters()[0].value;
  CHECK(first64.cast<float>() == first32);

  FitOptions options;
  options.batch_size = 16;
  options.epochs = 5;
  options.shuffle = false;
  m64.compile(make_loss("categorical_crossentropy"), make_optimizer("adam"));
  m32.compile(make_loss("categorical_crossentropy"), make_optimizer("adam"));
  m64.fit(x64, y64, options);
  m32.fit(x32, y32, options);
  const double gap = (m64.predict(x64) - m32.predict(x32).cast<double>()).cwiseAbs().maxCoeff();
  std::printf("float32 and float64 after 5 epochs: max prediction difference %.3e\n", gap);
  CHECK(gap < 1e-5);
  CHECK(gap > 0);  // they did compute in different types
}

void test_sparse_float64_input_matches_dense() {
  RowMatrixOf<double> dense = uniform_matrix<double>(40, 12, 4);
  dense = (dense.array().abs() > 0.7).select(dense, 0.0);
  std::vector<SparseIndex> indptr{0}, indices;
  std::vector<double> values;
  for (Index r = 0; r < dense.rows(); ++r) {
    for (Index c = 0; c < dense.cols(); ++c)
      if (dense(r, c) != 0) {
        indices.push_back(static_cast<SparseIndex>(c));
        values.push_back(dense(r, c));
      }
    indptr.push_back(static_cast<SparseIndex>(indices.size()));
  }
  const CsrRowsOf<double> sparse{dense.rows(), dense.cols(), indptr.data(), indices.data(), values.data()};
  RowMatrixOf<double> y = RowMatrixOf<double>::Zero(40, 3);
  for (Index r = 0; r < 40; ++r) y(r, r % 3) = 1;

  SequentialOf<double> from_dense(11), from_sparse(11);
  for (SequentialOf<double>* model : {&from_dense, &from_sparse}) {
    model->add(make_layer<double>("Dense", Config::Object{{"units", 6}, {"activation", "relu"}}));
    model->add(make_layer<double>("Dense", Config::Object{{"units", 3}, {"activation", "softmax"}}));
    model->build(12);
    model->compile(make_loss("categorical_crossentropy"), make_optimizer("sgd", Config::Object{{"learning_rate", 0.1}}));
  }
  FitOptions options;
  options.batch_size = 8;
  options.epochs = 3;
  from_dense.fit(map_of(std::as_const(dense)), map_of(std::as_const(y)), options);
  from_sparse.fit(sparse, map_of(std::as_const(y)), options);
  const double gap = (from_dense.predict(dense) - from_sparse.predict(sparse)).cwiseAbs().maxCoeff();
  std::printf("float64 sparse vs dense input after 3 epochs: max prediction difference %.3e\n", gap);
  CHECK(gap < 1e-12);
}

// A file says which type it holds: load_any_model gives it back, load_model of the other type
// refuses with what to call instead, and a round trip is bit-exact.
void test_model_files_keep_the_type() {
  SequentialOf<double> model = two_layer_model<double>(13);
  (*model.layers()[0]->parameters()[0].value)(0, 0) = 0.1 + 1e-13;
  model.compile(make_loss("categorical_crossentropy"), make_optimizer("adam"));
  const std::string bytes = save_model_to_bytes(model);

  const AnyModel any = load_any_model_from_bytes(bytes);
  CHECK(any.index() == 1);
  CHECK(std::string(dtype_of(any)) == "float64");
  const ModelOf<double>& loaded = std::get<ModelOf<double>>(any);
  const RowMatrixOf<double> x = uniform_matrix<double>(4, 5, 6);
  CHECK(loaded.predict(x) == model.predict(x));
  CHECK((*loaded.layers()[0]->parameters()[0].value)(0, 0) == 0.1 + 1e-13);
  CHECK(save_model_to_bytes(loaded) == bytes);
  CHECK(load_model_from_bytes<double>(bytes).predict(x) == model.predict(x));
  CHECK_THROWS(ModelFileError, load_model_from_bytes(bytes), "holds a float64 model");

  SequentialOf<float> single = two_layer_model<float>(13);
  const AnyModel any32 = load_any_model_from_bytes(save_model_to_bytes(single));
  CHECK(any32.index() == 0);
  CHECK_THROWS(ModelFileError, load_model_from_bytes<double>(save_model_to_bytes(single)), "holds a float32 model");
}

}  // namespace

int main() {
  test_predict_matches_a_double_reference();
  test_values_below_float_precision_survive();
  test_float32_and_float64_train_the_same_network();
  test_sparse_float64_input_matches_dense();
  test_model_files_keep_the_type();
  return check::report("test_float64");
}
