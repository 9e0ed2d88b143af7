// MpiCommunicator: data-parallel training over MPI for C++ programs (CMake: -DFASTMLP_WITH_MPI=ON,
// then link fastmlp::mpi). The core library itself never includes MPI.
//
//   MPI_Init(&argc, &argv);
//   fastmlp::MpiCommunicator comm;                     // MPI_COMM_WORLD
//   options.distribution.communicator = &comm;          // batch_size is the global batch
//   model.fit(x, y, options);                           // every rank, the same model and arguments
//
// MPI collectives block forever when a rank never joins. So each collective here is non-blocking
// and waited for with a deadline while listening for failure notices: when fit() fails on one rank,
// it tells the others, whose fit() then throws DistributedError naming that rank's error; a rank
// that stalls makes them throw after `timeout_seconds`. After a DistributedError, end the job with
// MPI_Abort (a collective left pending cannot be cancelled, and a stalled rank would never finish).
#pragma once

#include <mpi.h>

#include <string>
#include <vector>

#include "fastmlp/communicator.hpp"

namespace fastmlp {

class MpiCommunicator : public Communicator {
 public:
  // Duplicates `comm` (collective over its ranks), so that training never matches the program's own messages.
  explicit MpiCommunicator(MPI_Comm comm = MPI_COMM_WORLD, double timeout_seconds = 600);
  ~MpiCommunicator() override;
  MpiCommunicator(const MpiCommunicator&) = delete;
  MpiCommunicator& operator=(const MpiCommunicator&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void allreduce_sum(float* data, std::size_t count) override;
  void allreduce_sum(double* data, std::size_t count) override;
  void broadcast(void* data, std::size_t bytes, int root) override;
  void announce_failure(const std::string& reason) noexcept override;

  // Why this communicator can no longer be used (empty while it can).
  const std::string& failure() const { return failure_; }
  double timeout_seconds() const { return timeout_; }

 private:
  void wait(MPI_Request& request, const char* what);

  MPI_Comm collectives_ = MPI_COMM_NULL;
  MPI_Comm notices_ = MPI_COMM_NULL;  // failure notices, apart from the collectives
  int rank_ = 0, size_ = 1;
  double timeout_;
  std::string failure_;
};

}  // namespace fastmlp
