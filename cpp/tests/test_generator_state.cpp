// [issue 13, item 1] Generators stuck at zero are recognised, and no seed makes one.
#include <cstdint>
#include <cstdio>
#include <sstream>
#include <stdexcept>

#include "fastmlp/generator_state.hpp"

using fastmlp::Rng;

namespace {

int failures = 0;

void check(bool ok, const char* what) {
  std::printf("%s: %s\n", ok ? "ok" : "FAILED", what);
  if (!ok) ++failures;
}

// A generator restored from the text `state` (as a model file holds it).
Rng from_text(const std::string& state) {
  Rng rng;
  std::istringstream text(state);
  text >> rng;
  if (text.fail()) throw std::runtime_error("unreadable state");
  return rng;
}

std::string state_with(std::uint64_t first_word, std::uint64_t other_words, std::size_t position) {
  std::ostringstream text;
  text << first_word;
  for (std::size_t i = 1; i < Rng::state_size; ++i) text << ' ' << other_words;
  text << ' ' << position;
  return text.str();
}

}  // namespace

int main() {
  // All zeros, at every position of the state; and zeros but the bits of the first word that the
  // recurrence never reads (the low 31): still stuck.
  for (std::size_t position : {std::size_t{0}, std::size_t{1}, std::size_t{311}, std::size_t{312}})
    check(!fastmlp::generator_is_usable(from_text(state_with(0, 0, position))), "an all-zero state is stuck");
  // Only the low 31 bits of the next word set: that word is drawn, and the recurrence never reads
  // those bits, so every later word is zero.
  for (std::size_t position : {std::size_t{0}, std::size_t{312}})
    check(!fastmlp::generator_is_usable(from_text(state_with(0x7fffffffu, 0, position))),
          "a state with only the unread low bits of its next word set is stuck");
  check(fastmlp::generator_is_usable(from_text(state_with(std::uint64_t{1} << 63, 0, 312))),
        "a state with one bit the recurrence reads is not stuck");
  check(fastmlp::generator_is_usable(from_text(state_with(0, 1, 0))), "a state of ones is not stuck");

  bool threw = false;
  try {
    fastmlp::require_usable_generator(from_text(state_with(0, 0, 312)), "the test's generator");
  } catch (const std::invalid_argument& error) {
    threw = std::string(error.what()).find("the test's generator is all zeros") == 0;
  }
  check(threw, "require_usable_generator names the generator");

  // Seeding: x[0] = seed, x[i] = f (x[i-1] ^ (x[i-1] >> 62)) + i. The seed that comes closest to a
  // zero state makes x[1] zero; x[2] is then 2. Found by inverting f modulo 2^64.
  const std::uint64_t f = 6364136223846793005ULL;
  std::uint64_t inverse = f;  // Newton's iteration for the inverse of an odd number modulo 2^64
  for (int i = 0; i < 6; ++i) inverse *= 2 - f * inverse;
  const std::uint64_t y = 0 - inverse;  // f y + 1 = 0
  const std::uint64_t nearest = y ^ (y >> 62);
  for (std::uint64_t seed : {std::uint64_t{0}, std::uint64_t{1}, ~std::uint64_t{0}, nearest})
    check(fastmlp::generator_is_usable(Rng(seed)), "a seeded generator is usable");
  Rng copy(nearest);
  copy.discard(1);
  check(fastmlp::generator_is_usable(copy), "checking does not advance the generator (a copy is drawn from)");

  std::printf("%s\n", failures == 0 ? "all passed" : "FAILURES");
  return failures == 0 ? 0 : 1;
}
