// Internal to kernel/net/http: connections are destroyed from the event
// loop, never from inside one of their own callbacks (a TCP event, a
// Response_writer ending), which may still be running when the server or
// client lets them go.
#pragma once

#include <memory>

#include <net/http/connection.hpp>

namespace http::detail {

/// Destroy `conn` once the running callback has returned.
void dispose(std::unique_ptr<Connection> conn);

}  // namespace http::detail
