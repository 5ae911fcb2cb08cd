// IPv4 addresses, as IncludeOS's net/ip4/addr.hpp: net::ip4::Addr.
//
//   ip4::Addr a{10, 0, 0, 42};            // dotted order
//   ip4::Addr b{"10.0.0.42"};              // throws ip4::Invalid_address if malformed
//   a == b; a.str() == "10.0.0.42"; a.part(3) == 10;
//
// Byte order, a deliberate choice of ukbase: `whole` holds the address in
// HOST byte order, as a number (Addr(10,0,0,4).whole == 0x0A000004), and
// Addr(uint32_t) takes such a number. On IncludeOS `whole` is in network
// byte order, but IncludeOS's own POSIX layer (and its tests) write a
// sockaddr's s_addr as htonl(addr.whole) and read it back as
// Addr(ntohl(s_addr)): with a host-order `whole` those expressions give
// real POSIX values, so the same service code works against ukbase's
// POSIX sockets. Code that only uses the dotted-quad constructor, str(),
// part() and the comparisons sees no difference; Addr(0) is 0.0.0.0 and
// 255.255.255.255 is 0xFFFFFFFF either way.
#pragma once

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>

namespace net::ip4 {

struct Invalid_address : public std::runtime_error {
  using runtime_error::runtime_error;
};

struct Addr {
  /// 0.0.0.0
  constexpr Addr() noexcept : whole(0) {}
  /// From a number in host byte order (see above): Addr(0x0A00002A) is 10.0.0.42.
  constexpr Addr(uint32_t ipv4_addr) noexcept : whole(ipv4_addr) {}
  /// From its four parts in dotted order.
  constexpr Addr(uint8_t p1, uint8_t p2, uint8_t p3, uint8_t p4) noexcept
      : whole(uint32_t(p1) << 24 | uint32_t(p2) << 16 | uint32_t(p3) << 8 | p4)
  {
  }
  /// From "a.b.c.d": digits and dots, at most four parts of 0-255
  /// (missing trailing parts are 0). Throws Invalid_address.
  Addr(const std::string& text);

  constexpr Addr(const Addr&) noexcept = default;
  constexpr Addr& operator=(const Addr&) noexcept = default;

  constexpr bool operator==(Addr o) const noexcept { return whole == o.whole; }
  constexpr bool operator!=(Addr o) const noexcept { return whole != o.whole; }
  constexpr bool operator<(Addr o) const noexcept { return whole < o.whole; }
  constexpr bool operator<=(Addr o) const noexcept { return whole <= o.whole; }
  constexpr bool operator>(Addr o) const noexcept { return whole > o.whole; }
  constexpr bool operator>=(Addr o) const noexcept { return whole >= o.whole; }
  constexpr bool operator==(uint32_t raw) const noexcept { return whole == raw; }
  constexpr bool operator!=(uint32_t raw) const noexcept { return whole != raw; }
  constexpr bool operator<(uint32_t raw) const noexcept { return whole < raw; }
  constexpr bool operator<=(uint32_t raw) const noexcept { return whole <= raw; }
  constexpr bool operator>(uint32_t raw) const noexcept { return whole > raw; }
  constexpr bool operator>=(uint32_t raw) const noexcept { return whole >= raw; }

  constexpr Addr operator&(Addr o) const noexcept { return Addr(whole & o.whole); }
  constexpr Addr operator|(Addr o) const noexcept { return Addr(whole | o.whole); }
  constexpr Addr operator~() const noexcept { return Addr(~whole); }

  /// Part `n`, counted from the end as on IncludeOS: part(3) is the first
  /// dotted number, part(0) the last.
  constexpr uint8_t part(uint8_t n) const noexcept { return uint8_t(whole >> (8 * (n & 3))); }

  /// "10.0.0.42"
  std::string str() const;
  std::string to_string() const { return str(); }

  constexpr bool is_loopback() const noexcept { return part(3) == 127; }
  constexpr bool is_multicast() const noexcept { return part(3) >= 224 && part(3) < 240; }

  static const Addr addr_any;       // 0.0.0.0
  static const Addr addr_bcast;     // 255.255.255.255

  /// The address as a number, in host byte order (see above).
  uint32_t whole;
} __attribute__((packed));

static_assert(sizeof(Addr) == 4, "an IPv4 address is four bytes");

inline const Addr Addr::addr_any{0};
inline const Addr Addr::addr_bcast{0xFFFFFFFFu};

}  // namespace net::ip4

template <>
struct std::hash<net::ip4::Addr> {
  size_t operator()(const net::ip4::Addr& a) const noexcept { return std::hash<uint32_t>{}(a.whole); }
};
