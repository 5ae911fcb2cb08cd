// IPv4 reassembly (RFC 791, RFC 815's idea with a bitmap): fragments are
// copied into a buffer per datagram (source, destination, id, protocol);
// 8-byte blocks received are marked in a bitmap, and the datagram is
// delivered once the last fragment has fixed its length and every block
// is there. At most 8 datagrams are pending; one is dropped 5 s after its
// first fragment (checked as fragments arrive).
#include <algorithm>

#include "kernel/clock.h"
#include "stack.hpp"

namespace ukbase::net {

namespace {
constexpr size_t MAX_PENDING = 8;
constexpr uint64_t TIMEOUT_NS = 5ull * 1000000000;

bool complete(const std::vector<uint64_t>& blocks, size_t total)
{
  size_t n = (total + 7) / 8;
  for (size_t b = 0; b < n; b++)
    if (!(blocks[b / 64] >> (b % 64) & 1))
      return false;
  return true;
}
}  // namespace

void Interface::reassemble(const uint8_t* ip, size_t hl, const uint8_t* payload, size_t len)
{
  uint64_t now = clock_monotonic_ns();
  reassembly_.erase(std::remove_if(reassembly_.begin(), reassembly_.end(),
                                   [&](const Reassembly& r) {
                                     if (r.expires >= now)
                                       return false;
                                     rx_dropped++;
                                     return true;
                                   }),
                    reassembly_.end());
  uint32_t src = get32(ip + 12), dst = get32(ip + 16);
  uint16_t id = get16(ip + 4), frag = get16(ip + 6);
  bool more = frag & 0x2000;
  size_t offset = size_t(frag & 0x1FFF) * 8;
  if ((more && (len % 8 || !len)) || offset + len > MAX_IP_PAYLOAD) {
    rx_dropped++;
    return;
  }
  Reassembly* r = nullptr;
  for (auto& x : reassembly_)
    if (x.src == src && x.dst == dst && x.id == id && x.proto == ip[9])
      r = &x;
  if (!r) {
    if (reassembly_.size() == MAX_PENDING) {
      reassembly_.erase(reassembly_.begin());  // the oldest
      rx_dropped++;
    }
    reassembly_.push_back(Reassembly{src, dst, id, ip[9], {}, {}, {}, 0, now + TIMEOUT_NS});
    r = &reassembly_.back();
    std::memcpy(r->header, ip, IP_HDR);
    r->blocks.assign((MAX_IP_PAYLOAD / 8 + 64) / 64, 0);
  }
  if (offset + len > r->data.size())
    r->data.resize(offset + len);
  std::memcpy(&r->data[offset], payload, len);
  for (size_t b = offset / 8; b < (offset + len + 7) / 8; b++)
    r->blocks[b / 64] |= 1ull << (b % 64);
  if (!more)
    r->total = offset + len;
  (void)hl;
  if (!r->total || !complete(r->blocks, r->total))
    return;
  Reassembly done = std::move(*r);
  reassembly_.erase(reassembly_.begin() + (r - reassembly_.data()));
  ip_deliver(done.header, done.data.data(), done.total);
}

}  // namespace ukbase::net
