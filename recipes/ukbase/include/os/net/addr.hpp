// An IPv4 or IPv6 address, as IncludeOS's net/addr.hpp: net::Addr, the
// address type of UDP and TCP endpoints. An IPv4 address is held as the
// v4-mapped IPv6 address ::ffff:a.b.c.d (RFC 4291 2.5.5.2).
//
//   net::Addr a = ip4::Addr{10, 0, 0, 1};      // implicit from either kind
//   a.is_v4(); a.v4() == ip4::Addr{10, 0, 0, 1}; a.to_string() == "10.0.0.1";
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <net/ip4/addr.hpp>
#include <net/ip6/addr.hpp>

namespace net {

union Addr {
 public:
  /// :: (an IPv6 address: is_v6() is true)
  static const Addr addr_any;

  constexpr Addr() noexcept : ip6_() {}
  Addr(ip4::Addr a) noexcept : ip6_(0, 0, 0, 0, 0, 0xFFFF, uint16_t(a.whole >> 16), uint16_t(a.whole)) {}
  Addr(ip6::Addr a) noexcept : ip6_(a) {}
  Addr(uint8_t a, uint8_t b, uint8_t c, uint8_t d) noexcept : Addr(ip4::Addr(a, b, c, d)) {}
  Addr(uint16_t a1, uint16_t a2, uint16_t b1, uint16_t b2, uint16_t c1, uint16_t c2, uint16_t d1,
       uint16_t d2) noexcept
      : ip6_(a1, a2, b1, b2, c1, c2, d1, d2)
  {
  }

  bool is_v4() const noexcept { return ip6_.is_v4_mapped(); }
  bool is_v6() const noexcept { return !is_v4(); }

  void set_v4(ip4::Addr a) noexcept { *this = Addr(a); }
  void set_v6(ip6::Addr a) noexcept { ip6_ = a; }

  /// The IPv4 address; throws ip4::Invalid_address if this is IPv6.
  ip4::Addr v4() const
  {
    if (!is_v4())
      throw ip4::Invalid_address("Address is not v4");
    return ip4::Addr(uint32_t(ip6_.i8[12]) << 24 | uint32_t(ip6_.i8[13]) << 16
                     | uint32_t(ip6_.i8[14]) << 8 | ip6_.i8[15]);
  }
  /// The 16 bytes (for an IPv4 address, the mapped form).
  const ip6::Addr& v6() const noexcept { return ip6_; }

  /// 0.0.0.0 or ::
  bool is_any() const noexcept
  {
    return ip6_.is_any() || (is_v4() && !ip6_.i8[12] && !ip6_.i8[13] && !ip6_.i8[14] && !ip6_.i8[15]);
  }
  /// The "any" address of the same kind.
  Addr any_addr() const noexcept { return is_v4() ? Addr(ip4::Addr::addr_any) : Addr(); }

  /// "10.0.0.1" or "fe80::1"
  std::string to_string() const { return is_v4() ? v4().to_string() : ip6_.to_string(); }

  bool operator==(const Addr& o) const noexcept { return ip6_ == o.ip6_; }
  bool operator!=(const Addr& o) const noexcept { return ip6_ != o.ip6_; }
  bool operator<(const Addr& o) const noexcept { return ip6_ < o.ip6_; }
  bool operator>(const Addr& o) const noexcept { return ip6_ > o.ip6_; }
  bool operator<=(const Addr& o) const noexcept { return ip6_ <= o.ip6_; }
  bool operator>=(const Addr& o) const noexcept { return ip6_ >= o.ip6_; }

 private:
  ip6::Addr ip6_;
};

static_assert(sizeof(Addr) == 16, "net::Addr is sixteen bytes");

inline const Addr Addr::addr_any{};

}  // namespace net

template <>
struct std::hash<net::Addr> {
  size_t operator()(const net::Addr& a) const noexcept { return std::hash<net::ip6::Addr>{}(a.v6()); }
};
