// checksum: CRC-32 and Adler-32 over a byte buffer.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace checksum {

// CRC-32 as in IEEE 802.3, zlib and PNG (reflected, polynomial 0xEDB88320).
uint32_t crc32(const void* data, std::size_t size, uint32_t crc = 0);

// Adler-32 as in zlib.
uint32_t adler32(const void* data, std::size_t size, uint32_t adler = 1);

inline uint32_t crc32(std::string_view text) { return crc32(text.data(), text.size()); }
inline uint32_t adler32(std::string_view text) { return adler32(text.data(), text.size()); }

}  // namespace checksum
