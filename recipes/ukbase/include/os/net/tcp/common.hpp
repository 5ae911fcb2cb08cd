// TCP's types and defaults, as IncludeOS's net/tcp/common.hpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

#include <net/addr.hpp>
#include <net/socket.hpp>
#include <pmr>
#include <util/units.hpp>

namespace net::tcp {

using Address = net::Addr;
using port_t = uint16_t;
using seq_t = uint32_t;

/// Data read from or written to a connection.
using buffer_t = os::mem::buf_ptr;

/// A new buffer_t, its arguments as std::pmr::vector<uint8_t>'s:
/// construct_buffer(n), construct_buffer(begin, end).
template <typename... Args>
inline buffer_t construct_buffer(Args&&... args)
{
  return std::make_shared<os::mem::buffer>(std::forward<Args>(args)...);
}

class Connection;
using Connection_ptr = std::shared_ptr<Connection>;

// IncludeOS's defaults (what TCP's setters start from).
static constexpr uint32_t default_window_size = 0xFFFF;
static constexpr uint8_t default_window_scaling = 5;
static constexpr uint32_t default_ws_window_size = 8192 << default_window_scaling;
static constexpr bool default_timestamps = true;
static constexpr bool default_sack = true;
static constexpr size_t default_sack_entries = 32;
static constexpr uint16_t default_mss = 536;
static constexpr uint16_t default_mss_v6 = 1220;
static constexpr uint16_t default_max_syn_backlog = 64;
static constexpr std::chrono::seconds default_msl{30};
static constexpr std::chrono::milliseconds default_dack_timeout{40};
static constexpr size_t default_min_bufsize = 4 << 10;
static constexpr size_t default_max_bufsize = 256 << 10;
static constexpr size_t default_total_bufsize = 64 << 20;

}  // namespace net::tcp
