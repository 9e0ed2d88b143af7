// libFuzzer target for the model-file reader (load_model_from_bytes: preamble, header, tensor
// table, the model's config through every registered type's validation, weights, optimizer state,
// generator states). A mutated file almost never keeps a valid CRC-32, and the reader stops there;
// so the target writes the right checksum into each input's last 4 bytes first, and the fuzzer
// reaches everything behind the checksum. It checks that the reader throws only ModelFileError,
// with a message of valid UTF-8 without control characters (messages become Python str), that it
// never allocates out of proportion to the input (-malloc_limit_mb in .ci/fuzz.sh), and that a
// model it loads saves and loads again. Build and run: .ci/fuzz.sh (docs/reliability.md).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <variant>

#include "checks.hpp"
#include "crc32.hpp"
#include "fastmlp/io.hpp"

namespace {

constexpr const char* kTarget = "fuzz_model";

// Where a model of this scalar type sits in AnyModel.
template <class Scalar>
std::size_t model_index(const fastmlp::ModelOf<Scalar>&) {
  return std::is_same_v<Scalar, float> ? 0 : 1;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  if (bytes.size() >= 4) {
    const std::uint32_t crc = fastmlp::crc32(bytes.data(), bytes.size() - 4);
    for (int i = 0; i < 4; ++i) bytes[bytes.size() - 4 + i] = static_cast<char>((crc >> (8 * i)) & 0xff);
  }
  try {
    // Either scalar type: the file says which.
    const fastmlp::AnyModel model = fastmlp::load_any_model_from_bytes(bytes, "fuzz input");
    std::visit([](const auto& loaded) {
      const std::string again = fastmlp::save_model_to_bytes(loaded);
      const fastmlp::AnyModel copy = fastmlp::load_any_model_from_bytes(again, "saved fuzz input");
      if (copy.index() != model_index(loaded) ||
          std::visit([](const auto& m) { return fastmlp::save_model_to_bytes(m); }, copy) != again)
        fastmlp::fuzz::fail(kTarget, "a loaded model saves differently after a round trip", "");
    }, model);
  } catch (const fastmlp::ModelFileError& error) {
    fastmlp::fuzz::require_valid_text(kTarget, error.what());
  }
  return 0;
}
