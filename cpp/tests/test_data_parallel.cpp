// Data-parallel training with ranks as threads (thread_communicator.hpp): two ranks sharing each
// global batch end with the weights that one process reaches with the same batches; shards give
// the result of training on their union; the ranks agree on every log and on when to stop; a
// mismatch or a failure on one rank makes the others throw instead of waiting.
#include <cmath>
#include <cstdio>
#include <functional>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

#include "check.hpp"
#include "csr.hpp"
#include "fastmlp/fastmlp.hpp"
#include "thread_communicator.hpp"

using namespace fastmlp;
using fastmlp::testing::ThreadCommunicator;
using fastmlp::testing::ThreadGroup;

namespace {

struct Data {
  RowMatrix x, y;
  std::vector<float> weights;
};

// Three noisy blobs, one-hot targets.
Data make_data(Index rows, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0, 0.6f);
  Data d{RowMatrix(rows, 4), RowMatrix::Zero(rows, 3), {}};
  for (Index i = 0; i < rows; ++i) {
    const int label = static_cast<int>(i % 3);
    for (Index j = 0; j < 4; ++j) d.x(i, j) = static_cast<float>(label == j % 3) + noise(rng);
    d.y(i, label) = 1;
    d.weights.push_back(0.5f + static_cast<float>(i % 4) * 0.25f);
  }
  return d;
}

Sequential make_model() {
  Sequential model(/*seed=*/42);
  model.add(std::make_shared<Dense>(8, make_activation("tanh")));
  model.add(std::make_shared<Dense>(3, make_activation("softmax")));
  model.build(4);
  model.compile(make_loss("categorical_crossentropy"), make_optimizer("adam", Config::Object{{"learning_rate", 0.01}}),
                {make_metric("accuracy")});
  return model;
}

// Two inputs (x's first 3 columns and its last one), each through a Dense; their sum through a
// residual block whose Dense is called twice (shared weights); a softmax output and a linear one.
Model make_graph() {
  Model model(/*seed=*/42);
  const Tensor a = model.input({3}, "a"), b = model.input({1}, "b");
  const Tensor sum = model.call(std::make_shared<Add>(), {model.call(std::make_shared<Dense>(6, make_activation("tanh")), a),
                                                          model.call(std::make_shared<Dense>(6, make_activation("tanh")), b)});
  auto shared = std::make_shared<Dense>(6, make_activation("tanh"));
  const Tensor block = model.call(std::make_shared<Add>(), {sum, model.call(shared, model.call(shared, sum))});
  model.set_outputs({model.call(std::make_shared<Dense>(3, make_activation("softmax")), block),
                     model.call(std::make_shared<Dense>(1), block)});
  model.compile({make_loss("categorical_crossentropy"), make_loss("mse")},
                make_optimizer("adam", Config::Object{{"learning_rate", 0.01}}), {{make_metric("accuracy")}, {}},
                {1.0, 0.5});
  return model;
}

double max_difference(Model& a, Model& b) {
  double worst = 0;
  const auto pa = a.trainable_parameters(), pb = b.trainable_parameters();
  for (size_t i = 0; i < pa.size(); ++i)
    worst = std::max(worst, static_cast<double>((*pa[i].value - *pb[i].value).cwiseAbs().maxCoeff()));
  return worst;
}

// Runs body(rank, communicator) on `size` threads; returns each rank's exception message ("" if none).
std::vector<std::string> run_ranks(int size, const std::function<void(int, ThreadCommunicator&)>& body) {
  auto group = std::make_shared<ThreadGroup>(size);
  std::vector<std::string> errors(static_cast<size_t>(size));
  std::vector<std::thread> threads;
  for (int r = 0; r < size; ++r)
    threads.emplace_back([&, r] {
      ThreadCommunicator comm(group, r);
      try {
        body(r, comm);
      } catch (const std::exception& e) {
        errors[static_cast<size_t>(r)] = e.what();
      }
    });
  for (auto& t : threads) t.join();
  return errors;
}

void test_replicated_equals_one_process() {
  const Data d = make_data(203, 1);  // 203 = 12 batches of 16 and one of 11, split 5/6 over the ranks
  const Data v = make_data(31, 2);
  FitOptions options;
  options.batch_size = 16;
  options.epochs = 4;
  Sequential alone = make_model();
  const History reference = alone.fit(map_of(d.x), map_of(d.y), options, Dataset{map_of(v.x), map_of(v.y)}, {},
                                      d.weights.data());

  std::vector<Sequential> replicas;
  for (int r = 0; r < 2; ++r) replicas.push_back(make_model());
  replicas[1].set_seed(7);  // a different generator on rank 1: rank 0's must win
  std::vector<History> histories(2);
  std::vector<Logs> evaluations(2);
  std::vector<long> collectives(2);
  const auto errors = run_ranks(2, [&](int r, ThreadCommunicator& comm) {
    FitOptions mine = options;
    mine.distribution.communicator = &comm;
    Sequential& model = replicas[static_cast<size_t>(r)];
    if (r == 1) model.trainable_parameters()[0].value->setConstant(3);  // rank 0's weights must win
    histories[static_cast<size_t>(r)] =
        model.fit(map_of(d.x), map_of(d.y), mine, Dataset{map_of(v.x), map_of(v.y)}, {}, d.weights.data());
    collectives[static_cast<size_t>(r)] = comm.collectives;
    evaluations[static_cast<size_t>(r)] = model.evaluate(map_of(v.x), map_of(v.y), 0, nullptr, mine.distribution);
  });
  CHECK(errors[0].empty() && errors[1].empty());
  CHECK(max_difference(replicas[0], replicas[1]) == 0);  // the replicas are bit-identical
  const double gap = max_difference(alone, replicas[0]);
  CHECK(gap < 2e-5);
  for (const char* key : {"loss", "accuracy", "val_loss", "val_accuracy"}) {
    CHECK(histories[0].history[key] == histories[1].history[key]);
    for (size_t e = 0; e < 4; ++e)
      CHECK_CLOSE(histories[0].history[key][e].number(), reference.history.at(key)[e].number(), 1e-5);
  }
  const Logs local = alone.evaluate(map_of(v.x), map_of(v.y));
  CHECK(evaluations[0] == evaluations[1]);
  CHECK_CLOSE(evaluations[0][0].second.number(), local[0].second.number(), 1e-5);
  // Per epoch: 13 steps with one allreduce each, one stop agreement, one validation allreduce and the
  // validation's row counts (one broadcast per rank: every rank must hold the same rows);
  // the start: the agreement, the weights and the generator states (length and text).
  CHECK(collectives[0] == 4 + 4 * (13 + 2 + 2));
  std::printf("replicated, 2 ranks vs 1 process: max weight difference %.2e, %ld collectives\n", gap, collectives[0]);
}

// The same for a functional model of two inputs and two outputs with a shared layer: the hooks sit in
// the one training loop every model runs.
void test_functional_model_equals_one_process() {
  const Data d = make_data(203, 5), v = make_data(31, 6);
  const RowMatrix xa = d.x.leftCols(3), xb = d.x.rightCols(1), ya = d.y, yb = d.x.rowwise().sum();
  const RowMatrix va = v.x.leftCols(3), vb = v.x.rightCols(1), vy = v.y, vz = v.x.rowwise().sum();
  const Datasets data{{map_of(xa), map_of(xb)}, {map_of(ya), map_of(yb)}, d.weights.data()};
  const Datasets validation{{map_of(va), map_of(vb)}, {map_of(vy), map_of(vz)}};
  FitOptions options;
  options.batch_size = 16;
  options.epochs = 3;
  Model alone = make_graph();
  const History reference = alone.fit(data, options, validation);

  std::vector<Model> replicas;
  for (int r = 0; r < 2; ++r) replicas.push_back(make_graph());
  replicas[1].set_seed(7);
  std::vector<History> histories(2);
  std::vector<Logs> evaluations(2);
  const auto errors = run_ranks(2, [&](int r, ThreadCommunicator& comm) {
    FitOptions mine = options;
    mine.distribution.communicator = &comm;
    Model& model = replicas[static_cast<size_t>(r)];
    if (r == 1) model.trainable_parameters()[0].value->setConstant(3);  // rank 0's weights must win
    histories[static_cast<size_t>(r)] = model.fit(data, mine, validation);
    evaluations[static_cast<size_t>(r)] = model.evaluate(validation, 0, nullptr, mine.distribution);
  });
  CHECK(errors[0].empty() && errors[1].empty());
  CHECK(max_difference(replicas[0], replicas[1]) == 0);
  const double gap = max_difference(alone, replicas[0]);
  CHECK(gap < 2e-5);
  const std::vector<std::string> names = alone.log_names();
  CHECK(names.size() == 4);  // loss, both outputs' losses, the first output's accuracy
  for (const std::string& name : names)
    for (const std::string& key : {name, "val_" + name}) {
      CHECK(histories[0].history[key] == histories[1].history[key]);
      for (size_t e = 0; e < 3; ++e) CHECK_CLOSE(histories[0].history[key][e].number(), reference.history.at(key)[e].number(), 1e-5);
    }
  const Logs local = alone.evaluate(validation);
  CHECK(evaluations[0] == evaluations[1]);
  for (size_t i = 0; i < local.size(); ++i) CHECK_CLOSE(evaluations[0][i].second.number(), local[i].second.number(), 1e-5);
  std::printf("functional (2 inputs, 2 outputs, a shared layer), 2 ranks vs 1 process: max weight difference %.2e\n",
              gap);
}

// A sparse input (CSR, most entries zero) trained by two ranks: the weights and the data-parallel
// evaluation of one process given the same rows dense.
void test_sparse_input_equals_one_process() {
  const Data d = [] {
    Data data = make_data(203, 7);
    data.x = (data.x.array() > 0.5f).select(data.x, 0);  // about two thirds of the entries zero
    return data;
  }();
  const Csr csr = to_csr(d.x);
  FitOptions options;
  options.batch_size = 16;
  options.epochs = 3;
  Sequential alone = make_model();
  alone.fit(map_of(d.x), map_of(d.y), options);
  std::vector<Sequential> replicas;
  for (int r = 0; r < 2; ++r) replicas.push_back(make_model());
  std::vector<Logs> evaluations(2);
  const auto errors = run_ranks(2, [&](int r, ThreadCommunicator& comm) {
    FitOptions mine = options;
    mine.distribution = {&comm, /*sharded=*/false};
    Sequential& model = replicas[static_cast<size_t>(r)];
    model.fit(csr.view(), map_of(d.y), mine);
    evaluations[static_cast<size_t>(r)] = model.evaluate(Datasets{{csr.view()}, {map_of(d.y)}}, 0, nullptr, mine.distribution);
  });
  CHECK(errors[0].empty() && errors[1].empty());
  CHECK(max_difference(replicas[0], replicas[1]) == 0);
  const double gap = max_difference(alone, replicas[0]);
  CHECK(gap < 2e-5);
  CHECK_CLOSE(evaluations[1][0].second.number(), alone.evaluate(map_of(d.x), map_of(d.y))[0].second.number(), 1e-5);
  std::printf("sparse input, 2 ranks vs 1 process given it dense: max weight difference %.2e\n", gap);
}

void test_shards_equal_their_union() {
  const Data d = make_data(100, 3);
  FitOptions options;
  options.batch_size = 10;
  options.epochs = 3;
  Sequential alone = make_model();
  const History reference = alone.fit(map_of(d.x), map_of(d.y), options);

  // Unequal shards: 37 rows on rank 0, 63 on rank 1; a batch's share differs from step to step.
  std::vector<Sequential> replicas;
  for (int r = 0; r < 2; ++r) replicas.push_back(make_model());
  std::vector<History> histories(2);
  const auto errors = run_ranks(2, [&](int r, ThreadCommunicator& comm) {
    FitOptions mine = options;
    mine.distribution = {&comm, /*sharded=*/true};
    const Index first = r == 0 ? 0 : 37, rows = r == 0 ? 37 : 63;
    histories[static_cast<size_t>(r)] = replicas[static_cast<size_t>(r)].fit(
        row_block(map_of(d.x), first, first + rows), row_block(map_of(d.y), first, first + rows), mine);
  });
  CHECK(errors[0].empty() && errors[1].empty());
  CHECK(max_difference(replicas[0], replicas[1]) == 0);
  const double gap = max_difference(alone, replicas[0]);
  CHECK(gap < 2e-5);
  CHECK_CLOSE(histories[1].history["loss"][2].number(), reference.history.at("loss")[2].number(), 1e-5);
  std::printf("shards of 37 and 63 rows vs their union: max weight difference %.2e\n", gap);
}

void test_stop_on_one_rank_stops_both() {
  const Data d = make_data(120, 4);
  FitOptions options;
  options.batch_size = 10;
  options.epochs = 3;
  FitCallbacks stop_at_batch_4;
  stop_at_batch_4.progress_interval = 0;
  stop_at_batch_4.on_batch_end = [](int epoch, Index done, Index, const Logs&) { return epoch == 1 && done == 4; };
  Sequential alone = make_model();
  const History reference = alone.fit(map_of(d.x), map_of(d.y), options, std::nullopt, stop_at_batch_4);

  std::vector<Sequential> replicas;
  for (int r = 0; r < 2; ++r) replicas.push_back(make_model());
  std::vector<History> histories(2);
  const auto errors = run_ranks(2, [&](int r, ThreadCommunicator& comm) {
    FitOptions mine = options;
    mine.distribution.communicator = &comm;
    histories[static_cast<size_t>(r)] = replicas[static_cast<size_t>(r)].fit(
        map_of(d.x), map_of(d.y), mine, std::nullopt, r == 0 ? stop_at_batch_4 : FitCallbacks{});
  });
  CHECK(errors[0].empty() && errors[1].empty());
  CHECK(histories[0].epochs == reference.epochs && histories[1].epochs == reference.epochs);
  CHECK(max_difference(replicas[0], replicas[1]) == 0);
  CHECK(max_difference(alone, replicas[1]) < 2e-5);
  CHECK(replicas[1].optimizer()->iterations() == alone.optimizer()->iterations());
  CHECK_CLOSE(histories[1].history["loss"][1].number(), reference.history.at("loss")[1].number(), 1e-5);
  std::printf("a stop asked by rank 0 alone: both ranks stop after %lld steps, as one process does\n",
              static_cast<long long>(alone.optimizer()->iterations()));
}

void test_mismatch_is_an_error_on_every_rank() {
  const Data d = make_data(40, 5);
  const auto errors = run_ranks(2, [&](int r, ThreadCommunicator& comm) {
    Sequential model = make_model();
    FitOptions options;
    options.batch_size = r == 0 ? 8 : 16;
    options.distribution.communicator = &comm;
    model.fit(map_of(d.x), map_of(d.y), options);
  });
  CHECK(errors[1].find("rank 1 has batch_size 16 but rank 0 has 8") != std::string::npos);
  CHECK(errors[0].find("rank 1 failed") != std::string::npos && errors[0].find("batch_size") != std::string::npos);

  // The same rows in another order on rank 1 (a per-rank shuffle) is caught by the checksum.
  Data shuffled = d;
  shuffled.x.row(0).swap(shuffled.x.row(1));
  shuffled.y.row(0).swap(shuffled.y.row(1));
  const auto order = run_ranks(2, [&](int r, ThreadCommunicator& comm) {
    Sequential model = make_model();
    FitOptions options;
    options.distribution.communicator = &comm;
    const Data& mine = r == 0 ? d : shuffled;
    model.fit(map_of(mine.x), map_of(mine.y), options);
  });
  CHECK(order[1].find("checksum of x and y") != std::string::npos);
  std::printf("mismatch: \"%s\"\n", errors[1].c_str());

  // [issue 26] evaluate with every rank taking its share of the same rows: different row counts are
  // refused on every rank with the same message (it returned one wrong number on both).
  const auto uneven = run_ranks(2, [&](int r, ThreadCommunicator& comm) {
    Sequential model = make_model();
    Distribution distribution{&comm, false};
    const Index rows = r == 0 ? 40 : 25;
    model.evaluate(row_block(map_of(d.x), 0, rows), row_block(map_of(d.y), 0, rows), 0, nullptr, distribution);
  });
  for (const std::string& error : uneven)
    CHECK(error.find("data-parallel evaluate: rank 1 has 25 samples but rank 0 has 40") != std::string::npos);
  std::printf("uneven evaluate: \"%s\"\n", uneven[0].c_str());
}

void test_failure_on_one_rank_stops_the_other() {
  const Data d = make_data(200, 6);
  const auto errors = run_ranks(2, [&](int r, ThreadCommunicator& comm) {
    Sequential model = make_model();
    FitOptions options;
    options.epochs = 50;
    options.batch_size = 8;
    options.distribution.communicator = &comm;
    FitCallbacks callbacks;
    callbacks.on_epoch_end = [r](int epoch, const Logs&) {
      if (r == 1 && epoch == 2) throw std::runtime_error("disk full");
      return false;
    };
    model.fit(map_of(d.x), map_of(d.y), options, std::nullopt, callbacks);
  });
  CHECK(errors[1] == "disk full");
  CHECK(errors[0] == "rank 1 failed: disk full");
  std::printf("failure: rank 0 reports \"%s\"\n", errors[0].c_str());
}

void test_activity_regularizer_refused() {
  const Data d = make_data(20, 7);
  const auto errors = run_ranks(2, [&](int, ThreadCommunicator& comm) {
    Sequential model(1);
    Dense::Options dense;
    dense.units = 3;
    dense.activation = make_activation("softmax");
    dense.activity_regularizer = make_regularizer("l2");
    model.add(std::make_shared<Dense>(dense));
    model.build(4);
    model.compile(make_loss("categorical_crossentropy"), make_optimizer("sgd"));
    FitOptions options;
    options.distribution.communicator = &comm;
    model.fit(map_of(d.x), map_of(d.y), options);
  });
  CHECK(errors[0].find("does not support activity regularizers") != std::string::npos);
  CHECK(errors[1].find("does not support activity regularizers") != std::string::npos);
}

}  // namespace

int main() {
  set_num_threads(1);  // the ranks are threads already
  test_replicated_equals_one_process();
  test_functional_model_equals_one_process();
  test_shards_equal_their_union();
  test_sparse_input_equals_one_process();
  test_stop_on_one_rank_stops_both();
  test_mismatch_is_an_error_on_every_rank();
  test_failure_on_one_rank_stops_the_other();
  test_activity_regularizer_refused();
  return check::report("test_data_parallel");
}
