// IPv6's constants, as IncludeOS's net/ip6/ip6.hpp: net::IP6::ADDR_ANY and
// ADDR_LOOPBACK. ukbase has no IPv6 traffic (docs/platform.md).
#pragma once

#include <net/ip6/addr.hpp>

namespace net {

class IP6 {
 public:
  using addr = ip6::Addr;
  static inline const ip6::Addr ADDR_ANY{};
  static inline const ip6::Addr ADDR_LOOPBACK{0, 0, 0, 0, 0, 0, 0, 1};
};

}  // namespace net
