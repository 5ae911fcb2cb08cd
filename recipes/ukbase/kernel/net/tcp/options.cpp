// The header's options (RFC 9293 3.2; RFC 7323; RFC 2018) and the
// Internet checksum.
#include "internal.hpp"

namespace ukbase::tcp {

bool parse_options(const uint8_t* p, size_t n, Segment& s)
{
  while (n) {
    uint8_t kind = p[0];
    if (kind == 0)                       // end of option list
      break;
    if (kind == 1) {                     // no-operation
      p++, n--;
      continue;
    }
    if (n < 2 || p[1] < 2 || p[1] > n)
      return false;
    size_t len = p[1];
    switch (kind) {
    case 2:                              // maximum segment size
      if (len == 4)
        s.mss = get16(p + 2);
      break;
    case 3:                              // window scale: at most 14 (RFC 7323 2.3)
      if (len == 3)
        s.wscale = int8_t(p[2] > 14 ? 14 : p[2]);
      break;
    case 4:                              // SACK permitted
      if (len == 2)
        s.sack_ok = true;
      break;
    case 5:                              // SACK blocks
      if ((len - 2) % 8 == 0) {
        s.nsack = 0;
        for (size_t off = 2; off < len && s.nsack < MAX_SACK; off += 8, s.nsack++) {
          s.sack[s.nsack][0] = get32(p + off);
          s.sack[s.nsack][1] = get32(p + off + 4);
        }
      }
      break;
    case 8:                              // timestamps
      if (len == 10) {
        s.ts = true;
        s.tsval = get32(p + 2);
        s.tsecr = get32(p + 6);
      }
      break;
    default:                             // unknown: skipped (RFC 9293 3.2)
      break;
    }
    p += len, n -= len;
  }
  return true;
}

uint64_t csum_add(uint64_t sum, const uint8_t* p, size_t n)
{
  // Native 64-bit words; a carry out of bit 63 is worth 1 (2^64 = 1
  // modulo 2^16 - 1), so carries are counted and added back at the end.
  uint64_t carry = 0, w0, w1, w2, w3;
  while (n >= 32) {
    std::memcpy(&w0, p, 8);
    std::memcpy(&w1, p + 8, 8);
    std::memcpy(&w2, p + 16, 8);
    std::memcpy(&w3, p + 24, 8);
    sum += w0; carry += sum < w0;
    sum += w1; carry += sum < w1;
    sum += w2; carry += sum < w2;
    sum += w3; carry += sum < w3;
    p += 32, n -= 32;
  }
  while (n >= 8) {
    std::memcpy(&w0, p, 8);
    sum += w0; carry += sum < w0;
    p += 8, n -= 8;
  }
  if (n) {                               // zero-padded, as the odd last byte is
    w0 = 0;
    std::memcpy(&w0, p, n);
    sum += w0; carry += sum < w0;
  }
  sum += carry;
  return sum + (sum < carry);
}

uint16_t csum_fold(uint64_t sum)
{
  sum = (sum & 0xFFFFFFFFu) + (sum >> 32);
  sum = (sum & 0xFFFFFFFFu) + (sum >> 32);
  sum = (sum & 0xFFFF) + (sum >> 16);
  sum = (sum & 0xFFFF) + (sum >> 16);
  return uint16_t(sum);
}

uint64_t csum_pseudo(uint32_t src, uint32_t dst, size_t len)
{
  uint8_t ph[12];
  put32(ph, src);
  put32(ph + 4, dst);
  ph[8] = 0;
  ph[9] = 6;                             // protocol: TCP
  put16(ph + 10, uint16_t(len));
  return csum_add(0, ph, sizeof ph);
}

}  // namespace ukbase::tcp
