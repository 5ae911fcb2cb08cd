// Ethernet (MAC) addresses, as IncludeOS's hw/mac_addr.hpp: MAC::Addr.
//
//   MAC::Addr mac{"c0:01:0a:00:00:2a"};
//   printf("%s\n", mac.to_string().c_str());     // "c0:01:0a:00:00:2a"
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

namespace MAC {

union Addr {
  static constexpr size_t PARTS_LEN = 6;

  /// The six bytes, in transmission order.
  uint8_t part[PARTS_LEN];
  /// The same bytes as two words (as IncludeOS lays them out).
  struct {
    uint16_t minor;
    uint32_t major;
  } __attribute__((packed));

  /// 00:00:00:00:00:00
  constexpr Addr() noexcept : part{} {}
  constexpr Addr(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint8_t e, uint8_t f) noexcept
      : part{a, b, c, d, e, f}
  {
  }
  /// Six bytes from `raw`.
  explicit Addr(const uint8_t* raw) noexcept : part{} { std::memcpy(part, raw, PARTS_LEN); }
  /// Text: six hexadecimal pairs with a separator between them
  /// ("c0:01:0a:00:00:2a"); not validated, as on IncludeOS.
  Addr(const char* text) noexcept : part{}
  {
    auto nibble = [](char c) -> uint8_t {
      if (c >= '0' && c <= '9')
        return uint8_t(c - '0');
      if (c >= 'a' && c <= 'f')
        return uint8_t(c - 'a' + 10);
      if (c >= 'A' && c <= 'F')
        return uint8_t(c - 'A' + 10);
      return 0;
    };
    size_t len = text ? std::strlen(text) : 0;
    for (size_t i = 0; i < PARTS_LEN && i * 3 + 1 < len; i++)
      part[i] = uint8_t(nibble(text[i * 3]) << 4 | nibble(text[i * 3 + 1]));
  }
  Addr(const std::string& text) noexcept : Addr(text.c_str()) {}

  /// "c0:01:0a:00:00:2a" (lower case).
  std::string hex_str() const
  {
    char buf[18];
    std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", part[0], part[1], part[2],
                  part[3], part[4], part[5]);
    return buf;
  }
  std::string str() const { return hex_str(); }
  std::string to_string() const { return hex_str(); }
  operator std::string() const { return hex_str(); }

  uint8_t operator[](uint8_t n) const noexcept { return part[n < PARTS_LEN ? n : PARTS_LEN - 1]; }

  bool operator==(const Addr& o) const noexcept { return std::memcmp(part, o.part, PARTS_LEN) == 0; }
  bool operator!=(const Addr& o) const noexcept { return !(*this == o); }

  /// The modified EUI-64 interface identifier (RFC 4291 appendix A): the
  /// universal/local bit flipped and ff:fe in the middle.
  static constexpr uint64_t eui64(const Addr& a) noexcept
  {
    return uint64_t(a.part[0] ^ 0x02) << 56 | uint64_t(a.part[1]) << 48
           | uint64_t(a.part[2]) << 40 | uint64_t(0xFF) << 32 | uint64_t(0xFE) << 24
           | uint64_t(a.part[3]) << 16 | uint64_t(a.part[4]) << 8 | uint64_t(a.part[5]);
  }
  constexpr uint64_t eui64() const noexcept { return eui64(*this); }

  /// The Ethernet address of an IPv6 multicast group (RFC 2464 7):
  /// 33:33 and the group's last four bytes.
  template <typename IPv6>
  static Addr ipv6_mcast(const IPv6& group)
  {
    return Addr(0x33, 0x33, group.template get_part<uint8_t>(12),
                group.template get_part<uint8_t>(13), group.template get_part<uint8_t>(14),
                group.template get_part<uint8_t>(15));
  }
};

static_assert(sizeof(Addr) == 6, "a MAC address is six bytes");

constexpr Addr EMPTY{};
constexpr Addr BROADCAST{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
constexpr Addr MULTICAST{0x01, 0x00, 0x5E, 0x00, 0x00, 0x00};
constexpr Addr IPv6mcast_01{0x33, 0x33, 0x01, 0x00, 0x00, 0x00};
constexpr Addr IPv6mcast_02{0x33, 0x33, 0x02, 0x00, 0x00, 0x00};

}  // namespace MAC
