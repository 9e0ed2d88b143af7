// CRC-32 as zlib, PNG and Python's zlib.crc32 compute it (IEEE 802.3 polynomial, reflected),
// so that a model file's checksum can be verified with any standard tool. Internal to the library.
#pragma once

#include <cstddef>
#include <cstdint>

namespace fastmlp {

// Continues `crc` (0 to start) over `size` bytes; crc32("123456789") is 0xCBF43926.
std::uint32_t crc32(const void* data, std::size_t size, std::uint32_t crc = 0);

}  // namespace fastmlp
