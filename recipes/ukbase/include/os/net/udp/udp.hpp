// UDP on one interface, as IncludeOS's net/udp/udp.hpp: net::UDP, reached
// as Inet::udp(). It binds sockets and owns them.
//
//   auto& sock = inet.udp().bind(4242);      // on the interface's address
//   inet.udp().is_bound(4242);               // true
//   sock.close();                            // or inet.udp().close(sock.local())
//
// Sockets are bound in the kernel's UDP layer, which the POSIX socket
// API uses too: is_bound(port) also sees a POSIX socket bound to that
// port on 0.0.0.0, and binding a port either API holds fails with
// Port_in_use_exception. A datagram goes to the socket bound to its
// destination address, else to one bound to 0.0.0.0; a broadcast goes to
// every socket bound to its port. IPv6 sockets (bind6) are kept but get
// no traffic: ukbase has no IPv6.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <net/socket.hpp>
#include <net/udp/common.hpp>
#include <net/udp/socket.hpp>

namespace net {

class Inet;

struct UDP_error : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

class UDP {
 public:
  using addr_t = udp::addr_t;
  using port_t = udp::port_t;
  using Stack = Inet;
  using Sockets = std::map<net::Socket, udp::Socket>;
  using sendto_handler = udp::sendto_handler;
  using error_handler = udp::error_handler;

  class Port_in_use_exception : public UDP_error {
   public:
    explicit Port_in_use_exception(port_t p)
        : UDP_error("UDP port already in use: " + std::to_string(p)), port_(p)
    {
    }
    port_t port() const noexcept { return port_; }

   private:
    port_t port_;
  };

  explicit UDP(Stack& stack) : stack_(stack) {}
  UDP(const UDP&) = delete;
  UDP& operator=(const UDP&) = delete;

  /// Bind `port` on the interface's current address (0.0.0.0 before it
  /// has one). Throws Port_in_use_exception.
  udp::Socket& bind(port_t port);
  /// Bind `port` on the interface's IPv6 address.
  udp::Socket& bind6(port_t port);
  /// An ephemeral port on `addr`.
  udp::Socket& bind(const addr_t& addr);
  /// `socket`'s address and port (port 0: an ephemeral one). The address
  /// must be the interface's own (or 0.0.0.0): else UDP_error.
  udp::Socket& bind(const net::Socket& socket);
  /// An ephemeral port on the interface's address.
  udp::Socket& bind();
  udp::Socket& bind6();

  bool is_bound(const net::Socket& socket) const;
  /// Is `port` bound on the interface's address or on 0.0.0.0 (by this
  /// API or by a POSIX socket)?
  bool is_bound(port_t port) const;
  bool is_bound6(port_t port) const;

  /// Unbind and destroy the socket bound to `socket`.
  void close(const net::Socket& socket);

  addr_t local_ip() const;
  Stack& stack() noexcept { return stack_; }
  const Sockets& sockets() const noexcept { return sockets_; }

  /// The largest payload of one datagram in one frame: MTU - 28 (1472).
  uint16_t max_datagram_size() noexcept;
  /// Datagrams are sent at once (the kernel queues what the NIC cannot
  /// take yet): nothing to flush.
  void flush() {}

 private:
  friend class udp::Socket;
  udp::Socket& bind_socket(const net::Socket& socket);

  Stack& stack_;
  Sockets sockets_;
};

}  // namespace net
