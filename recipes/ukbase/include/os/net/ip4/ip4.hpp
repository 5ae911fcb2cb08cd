// IPv4's constants, as IncludeOS's net/ip4/ip4.hpp: net::IP4::ADDR_ANY and
// ADDR_BCAST. (The IPv4 layer itself is the kernel's.)
#pragma once

#include <cstdint>

#include <net/ip4/addr.hpp>

namespace net {

class IP4 {
 public:
  using addr = ip4::Addr;
  static inline const ip4::Addr ADDR_ANY{0};
  static inline const ip4::Addr ADDR_BCAST{255, 255, 255, 255};
  /// The IPv4 header this stack sends (no options).
  static constexpr uint16_t header_size = 20;
};

}  // namespace net
