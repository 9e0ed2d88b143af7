// Data-parallel training over MPI: run with `mpiexec -n 2 ./mpi_train`.
//
// Every rank builds the same model and passes the same data; fit() splits each global batch of 64
// over the ranks, and one allreduce per step sums the gradients. Rank 0 prints progress and checks
// that the replicas are identical and equal to one process trained alone on the same batches.
#include <mpi.h>

#include <cmath>
#include <cstdio>
#include <random>

#include "fastmlp/fastmlp.hpp"
#include "fastmlp/mpi_communicator.hpp"

using namespace fastmlp;

namespace {

// Four noisy Gaussian blobs in 8 dimensions, one-hot labels: the same on every rank (fixed seed).
void make_blobs(RowMatrix& x, RowMatrix& y) {
  std::mt19937 rng(1);
  std::normal_distribution<float> noise(0, 0.7f);
  x.resize(4000, 8);
  y.setZero(4000, 4);
  for (Index i = 0; i < x.rows(); ++i) {
    const Index label = i % 4;
    for (Index j = 0; j < x.cols(); ++j) x(i, j) = (j % 4 == label ? 1.5f : 0.0f) + noise(rng);
    y(i, label) = 1;
  }
}

Sequential make_model() {
  Sequential model(/*seed=*/2024);
  model.add(std::make_shared<Dense>(32, make_activation("relu")));
  model.add(std::make_shared<Dense>(4, make_activation("softmax")));
  model.build(8);
  model.compile(make_loss("categorical_crossentropy"), make_optimizer("adam"), {make_metric("accuracy")});
  return model;
}

double checksum(Sequential& model) {
  double sum = 0;
  for (const Parameter& p : model.trainable_parameters()) sum += p.value->cast<double>().sum();
  return sum;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int exit_code = 0;
  {
    MpiCommunicator comm(MPI_COMM_WORLD, /*timeout_seconds=*/60);
    const bool chief = comm.rank() == 0;
    set_num_threads(1);  // one core per rank; on a larger machine: cores per node / ranks per node
    RowMatrix x, y;
    make_blobs(x, y);

    FitOptions options;
    options.batch_size = 64;  // the global batch
    options.epochs = 5;
    options.distribution.communicator = &comm;
    FitCallbacks callbacks;
    callbacks.on_epoch_end = [chief](int epoch, const Logs& logs) {
      if (chief) std::printf("epoch %d: loss %.4f, accuracy %.4f\n", epoch + 1, logs[0].second.number(), logs[1].second.number());
      return false;
    };
    Sequential model = make_model();
    try {
      model.fit(x, y, options, std::nullopt, callbacks);
    } catch (const DistributedError& error) {
      std::fprintf(stderr, "rank %d: %s\n", comm.rank(), error.what());
      MPI_Abort(MPI_COMM_WORLD, 1);  // the other ranks may be stuck: end the whole job
    }

    // The replicas agree bit for bit: the smallest and largest checksum over the ranks are equal.
    double mine = checksum(model), low = 0, high = 0;
    MPI_Allreduce(&mine, &low, 1, MPI_DOUBLE, MPI_MIN, MPI_COMM_WORLD);
    MPI_Allreduce(&mine, &high, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    if (chief) {
      Sequential alone = make_model();
      FitOptions local = options;
      local.distribution = {};
      alone.fit(x, y, local);
      double gap = 0;
      const auto a = model.trainable_parameters(), b = alone.trainable_parameters();
      for (size_t i = 0; i < a.size(); ++i)
        gap = std::max(gap, static_cast<double>((*a[i].value - *b[i].value).cwiseAbs().maxCoeff()));
      std::printf("ranks: %d\nreplicas identical: %s\nmax difference from one process: %.2e\n", comm.size(),
                  low == high ? "yes" : "no", gap);
      std::printf("matches one process: %s\n", gap < 1e-4 ? "yes" : "no");
      if (low != high || !(gap < 1e-4)) exit_code = 1;
    }
  }
  MPI_Finalize();
  return exit_code;
}
