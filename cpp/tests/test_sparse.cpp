// Sparse (CSR) inputs from C++: fit, evaluate, predict and train_on_batch give what the same rows
// given dense give; the sparse Dense gradient against finite differences; the checks on CSR arrays.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <memory>
#include <new>
#include <random>
#include <string>
#include <vector>

#include "check.hpp"
#include "csr.hpp"
#include "finite_differences.hpp"
#include "fastmlp/fastmlp.hpp"

using namespace fastmlp;
using Scalar = float;  // these tests run float models

// Every allocation of the program counted, to show that the training loop makes none. (GCC warns
// that the replaced delete frees what new returned; they are this pair, so that is right.)
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
static std::atomic<long> allocations{0};
void* operator new(std::size_t size) {
  ++allocations;
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
// The nothrow form too (std::stable_sort's temporary buffer uses it): otherwise the library's new
// would hand out what this delete frees, a mismatch AddressSanitizer reports.
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  ++allocations;
  return std::malloc(size ? size : 1);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace {

// Multi-hot rows (bag of words): about `density` of the entries are counts 1..3, the rest zero.
RowMatrix bag_of_words(Index rows, Index cols, double density, Rng& rng) {
  std::bernoulli_distribution present(density);
  std::uniform_int_distribution<int> count(1, 3);
  RowMatrix x = RowMatrix::Zero(rows, cols);
  for (Index i = 0; i < x.size(); ++i)
    if (present(rng)) x.data()[i] = static_cast<Scalar>(count(rng));
  return x;
}

RowMatrix one_hot_labels(const RowMatrix& x, Index classes) {
  RowMatrix y = RowMatrix::Zero(x.rows(), classes);
  for (Index r = 0; r < x.rows(); ++r) {
    Index best = 0;
    x.row(r).head(classes).maxCoeff(&best);  // a learnable rule: the largest of the first features
    y(r, best) = 1;
  }
  return y;
}

Sequential classifier(Index features, Index classes) {
  Sequential model(/*seed=*/3);
  model.add(std::make_shared<Dense>(16, make_activation("relu")));
  model.add(std::make_shared<Dense>(classes, make_activation("softmax")));
  model.build(features);
  model.compile(make_loss("categorical_crossentropy"), make_optimizer("adam", Config::Object{{"learning_rate", 0.01}}),
                {make_metric("accuracy")});
  return model;
}

double max_difference(const RowMatrix& a, const RowMatrix& b) { return (a - b).cwiseAbs().maxCoeff(); }

double max_weight_difference(Model& a, Model& b) {
  double worst = 0;
  const auto pa = a.trainable_parameters(), pb = b.trainable_parameters();
  for (size_t i = 0; i < pa.size(); ++i) worst = std::max(worst, max_difference(*pa[i].value, *pb[i].value));
  return worst;
}

// Training on the CSR rows and on the same rows dense ends at the same weights: the products sum the
// same non-zero terms in another order, so they agree to float32 rounding, not bit for bit.
void same_training_as_dense() {
  Rng rng(5);
  const RowMatrix x = bag_of_words(300, 200, 0.03, rng);
  const RowMatrix y = one_hot_labels(x, 4);
  const Csr csr = to_csr(x);
  RowMatrix weights(300, 1);
  for (Index r = 0; r < 300; ++r) weights(r, 0) = static_cast<Scalar>(0.5 + (r % 3));
  for (const bool shuffle : {true, false})
    for (const bool weighted : {false, true}) {
      Sequential dense = classifier(200, 4), sparse = classifier(200, 4);
      FitOptions options;
      options.batch_size = 32;
      options.epochs = 3;
      options.shuffle = shuffle;
      const Scalar* w = weighted ? weights.data() : nullptr;
      const History hd = dense.fit(map_of(x), map_of(y), options, std::nullopt, {}, w);
      const History hs = sparse.fit(csr.view(), map_of(y), options, std::nullopt, {}, w);
      const double weights_apart = max_weight_difference(dense, sparse);
      const double loss_apart = std::abs(hd.history.at("loss").back().number() - hs.history.at("loss").back().number());
      std::printf("fit shuffle=%d sample_weight=%d: max |weight difference| %.2e, last loss %.6f vs %.6f\n", shuffle,
                  weighted, weights_apart, hs.history.at("loss").back().number(), hd.history.at("loss").back().number());
      CHECK(weights_apart < 1e-4);
      CHECK(loss_apart < 1e-5);
      CHECK(hd.history.at("loss").back().number() < hd.history.at("loss").front().number());  // it learns

      // Inference on the trained model: sparse and dense inputs, chunks of any size.
      const RowMatrix pd = dense.predict(x), ps = dense.predict(csr.view()), ps7 = dense.predict(csr.view(), 7);
      CHECK(max_difference(pd, ps) < 1e-6);
      CHECK(max_difference(pd, ps7) < 1e-6);
      const Logs ld = dense.evaluate(map_of(x), map_of(y)), ls = dense.evaluate(csr.view(), map_of(y), 0, nullptr);
      for (size_t i = 0; i < ld.size(); ++i) CHECK_CLOSE(ls[i].second.number(), ld[i].second.number(), 1e-6);
    }

  // Validation data given sparse, and train_on_batch on a CSR batch.
  Sequential dense = classifier(200, 4), sparse = classifier(200, 4);
  FitOptions options;
  options.epochs = 2;
  const History hd = dense.fit(map_of(x), map_of(y), options, Dataset{map_of(x), map_of(y)});
  const History hs = sparse.fit(csr.view(), map_of(y), options, Dataset{csr.view(), map_of(y)});
  CHECK_CLOSE(hs.history.at("val_loss").back().number(), hd.history.at("val_loss").back().number(), 1e-5);
  const Logs bd = dense.train_on_batch(map_of(x), map_of(y)), bs = sparse.train_on_batch(csr.view(), map_of(y));
  CHECK_CLOSE(bs[0].second.number(), bd[0].second.number(), 1e-5);
  CHECK(max_weight_difference(dense, sparse) < 1e-4);
}

// dL/dW of the Dense layer fed sparse rows against central differences of the loss, which the sparse
// forward pass computes too; and against the gradient the dense path computes.
void gradient_check() {
  set_num_threads(1);
  Rng rng(9);
  const RowMatrix x = bag_of_words(6, 10, 0.3, rng);
  const RowMatrix y = one_hot_labels(x, 3);
  const Csr csr = to_csr(x);
  Sequential model(7), reference(7);
  for (Sequential* m : {&model, &reference}) {
    DenseOptions first;
    first.units = 4;
    first.activation = make_activation("tanh");
    first.bias_initializer = make_initializer("random_normal", Config::Object{{"stddev", 0.3}});
    m->add(std::make_shared<Dense>(first));
    m->add(std::make_shared<Dense>(3, make_activation("softmax")));
    m->build(10);
    m->compile(make_loss("categorical_crossentropy"), make_optimizer("sgd", Config::Object{{"learning_rate", 0.0}}));
  }
  model.train_on_batch(csr.view(), map_of(y));  // learning rate 0: fills the gradients only
  reference.train_on_batch(map_of(x), map_of(y));
  const auto loss_at = [&] { return model.evaluate(csr.view(), map_of(y))[0].second.number(); };
  const auto params = model.trainable_parameters(), dense_params = reference.trainable_parameters();
  for (size_t p = 0; p < params.size(); ++p) CHECK(max_difference(*params[p].gradient, *dense_params[p].gradient) < 1e-6);
  const double worst = check_gradients(params, loss_at);
  std::printf("sparse Dense gradient: max |analytic - numeric| = %.3e\n", worst);
  set_num_threads(0);
}

// A functional model whose sparse input feeds a Dense layer and a layer that reads dense rows
// (Concatenate): that one gets each batch densified, with the same results as a dense input.
void functional_with_a_dense_reader() {
  Rng rng(13);
  const RowMatrix x = bag_of_words(120, 30, 0.1, rng);
  const RowMatrix y = one_hot_labels(x, 3);
  const Csr csr = to_csr(x);
  const auto make = [] {
    Model model(/*seed=*/21);
    const Tensor in = model.input({30});
    const Tensor h = model.call(std::make_shared<Dense>(8, make_activation("relu")), in);
    const Tensor both = model.call(make_layer("Concatenate"), {in, h});
    model.set_outputs({model.call(std::make_shared<Dense>(3, make_activation("softmax")), both)});
    model.compile(make_loss("categorical_crossentropy"), make_optimizer("adam"));
    return model;
  };
  Model dense = make(), sparse = make();
  FitOptions options;
  options.batch_size = 16;
  options.epochs = 2;
  dense.fit(Datasets{{map_of(x)}, {map_of(y)}}, options);
  sparse.fit(Datasets{{csr.view()}, {map_of(y)}}, options);
  const double apart = max_weight_difference(dense, sparse);
  std::printf("functional model, sparse input also read dense: max |weight difference| %.2e\n", apart);
  CHECK(apart < 1e-4);
  CHECK(max_difference(dense.predict(std::vector<InputMatrix>{map_of(x)})[0],
                       dense.predict(std::vector<InputMatrix>{csr.view()})[0]) < 1e-6);
}

// From the second batch of an epoch to its last, fit allocates nothing: sparse batches are gathered
// into (or, unshuffled, viewed in) buffers sized before the loop, and the Concatenate that reads the
// sparse input dense gets it densified into another.
void no_allocation_in_the_loop() {
  Rng rng(17);
  const RowMatrix x = bag_of_words(200, 50, 0.1, rng);
  const RowMatrix y = one_hot_labels(x, 3);
  const Csr csr = to_csr(x);
  for (const bool concatenate : {false, true})
    for (const bool shuffle : {true, false}) {
      Model model(/*seed=*/4);
      const Tensor in = model.input({50});
      Tensor h = model.call(std::make_shared<Dense>(8, make_activation("relu")), in);
      if (concatenate) h = model.call(make_layer("Concatenate"), {in, h});
      model.set_outputs({model.call(std::make_shared<Dense>(3, make_activation("softmax")), h)});
      model.compile(make_loss("categorical_crossentropy"), make_optimizer("adam"), {make_metric("accuracy")});
      FitOptions options;
      options.batch_size = 16;
      options.shuffle = shuffle;
      long start = 0, during = -1;
      FitCallbacks callbacks;
      callbacks.progress_interval = 0;
      callbacks.on_batch_begin = [&](int, Index batch) {
        if (batch == 1) start = allocations.load();
      };
      callbacks.on_batch_end = [&](int, Index done, Index batches, const Logs&) {
        if (done == batches) during = allocations.load() - start;
        return false;
      };
      const long before_fit = allocations.load();
      model.fit(Datasets{{csr.view()}, {map_of(y)}}, options, std::nullopt, callbacks);
      CHECK(allocations.load() > before_fit);  // the counter sees fit's own allocations, before the loop
      std::printf("fit concatenate=%d shuffle=%d: %ld allocations from the second batch to the last\n", concatenate,
                  shuffle, during);
      CHECK(during == 0);
    }
}

void refuses_bad_csr() {
  Sequential model = classifier(4, 2);
  const RowMatrix y = RowMatrix::Zero(2, 2);
  const auto csr = [](std::vector<SparseIndex> indptr, std::vector<SparseIndex> indices, std::vector<Scalar> values,
                      Index cols = 4) {
    Csr c;
    c.rows = static_cast<Index>(indptr.size()) - 1;
    c.cols = cols;
    c.indptr = std::move(indptr);
    c.indices = std::move(indices);
    c.values = std::move(values);
    return c;
  };
  const Csr unsorted = csr({0, 2, 3}, {3, 1, 0}, {1, 1, 1});
  const Csr duplicate = csr({0, 2, 3}, {1, 1, 0}, {1, 1, 1});
  const Csr outside = csr({0, 1, 2}, {1, 4}, {1, 1});
  const Csr negative = csr({0, 1, 2}, {-1, 0}, {1, 1});
  const Csr decreasing = csr({0, 2, 1}, {0, 1}, {1, 1});
  const Csr not_finite = csr({0, 1, 2}, {0, 2}, {1, std::numeric_limits<Scalar>::quiet_NaN()});
  const Csr narrow = csr({0, 1, 2}, {0, 2}, {1, 1}, 3);
  CHECK_THROWS(std::invalid_argument, model.predict(unsorted.view()), "x.sort_indices()");
  CHECK_THROWS(std::invalid_argument, model.fit(duplicate.view(), map_of(y)), "x.sum_duplicates()");
  CHECK_THROWS(std::invalid_argument, model.evaluate(outside.view(), map_of(y)), "column index 4, outside [0, 4)");
  CHECK_THROWS(std::invalid_argument, model.predict(negative.view()), "column index -1");
  CHECK_THROWS(std::invalid_argument, model.predict(decreasing.view()), "indptr decreases at row 1");
  CHECK_THROWS(std::invalid_argument, model.train_on_batch(not_finite.view(), map_of(y)),
               "contains NaN or infinity (row 1, column 2)");
  CHECK_THROWS(std::invalid_argument, model.predict(narrow.view()), "has shape (2, 3) (sparse)");
}

}  // namespace

int main() {
  same_training_as_dense();
  gradient_check();
  functional_with_a_dense_reader();
  no_allocation_in_the_loop();
  refuses_bad_csr();
  return check::report("test_sparse");
}
