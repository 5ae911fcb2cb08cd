// Initial sequence numbers (RFC 6528) and timestamp offsets, from
// SipHash-2-4 keyed with the stack's secret.
#include "internal.hpp"

namespace ukbase::tcp {

namespace {

inline uint64_t rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

inline uint64_t load_le64(const uint8_t* p)
{
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

struct Sip {
  uint64_t v0, v1, v2, v3;
  void round()
  {
    v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);
    v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;
    v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;
    v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);
  }
  void block(uint64_t m)
  {
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
};

/// The 4-tuple as hashed: both addresses and ports, and a tag that keeps
/// the ISN's and the timestamp offset's values unrelated.
size_t tuple_bytes(const Tuple& t, uint8_t tag, uint8_t out[13])
{
  put32(out, t.laddr);
  put16(out + 4, t.lport);
  put32(out + 6, t.raddr);
  put16(out + 10, t.rport);
  out[12] = tag;
  return 13;
}

}  // namespace

uint64_t siphash24(const uint8_t key[16], const uint8_t* msg, size_t len)
{
  uint64_t k0 = load_le64(key), k1 = load_le64(key + 8);
  Sip s{k0 ^ 0x736f6d6570736575ull, k1 ^ 0x646f72616e646f6dull,
        k0 ^ 0x6c7967656e657261ull, k1 ^ 0x7465646279746573ull};
  size_t whole = len & ~size_t(7);
  for (size_t i = 0; i < whole; i += 8)
    s.block(load_le64(msg + i));
  uint64_t last = uint64_t(len & 0xFF) << 56;
  for (size_t i = 0; i < (len & 7); i++)
    last |= uint64_t(msg[whole + i]) << (8 * i);
  s.block(last);
  s.v2 ^= 0xFF;
  for (int i = 0; i < 4; i++)
    s.round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

uint32_t Stack::Impl::isn(const Tuple& t) const
{
  // ISN = M + F(4-tuple, secret), M a clock ticking every 4 microseconds.
  uint8_t msg[13];
  size_t n = tuple_bytes(t, 0, msg);
  return uint32_t(now / 4000) + uint32_t(siphash24(secret, msg, n));
}

uint32_t Stack::Impl::ts_offset(const Tuple& t) const
{
  // Per 4-tuple, not per connection: a new incarnation's timestamps keep
  // growing past the old one's, as reopening TIME-WAIT needs (RFC 6191).
  uint8_t msg[13];
  size_t n = tuple_bytes(t, 1, msg);
  return uint32_t(siphash24(secret, msg, n) >> 32);
}

}  // namespace ukbase::tcp
