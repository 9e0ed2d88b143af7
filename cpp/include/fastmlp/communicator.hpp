// Communicator: what data-parallel training needs from a message-passing library, and nothing more.
//
// fit() and evaluate() take one through Distribution (data_parallel.hpp). The core never includes
// MPI: MpiCommunicator (mpi_communicator.hpp, CMake option FASTMLP_WITH_MPI) implements this over
// MPI for C++ programs, and the Python package implements it over mpi4py, so that the wheel links
// no MPI library.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

#include "fastmlp/types.hpp"

namespace fastmlp {

// A collective could not complete: another rank failed, left, or did not join within the timeout.
// Once thrown, the communicator is unusable (every later call throws again): MPI cannot cancel a
// collective that some ranks entered and others never will.
class DistributedError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Communicator {
 public:
  virtual ~Communicator() = default;

  virtual int rank() const = 0;  // this process, from 0
  virtual int size() const = 0;  // the number of processes training together

  // Sums `count` floats elementwise over all ranks, in place: every rank ends with the same sums.
  // Every rank must call it with the same count, in the same order as the other collectives.
  virtual void allreduce_sum(float* data, std::size_t count) = 0;
  // The same for doubles (a float64 model's training). Communicators that predate float64 models
  // need not define it: this default broadcasts each rank's values in turn (size() broadcasts, and
  // a buffer allocated per call) and adds them in rank order; a real allreduce is faster.
  virtual void allreduce_sum(double* data, std::size_t count);

  // Copies `bytes` bytes from rank `root` into the same buffer on every other rank.
  virtual void broadcast(void* data, std::size_t bytes, int root) = 0;

  // Tells the other ranks that this one leaves the collectives because of `reason`, so that their
  // pending and next collectives throw DistributedError naming it instead of waiting forever.
  // Called by fit() and evaluate() when an exception leaves them; a no-op once this communicator
  // has failed (it was told of another rank's failure, or already announced its own). Never throws.
  virtual void announce_failure(const std::string& reason) noexcept = 0;
};

}  // namespace fastmlp
