// What parsing hostile JSON may cost in memory: the bytes the parser asks of the allocator (counted
// by replacing the global operator new) stay within 20 times the text's size for the shapes that
// cost most per byte. (tests/test_hostile_files.py checks time and resident memory through load_model.)
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>

#include "check.hpp"
#include "json.hpp"

using fastmlp::json::JsonError;
using fastmlp::json::Value;

namespace {

// Bytes handed out by operator new and not yet returned, and their high-water mark. Each block
// carries its size in a header of max_align_t's size, so that alignment is kept.
std::size_t live_bytes = 0;
std::size_t peak_bytes = 0;
constexpr std::size_t kHeader = alignof(std::max_align_t);

}  // namespace

void* operator new(std::size_t size) {
  auto* block = static_cast<unsigned char*>(std::malloc(size + kHeader));
  if (block == nullptr) throw std::bad_alloc();
  *reinterpret_cast<std::size_t*>(block) = size;
  live_bytes += size;
  if (live_bytes > peak_bytes) peak_bytes = live_bytes;
  return block + kHeader;
}

void operator delete(void* pointer) noexcept {
  if (pointer == nullptr) return;
  auto* block = static_cast<unsigned char*>(pointer) - kHeader;
  live_bytes -= *reinterpret_cast<std::size_t*>(block);
  std::free(block);
}

void operator delete(void* pointer, std::size_t) noexcept { operator delete(pointer); }

// The nothrow forms too, so that every block this delete frees carries the header.
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return operator new(size);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void operator delete(void* pointer, const std::nothrow_t&) noexcept { operator delete(pointer); }

namespace {

// Most bytes allocated at once while parsing `text` and holding the result, per byte of text.
double peak_per_byte(const std::string& text) {
  const std::size_t before = live_bytes;
  peak_bytes = live_bytes;
  {
    const Value value = Value::parse(text);
    CHECK(!value.is_null());
  }
  const bool released = live_bytes == before;  // nothing leaked (read before CHECK allocates its message)
  CHECK(released);
  return static_cast<double>(peak_bytes - before) / static_cast<double>(text.size());
}

std::string array_of(const std::string& item, int count) {
  std::string text = "[";
  for (int i = 0; i < count; ++i) text += (i ? "," : "") + item;
  return text + "]";
}

void test_memory_is_a_small_multiple_of_the_text() {
  // Before: 75 bytes per byte for an array of 0s (a 10 MB header cost 700 MB). Bytes asked of the
  // allocator, with the result held: 16-byte values in containers sized exactly.
  constexpr double kBound = 20;
  constexpr int kCount = 200000;
  for (const char* item : {"0", "[]", "{}", "\"\"", "\"a\"", "[0]", "{\"a\":0}", "true", "-1.5e3", "[[[0]]]",
                           "[[[[[[[[[[[[[[[[[[[[0]]]]]]]]]]]]]]]]]]]]"}) {
    const double cost = peak_per_byte(array_of(item, kCount));
    std::printf("  array of %-12.12s %5.1f bytes of memory per byte of text\n", item, cost);
    CHECK(cost <= kBound);
  }
  std::string members = "{";
  for (int i = 0; i < kCount; ++i) members += (i ? ",\"" : "\"") + std::to_string(i) + "\":0";
  const double cost = peak_per_byte(members + "}");
  std::printf("  object of %d members: %.1f bytes per byte\n", kCount, cost);
  CHECK(cost <= kBound);
  // Strings cost about their length, with or without escapes.
  CHECK(peak_per_byte("\"" + std::string(1 << 20, 'x') + "\"") <= 1.1);
  std::string escaped = "\"";
  for (int i = 0; i < (1 << 17); ++i) escaped += "\\u00e9\\n";
  CHECK(peak_per_byte(escaped + "\"") <= 1.1);
}

}  // namespace

int main() {
  test_memory_is_a_small_multiple_of_the_text();
  return check::report("test_json_limits");
}
