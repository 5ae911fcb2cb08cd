// UDP (RFC 768): bindings by address and port, delivery, sending. The
// APIs services use (POSIX sockets, IncludeOS's udp::Socket) are
// Udp_receivers bound here; so is the DHCP client.
#include <cerrno>
#include <map>

#include "kernel/inet.hpp"
#include "stack.hpp"

namespace ukbase::net {

namespace {

constexpr uint16_t EPHEMERAL_FIRST = 49152;

// (port, address) -> receiver; address 0 is "every address".
using Key = std::pair<uint16_t, uint32_t>;
std::map<Key, Udp_receiver*>& bindings()
{
  static auto* b = new std::map<Key, Udp_receiver*>;
  return *b;
}

uint16_t next_ephemeral = 0;

bool port_taken(uint32_t addr, uint16_t port)
{
  auto& b = bindings();
  auto it = b.lower_bound(Key{port, 0});
  for (; it != b.end() && it->first.first == port; ++it)
    if (addr == 0 || it->first.second == 0 || it->first.second == addr)
      return true;
  return false;
}

}  // namespace

int udp_bind(uint32_t addr, uint16_t& port, Udp_receiver* r)
{
  if (addr && !is_local_address(addr) && addr != 0xFFFFFFFFu)
    return -EADDRNOTAVAIL;
  if (port == 0) {
    if (!next_ephemeral) {
      uint16_t seed;
      random_bytes(&seed, sizeof seed);
      next_ephemeral = static_cast<uint16_t>(EPHEMERAL_FIRST + seed % (65536 - EPHEMERAL_FIRST));
    }
    for (unsigned tries = 0; tries < 65536 - EPHEMERAL_FIRST; tries++) {
      uint16_t p = next_ephemeral;
      next_ephemeral = p == 65535 ? EPHEMERAL_FIRST : static_cast<uint16_t>(p + 1);
      if (!port_taken(addr, p)) {
        port = p;
        break;
      }
    }
    if (!port)
      return -EADDRINUSE;
  } else if (port_taken(addr, port)) {
    return -EADDRINUSE;
  }
  bindings()[Key{port, addr}] = r;
  return 0;
}

void udp_unbind(uint32_t addr, uint16_t port)
{
  bindings().erase(Key{port, addr});
}

bool udp_is_bound(uint32_t addr, uint16_t port)
{
  return bindings().count(Key{port, addr}) != 0;
}

void udp_receive(Interface& iface, const uint8_t* ip, const uint8_t* udp, size_t len)
{
  if (len < UDP_HDR) {
    iface.rx_dropped++;
    return;
  }
  uint16_t ulen = get16(udp + 4);
  if (ulen < UDP_HDR || ulen > len) {
    iface.rx_dropped++;
    return;
  }
  uint32_t src = get32(ip + 12), dst = get32(ip + 16);
  if (get16(udp + 6)) {                 // 0: the sender computed none
    uint64_t sum = pseudo_header(src, dst, PROTO_UDP, ulen);
    if (checksum_finish(checksum_add(sum, udp, ulen)) != 0) {
      iface.rx_dropped++;
      return;
    }
  }
  uint16_t port = get16(udp + 2);
  Udp_datagram d{&iface, src, dst, get16(udp), port, udp + UDP_HDR, size_t(ulen) - UDP_HDR};
  auto& b = bindings();
  bool broadcast = !iface.address || dst == 0xFFFFFFFFu
                   || (iface.netmask && dst == (iface.address | ~iface.netmask));
  if (broadcast) {
    // Every binding of the port hears it. Receivers may unbind (or bind)
    // from their callback: collect them first.
    std::vector<Udp_receiver*> all;
    for (auto it = b.lower_bound(Key{port, 0}); it != b.end() && it->first.first == port; ++it)
      all.push_back(it->second);
    if (all.empty())
      iface.rx_dropped++;
    for (Udp_receiver* r : all)
      r->udp_receive(d);
    return;
  }
  auto it = b.find(Key{port, dst});
  if (it == b.end())
    it = b.find(Key{port, 0});
  if (it == b.end()) {
    iface.rx_dropped++;
    iface.icmp_unreachable(ip, 3 /* port unreachable */);
    return;
  }
  it->second->udp_receive(d);
}

void udp_icmp_error(uint32_t dst, uint16_t src_port, uint16_t dst_port, int err)
{
  auto& b = bindings();
  for (auto it = b.lower_bound(Key{src_port, 0}); it != b.end() && it->first.first == src_port; ++it) {
    it->second->udp_error(dst, dst_port, err);
    return;
  }
}

namespace {

int send_datagram(Interface& iface, uint32_t src, uint16_t src_port, uint32_t dst, uint16_t dst_port,
                  const void* data, size_t len, bool unspecified_source)
{
  bool ok = iface.send_ip(dst, PROTO_UDP, UDP_HDR + len, [&](uint8_t* u) {
    uint16_t ulen = static_cast<uint16_t>(UDP_HDR + len);
    put16(u, src_port);
    put16(u + 2, dst_port);
    put16(u + 4, ulen);
    put16(u + 6, 0);
    std::memcpy(u + UDP_HDR, data, len);
    uint16_t sum = checksum_finish(checksum_add(pseudo_header(src, dst, PROTO_UDP, ulen), u, ulen));
    put16(u + 6, sum ? sum : 0xFFFF);   // 0 would mean "no checksum"
  }, src, unspecified_source);
  return ok ? 0 : -ENOBUFS;
}

}  // namespace

int udp_send(uint32_t src, uint16_t src_port, uint32_t dst, uint16_t dst_port, const void* data,
             size_t len, Interface* iface)
{
  if (len > UDP_MAX_PAYLOAD)
    return -EMSGSIZE;
  if (!dst_port)
    return -EINVAL;
  if (!iface)
    iface = route(dst, src);
  if (!iface)
    return -ENETUNREACH;
  if (!src)
    src = iface->address;
  return send_datagram(*iface, src, src_port, dst, dst_port, data, len, false);
}

int udp_send_unspecified(uint16_t src_port, uint32_t dst, uint16_t dst_port, const void* data,
                         size_t len, Interface& iface)
{
  if (len > UDP_MAX_PAYLOAD)
    return -EMSGSIZE;
  return send_datagram(iface, 0, src_port, dst, dst_port, data, len, true);
}

}  // namespace ukbase::net
