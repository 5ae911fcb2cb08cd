// UDP (RFC 768): a callback per bound port, sending from anywhere.
#include <vector>

#include "stack.hpp"

namespace ukbase::net {

namespace {

struct Binding {
  uint16_t port;
  std::shared_ptr<::net::udp::handler_t> handler;   // kept alive while it runs
};
// A handful of ports: a vector searched linearly beats a map.
std::vector<Binding>& bindings()
{
  static auto* b = new std::vector<Binding>;
  return *b;
}

}  // namespace

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
  std::shared_ptr<::net::udp::handler_t> handler;
  for (auto& b : bindings())
    if (b.port == port)
      handler = b.handler;
  if (!handler) {
    iface.rx_dropped++;
    return;
  }
  ::net::udp::Datagram d{::net::ip4(src), get16(udp), ::net::ip4(dst), port,
                         udp + UDP_HDR, size_t(ulen) - UDP_HDR};
  (*handler)(d);
}

}  // namespace ukbase::net

namespace net::udp {

namespace k = ukbase::net;

bool bind(uint16_t port, handler_t handler)
{
  if (!port || !handler)
    return false;
  for (auto& b : k::bindings())
    if (b.port == port)
      return false;
  k::bindings().push_back(k::Binding{port, std::make_shared<handler_t>(std::move(handler))});
  return true;
}

void unbind(uint16_t port)
{
  auto& all = k::bindings();
  for (size_t i = 0; i < all.size(); i++)
    if (all[i].port == port) {
      all.erase(all.begin() + static_cast<long>(i));
      return;
    }
}

bool send(ip4 dst, uint16_t dst_port, uint16_t src_port, const void* data, size_t len)
{
  k::Interface* iface = k::route(dst.value);
  if (!iface || len > max_payload || !dst_port)
    return false;
  uint32_t src = iface->address, to = dst.value;
  return iface->send_ip(to, k::PROTO_UDP, k::UDP_HDR + len, [&](uint8_t* u) {
    uint16_t ulen = static_cast<uint16_t>(k::UDP_HDR + len);
    k::put16(u, src_port);
    k::put16(u + 2, dst_port);
    k::put16(u + 4, ulen);
    k::put16(u + 6, 0);
    std::memcpy(u + k::UDP_HDR, data, len);
    uint16_t sum = k::checksum_finish(
        k::checksum_add(k::pseudo_header(src, to, k::PROTO_UDP, ulen), u, ulen));
    k::put16(u + 6, sum ? sum : 0xFFFF);   // 0 would mean "no checksum"
  });
}

bool Datagram::reply(const void* payload, size_t len) const
{
  return send(src, src_port, dst_port, payload, len);
}

}  // namespace net::udp
