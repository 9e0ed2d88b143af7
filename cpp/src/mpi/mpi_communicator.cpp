// Built only with FASTMLP_WITH_MPI, into fastmlp::mpi (the glob of the core library leaves this folder out).
#include "fastmlp/mpi_communicator.hpp"

#include <chrono>
#include <climits>
#include <stdexcept>
#include <thread>

namespace fastmlp {
namespace {

constexpr int kNoticeTag = 7219;  // the same tag as the Python communicator's notices
// Wait by polling this long (MPI's own blocking calls busy-wait too), then sleep between polls.
constexpr double kSpinSeconds = 0.01;

int checked_count(std::size_t count, const char* what) {
  if (count > static_cast<std::size_t>(INT_MAX))
    throw std::invalid_argument(std::string("MpiCommunicator: a ") + what + " of " + std::to_string(count) +
                                " elements exceeds MPI's int count");
  return static_cast<int>(count);
}

}  // namespace

MpiCommunicator::MpiCommunicator(MPI_Comm comm, double timeout_seconds) : timeout_(timeout_seconds) {
  if (!(timeout_seconds > 0))
    throw std::invalid_argument("MpiCommunicator: timeout_seconds must be > 0, got " + std::to_string(timeout_seconds));
  MPI_Comm_dup(comm, &collectives_);
  MPI_Comm_dup(comm, &notices_);
  MPI_Comm_rank(comm, &rank_);
  MPI_Comm_size(comm, &size_);
}

MpiCommunicator::~MpiCommunicator() {
  // Freeing a communicator with a collective left pending would block; after a failure leave them.
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized || !failure_.empty()) return;
  MPI_Comm_free(&collectives_);
  MPI_Comm_free(&notices_);
}

void MpiCommunicator::allreduce_sum(float* data, std::size_t count) {
  MPI_Request request;
  MPI_Iallreduce(MPI_IN_PLACE, data, checked_count(count, "allreduce"), MPI_FLOAT, MPI_SUM, collectives_, &request);
  wait(request, "allreduce");
}

void MpiCommunicator::allreduce_sum(double* data, std::size_t count) {
  MPI_Request request;
  MPI_Iallreduce(MPI_IN_PLACE, data, checked_count(count, "allreduce"), MPI_DOUBLE, MPI_SUM, collectives_, &request);
  wait(request, "allreduce");
}

void MpiCommunicator::broadcast(void* data, std::size_t bytes, int root) {
  MPI_Request request;
  MPI_Ibcast(data, checked_count(bytes, "broadcast"), MPI_BYTE, root, collectives_, &request);
  wait(request, "broadcast");
}

void MpiCommunicator::announce_failure(const std::string& reason) noexcept {
  if (!failure_.empty()) return;
  try {
    failure_ = "rank " + std::to_string(rank_) + " failed: " + reason;
    std::vector<MPI_Request> sends;
    for (int r = 0; r < size_; ++r) {
      if (r == rank_) continue;
      sends.emplace_back();
      MPI_Isend(failure_.data(), static_cast<int>(failure_.size()), MPI_CHAR, r, kNoticeTag, notices_, &sends.back());
    }
    // Small messages leave at once; give them a moment, but never wait on a dead peer.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    int done = 0;
    while (!done && std::chrono::steady_clock::now() < deadline) {
      MPI_Testall(static_cast<int>(sends.size()), sends.data(), &done, MPI_STATUSES_IGNORE);
      if (!done) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  } catch (...) {
  }
}

void MpiCommunicator::wait(MPI_Request& request, const char* what) {
  if (!failure_.empty())
    throw DistributedError("the distribution failed earlier and cannot be used again: " + failure_);
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  auto pause = std::chrono::microseconds(0);
  int done = 0;
  while (MPI_Test(&request, &done, MPI_STATUS_IGNORE), !done) {
    int notice = 0;
    MPI_Status status;
    MPI_Iprobe(MPI_ANY_SOURCE, kNoticeTag, notices_, &notice, &status);
    if (notice) {
      int length = 0;
      MPI_Get_count(&status, MPI_CHAR, &length);
      std::string text(static_cast<size_t>(length), '\0');
      MPI_Recv(text.data(), length, MPI_CHAR, status.MPI_SOURCE, kNoticeTag, notices_, MPI_STATUS_IGNORE);
      failure_ = text;
      throw DistributedError(failure_);
    }
    const double waited = std::chrono::duration<double>(Clock::now() - start).count();
    if (waited > timeout_) {
      announce_failure(std::string("a ") + what + " did not complete within " + std::to_string(timeout_) +
                       " s: another rank stopped, stalled or never called fit");
      throw DistributedError(failure_);
    }
    if (waited > kSpinSeconds) {
      pause = std::min(std::chrono::microseconds(1000), std::max(2 * pause, std::chrono::microseconds(100)));
      std::this_thread::sleep_for(pause);
    }
  }
}

}  // namespace fastmlp
