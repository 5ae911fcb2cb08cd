// A bound UDP socket, as IncludeOS's net/udp/socket.hpp: net::udp::Socket,
// made by Inet::udp().bind(...) and owned by net::UDP.
//
//   auto& sock = inet.udp().bind(4242);
//   sock.on_read([&sock](net::udp::addr_t addr, net::udp::port_t port,
//                        const char* data, size_t len) {
//     sock.sendto(addr, port, data, len);       // echo
//   });
//
// Datagrams arrive through the on_read callback, run by the event loop;
// `data` is valid during the call only. sendto() copies the data out
// before it returns; a buffer longer than UDP::max_datagram_size() goes
// out as several datagrams of at most that size, as on IncludeOS.
// ukbase's IPv4 also sends larger datagrams in IP fragments: sendto_whole()
// (a ukbase addition) sends up to 65507 bytes as one datagram.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>

#include <delegate>
#include <net/ip4/addr.hpp>
#include <net/socket.hpp>
#include <net/udp/common.hpp>

namespace net {
class UDP;
}

namespace net::udp {

class Socket {
 public:
  using multicast_group_addr = ip4::Addr;
  /// (sender's address, sender's port, payload, payload length)
  using recvfrom_handler = delegate<void(addr_t, port_t, const char*, size_t)>;

  Socket(UDP& udp, net::Socket local);
  ~Socket();
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  /// Where datagrams to this socket go (replaces the previous handler;
  /// the default drops them).
  void on_read(recvfrom_handler callback) { on_read_ = std::move(callback); }

  /// Send `length` bytes to dest:port, split into datagrams of at most
  /// UDP::max_datagram_size() bytes. Nothing is sent for length 0. `cb`
  /// runs once everything was handed to IP (before sendto() returns);
  /// `ecb` runs if it could not be sent, or if an ICMP error about this
  /// destination arrives within five minutes.
  void sendto(addr_t dest, port_t port, const void* buffer, size_t length,
              sendto_handler cb = nullptr, error_handler ecb = nullptr);
  /// ukbase's addition: send `length` bytes (up to 65507) as ONE
  /// datagram, in IP fragments when it exceeds the MTU.
  void sendto_whole(addr_t dest, port_t port, const void* buffer, size_t length,
                    sendto_handler cb = nullptr, error_handler ecb = nullptr);
  /// sendto() to 255.255.255.255:port, from `src` (IPv4 only).
  void bcast(addr_t src, port_t port, const void* buffer, size_t length,
             sendto_handler cb = nullptr, error_handler ecb = nullptr);

  /// Unbind: the socket is destroyed (udp().close(local())); do not use
  /// this reference afterwards. Safe from inside its own on_read.
  void close();

  /// Multicast groups: not supported by ukbase (no IGMP); these do nothing.
  void join(multicast_group_addr) {}
  void leave(multicast_group_addr) {}

  addr_t local_addr() const noexcept { return local_.address(); }
  port_t local_port() const noexcept { return local_.port(); }
  const net::Socket& local() const noexcept { return local_; }
  UDP& udp() noexcept { return udp_; }

  // -- for the stack --
  class Binding;
  void receive(addr_t src, port_t src_port, const char* data, size_t len);
  void icmp_error(addr_t dst, port_t dst_port, const Error& err);

 private:
  void send(addr_t dest, port_t port, const void* buffer, size_t length, size_t max,
            const sendto_handler& cb, const error_handler& ecb);
  void send6(ip6::Addr dest, port_t port, const uint8_t* data, size_t length,
             const sendto_handler& cb, const error_handler& ecb);
  void remember_error_handler(addr_t dest, port_t port, const error_handler& ecb);
  void unbind();
  friend class net::UDP;

  UDP& udp_;
  net::Socket local_;
  recvfrom_handler on_read_;
  std::unique_ptr<Binding> binding_;        // the kernel's binding
  struct Error_handler {
    error_handler handler;
    uint64_t expires_ns;
  };
  std::map<net::Socket, Error_handler> error_handlers_;
  int in_callback_ = 0;
  bool closed_ = false;
};

}  // namespace net::udp

namespace net {
/// The name older IncludeOS services use.
using UDPSocket = udp::Socket;
}  // namespace net
