// An IPv4 packet, as IncludeOS's net/ip4/packet_ip4.hpp: net::PacketIP4
// (IP4::IP_packet), what a packet filter, a Router and a NAT see.
//
//   auto pkt = net::PacketIP4::make(bytes, len);    // a copy, on the heap
//   pkt->ip_src(); pkt->ip_dst(); pkt->ip_protocol(); pkt->ip_ttl();
//   pkt->set_ip_dst({10, 0, 0, 2});                 // the header checksum follows
//
// layer_begin() is the IP header; ip_data() what follows it. Setters keep
// the header checksum right (RFC 1624's incremental update); the upper
// layer's checksum is the caller's (tcp::Packet4_view and the NAT keep
// theirs).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>

#include <net/inet_common.hpp>
#include <net/ip4/addr.hpp>
#include <net/packet.hpp>

namespace net {

namespace ip4 {
/// Flags of the fragment field (its top three bits).
enum class Flags : uint8_t { NONE = 0, MF = 1, DF = 2, MFDF = 3 };
}

/// One's-complement checksum arithmetic for NAT and TTL changes (RFC 1624).
struct Checksum {
  /// `sum` (a header's stored checksum) after a 16-bit field went from `old` to `now`.
  static uint16_t adjust16(uint16_t sum, uint16_t old, uint16_t now) noexcept
  {
    uint32_t s = uint16_t(~sum) + uint32_t(uint16_t(~old)) + now;
    s = (s & 0xFFFF) + (s >> 16);
    s = (s & 0xFFFF) + (s >> 16);
    return uint16_t(~s);
  }
  /// ... after a 32-bit field (an address) went from `old` to `now`.
  static uint16_t adjust32(uint16_t sum, uint32_t old, uint32_t now) noexcept
  {
    sum = adjust16(sum, uint16_t(old >> 16), uint16_t(now >> 16));
    return adjust16(sum, uint16_t(old), uint16_t(now));
  }
};

class PacketIP4 : public Packet {
 public:
  using Packet::Packet;

  /// A packet holding a copy of the `len` bytes at `ip` (an IPv4 header
  /// and what follows), with `room` bytes more to grow into.
  static std::unique_ptr<PacketIP4> make(const uint8_t* ip, size_t len, size_t room = 0)
  {
    auto* mem = new uint8_t[sizeof(PacketIP4) + len + room];
    auto* p = new (mem) PacketIP4(0, static_cast<int>(len), static_cast<int>(len + room), nullptr);
    std::memcpy(p->buf(), ip, len);
    p->set_payload_offset(std::min<int>(p->ip_header_length(), static_cast<int>(len + room) - 1));
    return std::unique_ptr<PacketIP4>(p);
  }

  // -- the header --
  uint8_t ip_version() const noexcept { return hdr()[0] >> 4; }
  uint8_t ip_ihl() const noexcept { return hdr()[0] & 15; }
  int ip_header_length() const noexcept { return ip_ihl() * 4; }
  uint8_t ip_dscp() const noexcept { return hdr()[1] >> 2; }
  uint8_t ip_ecn() const noexcept { return hdr()[1] & 3; }
  uint16_t ip_total_length() const noexcept { return get16(2); }
  uint16_t ip_id() const noexcept { return get16(4); }
  ip4::Flags ip_flags() const noexcept { return ip4::Flags(hdr()[6] >> 5); }
  /// The fragment offset in bytes.
  uint16_t ip_frag_offs() const noexcept { return uint16_t((get16(6) & 0x1FFF) * 8); }
  bool is_fragment() const noexcept { return (get16(6) & 0x3FFF) != 0; }
  uint8_t ip_ttl() const noexcept { return hdr()[8]; }
  Protocol ip_protocol() const noexcept { return Protocol(hdr()[9]); }
  uint16_t ip_checksum() const noexcept { return get16(10); }
  ip4::Addr ip_src() const noexcept { return ip4::Addr(get32(12)); }
  ip4::Addr ip_dst() const noexcept { return ip4::Addr(get32(16)); }
  /// The bytes after the header (its options included) up to the total length.
  int ip_data_length() const noexcept
  {
    return std::max(0, std::min<int>(ip_total_length(), size()) - ip_header_length());
  }
  uint8_t* ip_data_ptr() const noexcept { return layer_begin() + ip_header_length(); }
  /// Is the header's checksum right?
  bool ip_checksum_ok() const noexcept
  {
    uint32_t s = 0;
    for (int i = 0; i < ip_header_length(); i += 2)
      s += get16(i);
    while (s >> 16)
      s = (s & 0xFFFF) + (s >> 16);
    return s == 0xFFFF;
  }

  void set_ip_src(ip4::Addr a) noexcept { set32(12, a.whole); }
  void set_ip_dst(ip4::Addr a) noexcept { set32(16, a.whole); }
  void set_ip_ttl(uint8_t ttl) noexcept { set8(8, ttl); }
  void decrement_ttl() noexcept
  {
    if (ip_ttl())
      set_ip_ttl(uint8_t(ip_ttl() - 1));
  }
  void set_ip_flags(ip4::Flags f) noexcept
  {
    set16(6, uint16_t((get16(6) & 0x1FFF) | uint16_t(uint8_t(f)) << 13));
  }
  /// Compute the header checksum again, whole.
  void set_ip_checksum() noexcept
  {
    put(10, 0);
    uint32_t s = 0;
    for (int i = 0; i < ip_header_length(); i += 2)
      s += get16(i);
    while (s >> 16)
      s = (s & 0xFFFF) + (s >> 16);
    put(10, uint16_t(~s));
  }

  // -- raw access for the upper layers' views (big-endian fields) --
  uint16_t get16(int at) const noexcept { return uint16_t(hdr()[at] << 8 | hdr()[at + 1]); }
  uint32_t get32(int at) const noexcept { return uint32_t(get16(at)) << 16 | get16(at + 2); }

 private:
  const uint8_t* hdr() const noexcept { return layer_begin(); }
  void put(int at, uint16_t v) noexcept
  {
    layer_begin()[at] = uint8_t(v >> 8);
    layer_begin()[at + 1] = uint8_t(v);
  }
  void set16(int at, uint16_t v) noexcept
  {
    put(10, Checksum::adjust16(ip_checksum(), get16(at), v));
    put(at, v);
  }
  void set32(int at, uint32_t v) noexcept
  {
    put(10, Checksum::adjust32(ip_checksum(), get32(at), v));
    put(at, uint16_t(v >> 16));
    put(at + 2, uint16_t(v));
  }
  void set8(int at, uint8_t v) noexcept
  {
    // The checksum sums 16-bit words: the byte's word before and after.
    int word = at & ~1;
    uint16_t old = get16(word);
    layer_begin()[at] = v;
    put(10, Checksum::adjust16(ip_checksum(), old, get16(word)));
  }
};

}  // namespace net
