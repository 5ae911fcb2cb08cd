// Shared network definitions, as IncludeOS's net/inet_common.hpp.
#pragma once

#include <cstdint>

namespace net {

/// IP protocol numbers (IANA).
enum class Protocol : uint8_t {
  HOPOPT = 0,
  ICMPv4 = 1,
  IPv4 = 4,
  TCP = 6,
  UDP = 17,
  IPv6 = 41,
  ICMPv6 = 58,
  IPv6_NONXT = 59,
  OPTSV6 = 60,
};

}  // namespace net
