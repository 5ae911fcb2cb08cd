#include <checksum/checksum.h>

namespace checksum {

uint32_t adler32(const void* data, std::size_t size, uint32_t adler)
{
  constexpr uint32_t mod = 65521;
  auto* p = static_cast<const unsigned char*>(data);
  uint32_t a = adler & 0xFFFF, b = adler >> 16;
  for (std::size_t i = 0; i < size; ++i) {
    a = (a + p[i]) % mod;
    b = (b + a) % mod;
  }
  return (b << 16) | a;
}

}  // namespace checksum
