// A TCP segment inside an IPv4 packet, as IncludeOS's
// net/tcp/packet4_view.hpp: tcp::Packet4_view_raw over a PacketIP4*
// (tcp::Packet4_view owns its packet).
//
//   auto tcp = net::tcp::Packet4_view_raw(pkt.get());
//   if (tcp.dst_port() == 80 && tcp.isset(net::tcp::SYN)) ...
//
// Setters keep the TCP checksum right (RFC 1624).
#pragma once

#include <cstdint>
#include <memory>
#include <utility>

#include <net/ip4/packet_ip4.hpp>
#include <net/socket.hpp>

namespace net::tcp {

enum Flag : uint16_t { FIN = 1, SYN = 2, RST = 4, PSH = 8, ACK = 16, URG = 32, ECE = 64, CWR = 128 };

template <typename Ptr_type>
class Packet4_v {
 public:
  explicit Packet4_v(Ptr_type pkt) : pkt_(std::move(pkt)) {}

  PacketIP4& packet() const noexcept { return *pkt_; }
  Ptr_type release() noexcept { return std::move(pkt_); }

  ip4::Addr ip_src() const noexcept { return pkt_->ip_src(); }
  ip4::Addr ip_dst() const noexcept { return pkt_->ip_dst(); }
  uint16_t src_port() const noexcept { return get16(0); }
  uint16_t dst_port() const noexcept { return get16(2); }
  Socket source() const { return {ip_src(), src_port()}; }
  Socket destination() const { return {ip_dst(), dst_port()}; }
  uint32_t seq() const noexcept { return uint32_t(get16(4)) << 16 | get16(6); }
  uint32_t ack() const noexcept { return uint32_t(get16(8)) << 16 | get16(10); }
  /// The header's length in bytes (its data offset).
  int tcp_header_length() const noexcept { return (l4()[12] >> 4) * 4; }
  int tcp_data_length() const noexcept { return pkt_->ip_data_length() - tcp_header_length(); }
  const uint8_t* tcp_data() const noexcept { return l4() + tcp_header_length(); }
  uint16_t tcp_flags() const noexcept { return get16(12) & 0x01FF; }
  bool isset(Flag f) const noexcept { return tcp_flags() & f; }
  uint16_t win() const noexcept { return get16(14); }
  uint16_t tcp_checksum() const noexcept { return get16(16); }

  void set_src_port(uint16_t p) noexcept { set16(0, p); }
  void set_dst_port(uint16_t p) noexcept { set16(2, p); }

 private:
  uint8_t* l4() const noexcept { return pkt_->ip_data_ptr(); }
  uint16_t get16(int at) const noexcept { return uint16_t(l4()[at] << 8 | l4()[at + 1]); }
  void put16(int at, uint16_t v) noexcept
  {
    l4()[at] = uint8_t(v >> 8);
    l4()[at + 1] = uint8_t(v);
  }
  void set16(int at, uint16_t v) noexcept
  {
    put16(16, Checksum::adjust16(tcp_checksum(), get16(at), v));
    put16(at, v);
  }
  Ptr_type pkt_;
};

using Packet4_view_raw = Packet4_v<PacketIP4*>;
using Packet4_view = Packet4_v<std::unique_ptr<PacketIP4>>;

}  // namespace net::tcp
