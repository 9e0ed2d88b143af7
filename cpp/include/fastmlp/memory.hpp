// When memory runs out: errors that say what needed it and how much.
#pragma once

#include <new>
#include <string>
#include <utility>

namespace fastmlp {

// A std::bad_alloc (code that catches that still does) whose message says what needed memory and
// how many bytes, such as "cannot build Dense layer 'dense_1' for 64 inputs: its kernel of shape
// (64, 1099511627776) and the kernel's gradient need 562949953421312 bytes (512 TiB)". pybind11
// turns it into a MemoryError with that message.
class OutOfMemory : public std::bad_alloc {
 public:
  explicit OutOfMemory(std::string message) : message_(std::move(message)) {}
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  std::string message_;
};

// "562949953421312 bytes (512 TiB)": exact, then readable. A double, so that sizes whose product
// overflows an integer can still be stated.
std::string byte_count(double bytes);

// Runs `allocate`; a std::bad_alloc from it (Eigen throws one for a size whose product overflows,
// too) becomes an OutOfMemory with the message `describe()` returns, built only then.
template <class Allocate, class Describe>
void explain_allocation_failure(Allocate&& allocate, Describe&& describe) {
  try {
    allocate();
  } catch (const OutOfMemory&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw OutOfMemory(describe());
  }
}

}  // namespace fastmlp
