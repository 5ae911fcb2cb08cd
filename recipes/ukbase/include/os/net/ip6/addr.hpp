// IPv6 addresses, as IncludeOS's net/ip6/addr.hpp: net::ip6::Addr. ukbase
// sends and receives no IPv6 traffic (docs/platform.md), but services keep
// and print IPv6 addresses and configure them (Inet::add_addr).
//
//   ip6::Addr a{"fe80::4242"};
//   ip6::Addr b{0xfe80, 0, 0, 0, 0, 0, 0, 0x4242};
//   a == b; a.to_string() == "fe80::4242";
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>

namespace net::ip6 {

struct Invalid_address : public std::runtime_error {
  using runtime_error::runtime_error;
};
using Invalid_Addr = Invalid_address;

struct Addr {
  /// :: (all zero)
  constexpr Addr() noexcept : i64{0, 0} {}
  /// From its eight 16-bit groups, in text order.
  constexpr Addr(uint16_t a1, uint16_t a2, uint16_t b1, uint16_t b2, uint16_t c1, uint16_t c2,
                 uint16_t d1, uint16_t d2) noexcept
      : i16{swap(a1), swap(a2), swap(b1), swap(b2), swap(c1), swap(c2), swap(d1), swap(d2)}
  {
  }
  /// From text (RFC 4291 2.2: "fe80::1", "2001:db8:0:0:0:0:0:1",
  /// "::ffff:10.0.0.1"); a "%zone" suffix is ignored. Throws
  /// Invalid_address.
  Addr(const std::string& text);

  constexpr Addr(const Addr&) noexcept = default;
  constexpr Addr& operator=(const Addr&) noexcept = default;

  bool operator==(const Addr& o) const noexcept { return i64[0] == o.i64[0] && i64[1] == o.i64[1]; }
  bool operator!=(const Addr& o) const noexcept { return !(*this == o); }
  /// Ordered as 128-bit numbers.
  bool operator<(const Addr& o) const noexcept { return std::memcmp(i8, o.i8, 16) < 0; }
  bool operator>(const Addr& o) const noexcept { return o < *this; }
  bool operator<=(const Addr& o) const noexcept { return !(o < *this); }
  bool operator>=(const Addr& o) const noexcept { return !(*this < o); }

  Addr operator&(const Addr& o) const noexcept
  {
    Addr r;
    r.i64[0] = i64[0] & o.i64[0];
    r.i64[1] = i64[1] & o.i64[1];
    return r;
  }
  Addr operator|(const Addr& o) const noexcept
  {
    Addr r;
    r.i64[0] = i64[0] | o.i64[0];
    r.i64[1] = i64[1] | o.i64[1];
    return r;
  }
  Addr operator~() const noexcept
  {
    Addr r;
    r.i64[0] = ~i64[0];
    r.i64[1] = ~i64[1];
    return r;
  }
  /// The first `prefix` bits (the rest zero).
  Addr masked(uint8_t prefix) const noexcept;

  /// Text in RFC 5952's form: lower case, the longest run of zero groups
  /// as "::" ("fe80::e823:fcff:fef4:85bd").
  std::string to_string() const;
  std::string str() const { return to_string(); }

  /// Element `n` of the address seen as an array of T, in network byte
  /// order (get_part<uint8_t>(0) is the first byte).
  template <typename T>
  T get_part(uint8_t n) const noexcept
  {
    T v;
    std::memcpy(&v, i8 + (n * sizeof(T)) % 16, sizeof(T));
    return v;
  }

  bool is_loopback() const noexcept { return *this == addr_loopback; }
  bool is_multicast() const noexcept { return i8[0] == 0xFF; }
  bool is_linklocal() const noexcept { return i8[0] == 0xFE && (i8[1] & 0xC0) == 0x80; }
  bool is_any() const noexcept { return i64[0] == 0 && i64[1] == 0; }
  /// ::ffff:a.b.c.d
  bool is_v4_mapped() const noexcept
  {
    return i64[0] == 0 && i8[8] == 0 && i8[9] == 0 && i8[10] == 0xFF && i8[11] == 0xFF;
  }

  static const Addr addr_any;            // ::
  static const Addr link_unspecified;    // ::
  static const Addr addr_loopback;       // ::1
  static const Addr node_all_nodes;      // ff01::1
  static const Addr node_all_routers;    // ff01::2
  static const Addr link_all_nodes;      // ff02::1
  static const Addr link_all_routers;    // ff02::2
  static const Addr solicit;             // ff02::1:ff00:0

  /// The bytes in network order, as IncludeOS offers them.
  union {
    uint64_t i64[2];
    uint32_t i32[4];
    uint16_t i16[8];
    uint8_t i8[16];
  };

 private:
  static constexpr uint16_t swap(uint16_t v) { return uint16_t(v << 8 | v >> 8); }
};

static_assert(sizeof(Addr) == 16, "an IPv6 address is sixteen bytes");

inline const Addr Addr::addr_any{};
inline const Addr Addr::link_unspecified{};
inline const Addr Addr::addr_loopback{0, 0, 0, 0, 0, 0, 0, 1};
inline const Addr Addr::node_all_nodes{0xFF01, 0, 0, 0, 0, 0, 0, 1};
inline const Addr Addr::node_all_routers{0xFF01, 0, 0, 0, 0, 0, 0, 2};
inline const Addr Addr::link_all_nodes{0xFF02, 0, 0, 0, 0, 0, 0, 1};
inline const Addr Addr::link_all_routers{0xFF02, 0, 0, 0, 0, 0, 0, 2};
inline const Addr Addr::solicit{0xFF02, 0, 0, 0, 0, 1, 0xFF00, 0};

}  // namespace net::ip6

template <>
struct std::hash<net::ip6::Addr> {
  size_t operator()(const net::ip6::Addr& a) const noexcept
  {
    return std::hash<uint64_t>{}(a.i64[0]) ^ (std::hash<uint64_t>{}(a.i64[1]) << 1);
  }
};
