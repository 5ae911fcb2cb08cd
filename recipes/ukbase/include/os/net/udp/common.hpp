// UDP's types, as IncludeOS's net/udp/common.hpp.
#pragma once

#include <cstdint>

#include <delegate>
#include <net/addr.hpp>
#include <net/error.hpp>

namespace net::udp {

using addr_t = net::Addr;
using port_t = uint16_t;
/// Runs once a sendto()'s data has been handed to IP.
using sendto_handler = delegate<void()>;
/// Runs when sending failed, or an ICMP error came back about it.
using error_handler = delegate<void(const Error&)>;

}  // namespace net::udp
